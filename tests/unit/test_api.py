"""The suite's client of the Management API (restore_contract/targets/api.py): each id in its own path segment,
whatever it holds, and one error that says what was asked and what came back."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from restore_contract.targets.api import ApiError, ManagementApi


def _api(answer: httpx.Response | None = None, seen: list[httpx.Request] | None = None) -> ManagementApi:
    def handle(request: httpx.Request) -> httpx.Response:
        (seen if seen is not None else []).append(request)
        return answer or httpx.Response(200, json={"data": {"id": "db_1"}})

    return ManagementApi(httpx.Client(base_url="https://api.example", transport=httpx.MockTransport(handle)))


@pytest.mark.parametrize("database_id", ["db_cabcdefghij", "x/../../projects/p", "a?b#c", "50%", "db_ é"])
def test_every_operation_keeps_the_id_in_its_own_segment(database_id: str) -> None:
    """The guard reasons about encoded ids: an id with `/`, `?`, `#` or `%` never reaches another route."""
    seen: list[httpx.Request] = []
    api = _api(seen=seen)
    api.get_database(database_id)
    api.delete_database(database_id)
    api.list_backups(database_id)
    api.list_connections(database_id)
    api.create_connection(database_id, "c")
    api.restore(database_id, {"source": {}})
    api.delete_connection(database_id)
    api.create_database(database_id, "n")
    for request in seen:  # /v1/databases/{id}/…, /v1/projects/{id}/databases, /v1/connections/{id}
        segments = request.url.raw_path.decode("ascii").split("?")[0].split("/")
        assert segments[3] == quote(database_id, safe=""), request.url
    assert [len(r.url.raw_path.decode().split("?")[0].split("/")) for r in seen] == [4, 4, 5, 5, 5, 5, 4, 5]


def test_an_answer_the_caller_cannot_use_is_one_error_with_the_status_and_body() -> None:
    api = _api(httpx.Response(503, text="upstream unavailable"))

    with pytest.raises(ApiError) as raised:
        api.created_database("proj_1", "contract-x")

    assert (raised.value.status, raised.value.body) == (503, "upstream unavailable")
    assert str(raised.value) == "creating database 'contract-x' answered 503: upstream unavailable"


def test_a_project_is_listed_page_by_page() -> None:
    pages = {
        None: {"data": [{"id": "a"}], "pagination": {"hasMore": True, "nextCursor": "c2"}},
        "c2": {"data": [{"id": "b"}], "pagination": {"hasMore": False, "nextCursor": None}},
    }
    api = ManagementApi(
        httpx.Client(
            base_url="https://api.example",
            transport=httpx.MockTransport(lambda r: httpx.Response(200, json=pages[r.url.params.get("cursor")])),
        )
    )

    assert [database["id"] for database in api.project_databases("proj_1")] == ["a", "b"]
