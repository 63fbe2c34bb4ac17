"""The machinery that lets a run verify restores in the background and end inside a time budget."""

from __future__ import annotations

import dataclasses
import json
import math
import threading
import time
from collections import Counter

from restore_contract.checks.violation import ContractViolation
from restore_contract.run.budget import Budget, budget_seconds
from restore_contract.run.inflight import InFlight
from restore_contract.run.record import RunRecord, merge
from restore_contract.run.report import Outcome, Restore


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
    budget.begin("t", weight=1, weights_left=4)
    assert budget.deadline is not None
    assert 20 < budget.deadline - time.monotonic() <= 25
    budget.deadline = time.monotonic() - 1  # its share is over
    assert not budget.share_spent(verifying=False), "a test that has sent nothing sends its first example"
    budget.sending()
    assert budget.share_spent(verifying=False)


def test_restores_in_flight_stop_a_test_early_enough_to_verify_them() -> None:
    budget = Budget(seconds=100.0)
    budget.verified_in(30.0)
    budget.begin("t", weight=1, weights_left=1)
    budget.sending()
    budget.deadline = time.monotonic() + 20
    assert budget.share_spent(verifying=True), "a 30 s verification would end past the share"
    assert not budget.share_spent(verifying=False)


def test_the_nightly_profile_has_a_budget_and_the_others_do_not() -> None:
    assert budget_seconds(None, "nightly") == 1440
    assert budget_seconds(None, "ci") is None
    assert budget_seconds(None, "ci", live=True) == 600  # a live run ends in reasonable time without a setting
    assert budget_seconds(None, "nightly", live=True) == 1440
    assert budget_seconds(math.inf, "ci", live=True) is None  # `none`
    assert budget_seconds(math.inf, "nightly") is None
    assert budget_seconds(90.0, "ci") == 90


def _part(requests: int, causes: dict[str, int], has_data: bool, test: str, **timing: float | None) -> RunRecord:
    return RunRecord(
        requests=requests,
        retries=1,
        waited_for_retries_s=0.5,
        checked=Counter({"restore status follows the docs": requests}),
        statuses=Counter({200: 2}),
        causes=Counter(causes),
        capabilities={"target": True, "backup": True, "data": has_data},
        tests={test: Outcome("passed")},
        restores=[Restore(target="db_1", started_s=10.0 / requests, seconds=1.0, ok=True)],
        **{"elapsed_s": 10.0, **timing},  # type: ignore[arg-type]
    )


def test_workers_records_merge_into_one_run() -> None:
    merged = merge(
        [
            _part(10, {"started: verified end to end": 2}, False, "a"),
            _part(5, {"target-missing": 1}, True, "b"),
        ]
    )
    assert merged.requests == 15
    assert merged.statuses == {200: 4}
    assert merged.to_json()["statuses"] == {"200": 4}
    assert merged.workers == 2
    assert set(merged.tests) == {"a", "b"}
    assert [restore.started_s for restore in merged.restores] == [1.0, 2.0], "both workers' restores, in time"
    rows = {row.cause: row for row in merged.coverage}
    assert rows["recovering → ready, the backup's data, the same credentials"].exercised == 2
    assert rows["target database not found"].exercised == 1
    assert merged.capabilities["data"], "a need is met when any worker met it"


def test_the_runs_times_are_every_workers_not_the_first_ones() -> None:
    """The first failure is the earliest of any worker's, the slowest verification the slowest of all: worker 0 had
    neither (a merge that took worker 0's figures reported no failure and a fast verification)."""
    merged = merge(
        [
            _part(10, {}, True, "a", first_failure_after_s=None, slowest_verification_s=1.0, elapsed_s=8.0),
            _part(5, {}, True, "b", first_failure_after_s=7.5, slowest_verification_s=4.0, elapsed_s=12.0),
            _part(5, {}, True, "c", first_failure_after_s=3.0, slowest_verification_s=2.0, elapsed_s=9.0),
        ]
    )
    assert merged.first_failure_after_s == 3.0
    assert merged.slowest_verification_s == 4.0
    assert merged.elapsed_s == 12.0


def test_every_field_of_the_record_says_how_it_merges_and_survives_json() -> None:
    for item in dataclasses.fields(RunRecord):
        assert callable(item.metadata.get("merge")), f"RunRecord.{item.name} has no merge rule"
    record = _part(3, {"target-missing": 1}, True, "a", first_failure_after_s=1.5)
    assert RunRecord.from_json(json.loads(json.dumps(record.to_json()))) == record


