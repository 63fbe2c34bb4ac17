"""The run record (restore_contract/run/record.py) as the run accumulates it: JSON-ready, each restore in the
order it was sent, a failure of a later phase kept over an earlier pass, the lifecycle's milestones counted."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace

import pytest

from restore_contract.checks.tally import Tally
from restore_contract.run import record as record_module
from restore_contract.run.record import RunRecord
from restore_contract.run.report import Outcome, Restore


def test_the_record_is_json_with_status_codes_as_text_in_order_and_restores_in_the_order_sent() -> None:
    report = RunRecord()
    tally = Tally()
    tally.statuses.update({422: 2, 200: 1})
    tally.checked["restore status follows the docs"] += 3
    report.merge(tally)
    report.merge(tally)
    report.restored("db_later", started=5.0, ok=True)
    report.restored("db_first", started=1.0, ok=False)
    report.reached("restores answered 200")
    report.reached("restores answered 200")
    report.ended("t.py::test_a", Outcome("failed", violated=("p1",)))
    record = json.loads(json.dumps(report.to_json()))
    assert record["statuses"] == {"200": 2, "422": 4}
    assert list(record["statuses"]) == ["200", "422"]
    assert record["checked"] == {"restore status follows the docs": 6}
    assert [(restore["target"], restore["ok"]) for restore in record["restores"]] == [
        ("db_first", False),
        ("db_later", True),
    ]
    assert record["lifecycle"] == {"restores answered 200": 2}
    assert record["tests"]["t.py::test_a"]["violated"] == ["p1"]


def test_a_restores_time_to_verify_counts_from_its_answer_to_the_hundredth_of_a_second() -> None:
    """The record keeps when each restore was answered and how long it took to verify, in seconds to 0.01 s: what
    the restores picture plots, without the float noise of a monotonic clock."""
    report = RunRecord()
    report.since_start = lambda: 20.0  # type: ignore[method-assign]  # 20 s into the run now
    report.restored("db_1", started=4.123456, ok=True)
    assert report.restores == [Restore(target="db_1", started_s=4.12, seconds=15.88, ok=True)]
    assert report.to_json()["restores"] == [{"target": "db_1", "started_s": 4.12, "seconds": 15.88, "ok": True}]


def test_the_first_failure_is_timed_from_the_start_of_the_run_once() -> None:
    report = RunRecord(started=time.monotonic() - 12.34)
    report.failed("t.py::test_a", "p1: curl …")
    first = report.first_failure_after_s
    assert first is not None
    assert 12.3 <= first < 13.0
    report.failed("t.py::test_b", "p2: curl …")
    assert report.first_failure_after_s == first
    assert report.failures == {"t.py::test_a": "p1: curl …", "t.py::test_b": "p2: curl …"}


def test_a_later_phases_failure_is_kept_over_an_earlier_pass_and_not_the_other_way() -> None:
    report = RunRecord()
    report.ended("t", Outcome("passed"))
    report.ended("t", Outcome("error", error="teardown"))
    report.ended("t", Outcome("passed"))
    assert report.tests["t"] == Outcome("error", error="teardown")


def test_the_time_since_the_run_started_counts_from_its_start() -> None:
    assert 9.9 < RunRecord(started=time.monotonic() - 10).since_start() < 11


def test_the_first_failure_is_timed_to_a_tenth_of_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(record_module, "time", SimpleNamespace(monotonic=lambda: 112.34))
    report = RunRecord(started=100.0)
    report.failed("t.py::test_a", "p1: curl …")
    assert report.first_failure_after_s == 12.3
