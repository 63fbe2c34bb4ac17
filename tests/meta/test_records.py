"""The verdicts the meta-tests rest on, on run records built here: what counts as a detection and as a pass."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.meta.records import MIN_LIFECYCLE_RESTORES, RunRecord, detection, pass_problems

LIFECYCLE = "restore_contract/suite/test_lifecycle.py::test_lifecycle"
RESTORE = "restore_contract/suite/test_properties.py::test_successful_restore_replaces_data_and_keeps_connections"


def end(outcome: str, violated: tuple[str, ...] = (), error: str = "", skip_reason: str = "") -> dict[str, Any]:
    return {"outcome": outcome, "violated": list(violated), "error": error, "skip_reason": skip_reason}


def record(**tests: dict[str, Any]) -> dict[str, Any]:
    """A healthy run's record, with the test endings given (keyword: a short name for the test)."""
    named = {LIFECYCLE: end("passed"), RESTORE: end("passed")}
    named.update({f"restore_contract/suite/test_x.py::{name}": ending for name, ending in tests.items()})
    return {
        "target": {"name": "emulator", "faults": ""},
        "statuses": {"200": 40, "404": 10},
        "lifecycle": {"restores answered 200": MIN_LIFECYCLE_RESTORES},
        "tests": named,
    }


def test_a_contract_violation_is_a_detection_naming_the_property() -> None:
    found = detection(RunRecord(1, record(test_restore=end("failed", ("restore_starts_recovering",)))))
    assert found.detected
    assert found.caught_by == "test_restore (restore_starts_recovering)"


def test_exit_1_without_a_contract_violation_is_no_detection() -> None:
    harness = record(test_restore=end("failed", error="AssertionError: db_c1 stays provisioning"))
    found = detection(RunRecord(1, harness))
    assert not found.detected
    assert "stays provisioning" in found.why
    setup = detection(RunRecord(1, record(test_restore=end("error", error="RuntimeError: no cluster"))))
    assert not setup.detected
    assert "no cluster" in setup.why


def test_a_violation_with_another_exit_code_or_no_record_is_no_detection() -> None:
    violated = record(test_restore=end("failed", ("restore_status_follows_docs",)))
    assert not detection(RunRecord(3, violated)).detected  # pytest's internal error, whatever else it saw
    crashed = detection(RunRecord(1, {}))
    assert not crashed.detected
    assert "no run record" in crashed.why


def test_a_genuine_pass_has_no_problems(tmp_path: Path) -> None:
    path = tmp_path / "summary.json"
    path.write_text(json.dumps(record()), encoding="utf-8")
    assert pass_problems(RunRecord.read(path, 0), expected_target={"faults": ""}) == []


def test_exit_0_is_not_a_pass_when_the_run_did_not_check() -> None:
    skipped = record(test_busy=end("skipped", skip_reason="needs the emulator"))
    assert pass_problems(RunRecord(0, skipped)) == [
        "restore_contract/suite/test_x.py::test_busy skipped: needs the emulator"
    ]
    no_restores = {**record(), "statuses": {"404": 10}}
    assert "no restore answered 200" in pass_problems(RunRecord(0, no_restores))[0]
    few = {**record(), "lifecycle": {"restores answered 200": MIN_LIFECYCLE_RESTORES - 1}}
    assert "the lifecycle reached" in pass_problems(RunRecord(0, few))[0]
    ignored = pass_problems(RunRecord(0, record()), expected_target={"id_style": "cuid2"})
    assert ignored == ["the target ran with id_style=None, not 'cuid2'"]
    assert pass_problems(RunRecord(0, {})) == ["exit 0 and no run record"]
    assert pass_problems(RunRecord(1, record())) == ["exit 1"]