def test_the_workers_figures_add_up_to_the_runs() -> None:
    """README: "the workers send their run records to the controller, which prints one merged summary": what each
    worker counted (requests, retries and their waits, restores, guard refusals, leftovers) is the run's once, from
    every worker, never one worker's figure (a merge that took worker 0's retries hid worker 1's rate limiting)."""
    first, second = _part(10, {}, True, "a"), _part(5, {}, True, "b")
    # restores started: the restore answers that were 200 (one fact, not two)
    first.retries, first.waited_for_retries_s, first.statuses[200], first.leftovers = 0, 0.0, 2, ["db_a"]
    second.retries, second.waited_for_retries_s, second.statuses[200], second.leftovers = 4, 6.125, 3, ["db_b"]
    second.guard_refusals, second.verified_in_background, second.in_flight_most = ["POST /v1/x"], 3, 2
    merged = merge([first, second])
    assert (merged.requests, merged.retries, merged.waited_for_retries_s) == (15, 4, 6.125)
    assert (merged.restores_started, merged.verified_in_background, merged.in_flight_most) == (5, 3, 2)
    assert (merged.leftovers, merged.guard_refusals) == (["db_a", "db_b"], ["POST /v1/x"])
    assert merge([second, first]).retries == 4, "whichever worker reports first"


def test_the_slowest_pace_a_worker_was_held_to_is_the_runs() -> None:
    unpaced, slow, fast = _part(1, {}, True, "a"), _part(1, {}, True, "b"), _part(1, {}, True, "c")
    slow.paced_per_second, fast.paced_per_second = 8.1, 18.9

    assert merge([fast, unpaced, slow]).paced_per_second == 8.1
    assert merge([unpaced, unpaced]).paced_per_second is None


def test_without_a_budget_no_test_ever_stops_for_time() -> None:
    budget = Budget(seconds=None)
    budget.begin("t", weight=20, weights_left=21)
    budget.sending()
    assert (budget.deadline, budget.shares, budget.left) == (None, {}, None)
    assert not budget.spent
    assert not budget.share_spent(verifying=True)
    assert budget.fits(1e9)


def test_once_the_runs_budget_is_spent_every_test_stops_even_before_its_first_example() -> None:
    budget = Budget(seconds=30.0, started=time.monotonic() - 31)
    assert budget.spent
    budget.begin("late", weight=1, weights_left=1)
    assert budget.shares == {"late": 0.0}, "nothing left to share"
    assert budget.share_spent(verifying=False), "it has sent nothing, and stops all the same"
    assert budget.not_started() == "not started: the run's time budget (30 s) was spent before this test's turn"
    assert not Budget(seconds=30.0, started=time.monotonic() - 29).spent


def test_the_slowest_verification_is_kept_aside_from_every_share() -> None:
    budget = Budget(seconds=100.0)
    budget.verified_in(40.0)
    budget.verified_in(10.0)  # the slowest is kept
    assert budget.slowest_verification == 40.0
    budget.begin("t", weight=1, weights_left=2)
    assert 28 < budget.shares["t"] <= 30, budget.shares  # (100 - 40) / 2
    assert budget.deadline is not None
    assert budget.fits(25.0)
    assert not budget.fits(31.0)
    budget.verified_in(200.0)
    budget.begin("u", weight=1, weights_left=1)
    assert budget.shares["u"] == 0.0, "never a negative share"


def test_a_share_is_never_more_than_the_test_s_own_weight_of_what_is_left() -> None:
    """weights_left counts the test itself: when it is given as less, the test still gets at most all that is left."""
    budget = Budget(seconds=100.0)
    budget.begin("t", weight=3, weights_left=1)
    assert 99 < budget.shares["t"] <= 100


def test_the_average_in_flight_is_over_the_time_since_the_first_started() -> None:
    inflight = InFlight(workers=2)
    assert inflight.average == 0.0, "none started yet"
    release = threading.Event()
    inflight.start("t", "db_1", lambda: (release.wait(5), None)[1])
    inflight.start("t", "db_2", lambda: (release.wait(5), None)[1])
    assert inflight.now == 2
    time.sleep(0.2)
    assert 1.5 < inflight.average <= 2.0, "both in flight the whole time"
    release.set()
    assert inflight.finish("t") == []
    time.sleep(0.2)
    assert inflight.now == 0
    assert 0.5 < inflight.average < 1.5, "then none for about as long"
    assert inflight.counts.most == 2
    assert inflight.close() == []


def test_a_share_is_spent_once_its_deadline_has_passed() -> None:
    budget = Budget(seconds=100.0)
    budget.begin("t", weight=1, weights_left=1)
    budget.sending()
    budget.deadline = time.monotonic() + 0.5
    assert not budget.share_spent(verifying=False)
    budget.deadline = time.monotonic() - 0.5
    assert budget.share_spent(verifying=False), "half a second past its deadline"


def test_the_average_in_flight_counts_from_the_first_start_not_the_last() -> None:
    inflight = InFlight(workers=2)
    release = threading.Event()
    inflight.start("t", "db_1", lambda: (release.wait(5), None)[1])
    time.sleep(0.3)
    inflight.start("t", "db_2", lambda: (release.wait(5), None)[1])
    time.sleep(0.3)
    assert 1.2 < inflight.average < 1.8, "one for 0.3 s, then two for 0.3 s"
    release.set()
    assert inflight.close() == []


