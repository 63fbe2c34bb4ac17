"""The machinery that lets a run verify restores in the background and end inside a time budget."""

from __future__ import annotations

import threading
import time

import pytest

from restore_contract.checks.budget import Budget, budget_seconds
from restore_contract.checks.inflight import InFlight
from restore_contract.checks.record import merge
from restore_contract.checks.violation import ContractViolation


def test_a_failed_verification_is_the_test_that_started_it_and_only_once() -> None:
    inflight = InFlight(workers=3)
    release = threading.Event()

    def slow_failure() -> ContractViolation | None:
        release.wait(5)
        return ContractViolation("restore_finishes_with_backup_data: still recovering", ("restore_finishes",))

    inflight.start("test_a", "db_1", slow_failure)
    inflight.start("test_b", "db_2", lambda: None)
    assert inflight.busy("db_1")
    assert inflight.first_free(["db_1", "db_2", "db_3"]) in ("db_2", "db_3")
    assert not inflight.has_failed("test_a")
    release.set()
    found = inflight.finish("test_a")
    assert [violation.properties for violation in found] == [("restore_finishes",)]
    assert inflight.finish("test_a") == [], "handed over once"
    assert inflight.finish("test_b") == []
    assert (inflight.counts.started, inflight.counts.verified, inflight.counts.failed) == (2, 1, 1)
    assert inflight.close() == []


def test_when_every_target_is_busy_the_first_to_settle_is_taken() -> None:
    inflight = InFlight(workers=2)

    def settles_after(seconds: float) -> ContractViolation | None:
        time.sleep(seconds)
        return None

    inflight.start("t", "db_1", lambda: settles_after(0.3))
    inflight.start("t", "db_2", lambda: settles_after(0.05))
    assert inflight.first_free(["db_1", "db_2"]) == "db_2"
    inflight.close()


def test_inline_verification_defers_nothing() -> None:
    inflight = InFlight(workers=1)
    assert not inflight.background
    assert inflight.first_free(["db_1", "db_2"]) == "db_1", "nothing in flight: the indexed target, as without it"


def test_a_test_gets_its_share_of_what_is_left_and_its_first_example_always() -> None:
    budget = Budget(seconds=100.0)
    budget.begin(weight=1, weights_left=4)
    assert budget.deadline is not None
    assert 20 < budget.deadline - time.monotonic() <= 25
    budget.deadline = time.monotonic() - 1  # its share is over
    assert not budget.share_spent(verifying=False), "a test that has sent nothing sends its first example"
    budget.sending()
    assert budget.share_spent(verifying=False)


def test_restores_in_flight_stop_a_test_early_enough_to_verify_them() -> None:
    budget = Budget(seconds=100.0)
    budget.verified_in(30.0)
    budget.begin(weight=1, weights_left=1)
    budget.sending()
    budget.deadline = time.monotonic() + 20
    assert budget.share_spent(verifying=True), "a 30 s verification would end past the share"
    assert not budget.share_spent(verifying=False)


def test_the_nightly_profile_has_a_budget_and_the_others_do_not() -> None:
    assert budget_seconds(None, "nightly") == 1440
    assert budget_seconds(None, "ci") is None
    assert budget_seconds(None, "ci", live=True) == 600  # a live run ends in reasonable time without a setting
    assert budget_seconds(None, "nightly", live=True) == 1440
    assert budget_seconds("none", "ci", live=True) is None
    assert budget_seconds("none", "nightly") is None
    assert budget_seconds("90", "ci") == 90
    for wrong in ("0", "-5", "soon", "inf"):
        with pytest.raises(ValueError, match="PRISMA_CONTRACT_BUDGET"):
            budget_seconds(wrong, "ci")


def test_workers_records_merge_into_one_run() -> None:
    def part(requests: int, causes: dict[str, int], has_data: bool, tests: dict[str, object]) -> dict[str, object]:
        return {
            "requests": requests,
            "retries": 1,
            "waited_for_retries_s": 0.5,
            "checked": {"restore status follows the docs": requests},
            "statuses": {"200": 2},
            "causes": causes,
            "capabilities": {"target": True, "backup": True, "data": has_data},
            "tests": tests,
            "failures": {},
            "leftovers": [],
            "exit_status": 0,
            "elapsed_s": 10.0,
            "restores": [{"target": "db_1", "started_s": 10.0 / requests, "seconds": 1.0, "ok": True}],
        }

    merged = merge(
        [
            part(10, {"started: verified end to end": 2}, False, {"a": {"outcome": "passed"}}),
            part(5, {"target-missing": 1}, True, {"b": {"outcome": "passed"}}),
        ]
    )
    assert merged["requests"] == 15
    assert merged["statuses"] == {"200": 4}
    assert merged["workers"] == 2
    assert set(merged["tests"]) == {"a", "b"}
    assert [restore["started_s"] for restore in merged["restores"]] == [1.0, 2.0], "both workers' restores, in time"
    rows = {row["cause"]: row for row in merged["coverage"]}
    assert rows["recovering → ready, the backup's data, the same credentials"]["exercised"] == 2
    assert rows["target database not found"]["exercised"] == 1
