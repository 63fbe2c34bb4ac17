"""README: scratch databases are deleted at the end of the run; "any that could not be deleted are listed in red in
the summary". A DELETE that fails is a leftover, with why; one already gone is not."""

from __future__ import annotations

import httpx

from restore_contract.reporting.markdown import markdown
from restore_contract.run.record import RunRecord, render
from restore_contract.targets.base import Target, Traffic
from restore_contract.targets.pool import Pool

ANSWERS = {"db_cgone": 204, "db_cfails": 500, "db_calready": 404, "db_cbusy": 409}


def _server(request: httpx.Request) -> httpx.Response:
    database_id = request.url.path.rsplit("/", 1)[-1]
    if database_id == "db_clost":
        raise httpx.ConnectError("connection reset", request=request)
    return httpx.Response(ANSWERS[database_id])


def test_a_scratch_database_that_could_not_be_deleted_is_a_leftover_saying_why() -> None:
    target = Target("live", "https://api.example", "t", Traffic(httpx.MockTransport(_server)), 1.0, project_id="p")
    pool = Pool(target)
    pool.scratch = ["db_clost", *ANSWERS]  # a lost connection first: the others are still deleted
    leftovers = pool.delete_scratch()
    assert leftovers == [
        "db_clost: connection reset",
        "db_cfails: DELETE answered 500",
        "db_cbusy: DELETE answered 409",
    ]
    assert pool.scratch == [], "each was tried once"
    assert pool.delete_scratch() == []
    record = RunRecord(leftovers=leftovers, target={"name": "live"})
    red = [text for text, colour in render(record) if colour == "red"]
    assert any("db_cfails: DELETE answered 500" in text for text in red), red
    page = markdown(record, [])
    assert "- scratch database NOT deleted, remove it by hand: db_clost: connection reset" in page
    target.close()