def test_abandoning_drops_what_has_not_started_and_inline_has_nothing_to_drop() -> None:
    assert InFlight(workers=1).close(abandon=True) == []
    inflight = InFlight(workers=2)
    release, ran = threading.Event(), []

    def slow(name: str) -> ContractViolation | None:
        ran.append(name)
        release.wait(5)
        return ContractViolation("found late", ("p",))

    for name in ("db_1", "db_2", "db_3"):  # two run, one waits for a worker
        inflight.start("t", name, lambda name=name: slow(name))  # type: ignore[misc]
    time.sleep(0.1)
    assert inflight.close(abandon=True) == []
    assert inflight.abandoned
    release.set()
    time.sleep(0.1)
    assert sorted(ran) == ["db_1", "db_2"], "the third never started"


def test_a_run_that_verified_nothing_in_the_background_had_none_in_flight() -> None:
    inflight = InFlight(workers=2)
    assert (inflight.counts.most, inflight.counts.started, inflight.now, inflight.average) == (0, 0, 0, 0.0)
    assert inflight.close() == []


def test_what_tests_left_unfinished_is_handed_over_at_the_end() -> None:
    """A test that ended without `finish` (its run was stopped by an error elsewhere): its failed verification is the
    run's, returned by close(), not dropped."""
    inflight = InFlight(workers=2)
    inflight.start("t", "db_1", lambda: ContractViolation("found at the end", ("p",)))
    assert [violation.properties for violation in inflight.close()] == [("p",)]


def test_abandoning_waits_for_nothing_in_flight() -> None:
    inflight = InFlight(workers=2)
    release = threading.Event()
    inflight.start("t", "db_1", lambda: (release.wait(5), None)[1])
    assert inflight.started_by("t")
    assert not inflight.started_by("other")
    began = time.monotonic()
    assert inflight.close(abandon=True) == []
    assert time.monotonic() - began < 2, "an interrupted run does not wait for a verification to end"
    release.set()


def test_a_test_has_restores_in_flight_until_their_verification_ends() -> None:
    inflight = InFlight(workers=2)
    release = threading.Event()
    inflight.start("t", "db_1", lambda: (release.wait(5), None)[1])
    assert inflight.started_by("t")
    release.set()
    assert inflight.finish("t") == []
    assert not inflight.started_by("t")
    inflight.close()


def test_a_run_spent_by_half_a_second_is_spent() -> None:
    assert Budget(seconds=30.0, started=time.monotonic() - 30.5).spent
    assert not Budget(seconds=30.0, started=time.monotonic() - 29.5).spent


def test_a_share_is_recorded_to_the_hundredth_of_a_second() -> None:
    budget = Budget(seconds=100.0)
    budget.begin("t", weight=1, weights_left=3)
    assert budget.shares == {"t": 33.33}


def test_the_last_test_gets_all_that_is_left_and_stops_for_its_own_verifications_alone() -> None:
    """Its verifications are the run's last: set aside once (share_spent), not twice, which left the restore targets
    idle for the run's last minute or two."""
    budget = Budget(seconds=100.0)
    budget.verified_in(40.0)
    budget.begin("last", weight=20, weights_left=20, last=True)
    assert 99 < budget.shares["last"] <= 100
    budget.sending()
    assert not budget.share_spent(verifying=True), "60 s before the end it may still start a restore of 40 s"
    budget.begin("not last", weight=20, weights_left=20)
    assert 59 < budget.shares["not last"] <= 60


def test_a_test_waiting_for_a_free_target_takes_one_that_joins_meanwhile() -> None:
    """`more`: targets given back while the test waits (run/keepbusy.py) are looked at every MORE_POLL seconds, not
    only when a restore in flight ends."""
    inflight = InFlight(workers=2)
    release = threading.Event()

    def slow() -> ContractViolation | None:
        release.wait(10)
        return None

    inflight.start("t", "db_1", slow)
    joined: list[str] = []
    looks: list[float] = []

    def more() -> list[str]:
        looks.append(time.monotonic())
        return list(joined)

    threading.Timer(0.2, lambda: joined.append("db_2")).start()
    started = time.monotonic()
    try:
        assert inflight.first_free(["db_1"], more=more) == "db_2"
        assert time.monotonic() - started < 1.0, "it waited for the restore in flight instead"
        assert len(looks) < 20, f"{len(looks)} looks in 0.2 s: it spins instead of waiting between looks"
    finally:
        release.set()
        inflight.close()


def test_when_settled_calls_back_once_the_restore_is_verified_or_at_once_when_none_is() -> None:
    inflight = InFlight(workers=2)
    release = threading.Event()

    def slow() -> ContractViolation | None:
        release.wait(10)
        return None

    called: list[str] = []
    try:
        inflight.when_settled("db_1", lambda: called.append("idle"))
        assert called == ["idle"], "nothing in flight: at once"
        inflight.start("t", "db_1", slow)
        inflight.when_settled("db_1", lambda: called.append("verified"))
        time.sleep(0.1)
        assert called == ["idle"], "not while it is being verified"
        release.set()
        inflight.settle("db_1")
        deadline = time.monotonic() + 5
        while called != ["idle", "verified"] and time.monotonic() < deadline:
            time.sleep(0.01)
        assert called == ["idle", "verified"]
    finally:
        release.set()
        inflight.close()
