"""The driver's promises beyond judging one answer (restore_contract/run/driver.py): a test stops when its share
of the budget is spent (and says so) but never swallows a failure; a restore whose answer never came is a finding;
the coverage table counts 401s by the token sent; what a step does while a restore recovers is judged after the
restore's own checks; a rate-limited request is judged on the world that may have settled meanwhile; restores
verified in the background are reported as they end."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from restore_contract.checks.probe import Before
from restore_contract.checks.violation import ContractViolation, violated
from restore_contract.contracts import RestoreWorld, TargetState
from restore_contract.emulator import Fault
from restore_contract.run import driver as driver_module
from restore_contract.run.budget import Budget, StopExamples
from restore_contract.run.driver import Driver, read_case, restore_case, running
from restore_contract.run.inflight import InFlight
from restore_contract.targets.base import NO_ADMIN, OTHER_WORKSPACE
from restore_contract.targets.inprocess import InProcessTransport
from restore_contract.targets.pace import _URGENT, PACED, Pacer
from tests.unit.emulated import backup_of, body, emulated_driver

TEST = "tests/test_x.py::test_x"


@pytest.fixture
def driver() -> Iterator[Driver]:
    with emulated_driver(budget=Budget(seconds=600.0)) as made, running(TEST):
        yield made


def a_restore(driver: Driver) -> tuple[str, dict[str, object]]:
    return driver.pool.ready[0], body(*backup_of(driver.pool))


def spend_the_share(driver: Driver) -> None:
    """The test started, sent a request, and its share's deadline has passed (the run's budget has not)."""
    driver.budget.begin(TEST, 1.0, 1.0)
    driver.budget.sending()
    driver.budget.deadline = time.monotonic() - 1


def test_a_test_whose_share_is_spent_stops_before_its_next_request_and_is_cut_short(driver: Driver) -> None:
    target, sent = a_restore(driver)
    driver.budget.begin(TEST, 1.0, 1.0)
    driver.send(restore_case(target, sent))  # its first request goes, whatever the share
    driver.budget.deadline = time.monotonic() - 1
    with pytest.raises(StopExamples, match="its share of the run's time budget is spent"):
        driver.send(restore_case(target, sent))
    assert driver.budget.cut_short == [TEST]
    with pytest.raises(StopExamples):
        driver.checkpoint()  # a model's step between requests stops there too


def test_a_sequence_sent_uninterrupted_runs_to_its_end(driver: Driver) -> None:
    spend_the_share(driver)
    target, sent = a_restore(driver)
    with driver.uninterrupted():
        assert driver.send(restore_case(target, sent)).status_code == 200
        driver.checkpoint()
    assert driver.budget.cut_short == []
    with pytest.raises(StopExamples):
        driver.checkpoint()  # and only inside it


def test_a_failed_test_goes_on_inside_its_share_and_stops_past_it_still_failed(driver: Driver) -> None:
    """Hypothesis replays a failing example to report it: the budget must not stop that replay inside the share."""
    assert driver.target.control is not None
    driver.budget.begin(TEST, 1.0, 1.0)
    driver.target.control.set_faults([Fault.RESTORE_ANSWERS_READY.value])
    target, sent = a_restore(driver)
    with pytest.raises(ContractViolation) as first:
        driver.send(restore_case(target, sent))
    assert driver.violated[TEST] is first.value
    assert driver.must_stop() is None
    driver.budget.deadline = time.monotonic() - 1
    assert driver.must_stop() == "it failed, and its share of the run's time budget is spent"
    assert driver.budget.cut_short == [], "a failed test is not one the budget cut short"


def test_a_test_whose_background_restore_failed_sends_nothing_more() -> None:
    with emulated_driver(InFlight(workers=2)) as driver, running(TEST):
        assert driver.target.control is not None
        driver.target.control.set_faults([Fault.DATA_NOT_REPLACED.value])
        target, sent = a_restore(driver)
        assert driver.send(restore_case(target, sent)).status_code == 200  # verified later, in the background
        deadline = time.monotonic() + 10
        while not driver.inflight.has_failed(TEST) and time.monotonic() < deadline:
            time.sleep(0.01)
        with pytest.raises(StopExamples, match="a restore this test started failed its verification"):
            driver.send(restore_case(target, sent))
        (found,) = driver.inflight.finish(TEST)
        assert found.properties == ("restore_finishes_with_backup_data",)
        assert TEST in driver.report.failures
        assert [restore.ok for restore in driver.report.restores] == [False]


def test_restores_verified_in_the_background_are_reported_with_their_time() -> None:
    with emulated_driver(InFlight(workers=2), Budget(seconds=None)) as driver, running(TEST):
        target, sent = a_restore(driver)
        assert driver.send(restore_case(target, sent)).status_code == 200
        assert driver.data_after_restore(target) == driver.pool.data_of(str(sent["source"]["backupId"]))  # type: ignore[index]
        assert driver.inflight.finish(TEST) == []
        (restored,) = driver.report.restores
        assert (restored.target, restored.ok) == (target, True)
        assert restored.seconds >= 0
        assert 0 < driver.budget.slowest_verification < 10, "seconds the verification took"
        assert driver.report.checked["data probe: the target holds exactly the backup's data"] == 1


def test_restores_verified_inline_are_reported_too(driver: Driver) -> None:
    target, sent = a_restore(driver)
    driver.send(restore_case(target, sent))
    (restored,) = driver.report.restores
    assert (restored.target, restored.ok) == (target, True)
    assert 0 < driver.budget.slowest_verification < 10, "seconds the verification took"


def test_a_restore_whose_answer_never_came_is_a_finding(driver: Driver, monkeypatch: pytest.MonkeyPatch) -> None:
    """It may have run: the violation names the request and what the target looks like now."""
    target, sent = a_restore(driver)
    send = driver.client.send

    def lost(request: httpx.Request, **kwargs: object) -> httpx.Response:
        if request.method == "POST":
            raise httpx.ReadError("connection reset by peer", request=request)
        return send(request)

    monkeypatch.setattr(driver.client, "send", lost)
    with pytest.raises(ContractViolation) as caught:
        driver.send(restore_case(target, sent))
    assert caught.value.properties == ("restore_answers",)
    assert "the connection was lost on a restore, which may have run (connection reset by peer)" in str(caught.value)
    assert f"{target} is now ready" in str(caught.value)
    assert f"curl -X POST http://emulator.local/v1/databases/{target}/restore" in str(caught.value)


def test_a_read_whose_answer_never_came_is_not_a_finding(driver: Driver, monkeypatch: pytest.MonkeyPatch) -> None:
    def lost(request: httpx.Request, **kwargs: object) -> httpx.Response:
        raise httpx.ReadError("connection reset by peer", request=request)

    monkeypatch.setattr(driver.client, "send", lost)
    with pytest.raises(httpx.ReadError):
        driver.send(read_case("getV1DatabasesByDatabaseId", driver.pool.ready[0]))


def test_401s_are_counted_by_the_token_sent(driver: Driver) -> None:
    """The coverage table's rows: a missing token, an invalid one, a valid one without the admin scope."""
    target, sent = a_restore(driver)
    unauthorized = RestoreWorld(token_valid=False)
    driver.send(restore_case(target, sent), authenticated=False, world=unauthorized)
    driver.send(restore_case(target, sent), token="not-a-token", world=unauthorized)
    driver.send(restore_case(target, sent), token=driver.target.tokens[NO_ADMIN])
    assert driver.report.causes["unauthorized: missing token"] == 1
    assert driver.report.causes["unauthorized: invalid token"] == 1
    assert driver.report.checked["a token without workspace:admin restores nothing"] == 1
    assert driver.report.checked["a token restores nothing of another workspace"] == 0
    assert driver.report.statuses[401] == 2
    # The emulator answers the token without the scope 403, which restore's docs do not declare: tolerated, once.
    assert sum(driver.report.deviations.values()) == 1


def test_another_workspaces_admin_is_judged_as_such(driver: Driver) -> None:
    target, sent = a_restore(driver)
    assert driver.send(restore_case(target, sent), token=driver.target.tokens[OTHER_WORKSPACE]).status_code == 404
    assert driver.report.checked["a token restores nothing of another workspace"] == 1
    assert driver.report.checked["a token without workspace:admin restores nothing"] == 0


def test_what_a_step_does_while_the_restore_recovers_is_judged_after_the_restore(driver: Driver) -> None:
    """It runs after the 200 and before the checks wait for the recovery to end, never stopped by the budget (the
    first restore must still be verified); its own violation comes after theirs."""
    target, sent = a_restore(driver)
    finished = "restore finishes with the backup's data and the same credentials"
    seen: list[int] = []

    def meanwhile() -> None:
        driver.budget.deadline = time.monotonic() - 1  # the share ends meanwhile
        driver.checkpoint()
        seen.append(driver.report.checked[finished])
        raise violated("restore_while_recovering_is_409", "a second restore was accepted")

    driver.budget.begin(TEST, 1.0, 1.0)
    with pytest.raises(ContractViolation) as caught:
        driver.send(restore_case(target, sent), while_recovering=meanwhile)
    assert seen == [0]
    assert caught.value.properties == ("restore_while_recovering_is_409",)
    assert driver.report.checked[finished] == 1
    assert [restore.ok for restore in driver.report.restores] == [True]


def test_what_comes_while_recovering_is_sent_without_waiting_for_the_pace(driver: Driver) -> None:
    """Under a rate limit the run paces its requests (targets/pace.py); the step while a restore recovers goes at once
    (a wait could close the window it checks), and only that step."""
    target = driver.pool.ready[0]
    seen: list[bool] = []
    driver.send(
        restore_case(target, body(*backup_of(driver.pool))), while_recovering=lambda: seen.append(_URGENT.get())
    )

    assert seen == [True]
    assert not _URGENT.get()


def test_a_restore_with_a_step_while_recovering_makes_room_first_when_paced(
    driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Paced near the server's limit, the step while recovering would be refused and retried after its window: the
    driver holds the other requests back for a second first (only then, and only when paced)."""
    pacer = Pacer()
    monkeypatch.setattr(driver.target.traffic, "pacer", pacer)
    waits: list[float] = []
    monkeypatch.setattr(driver, "target", dataclasses.replace(driver.target, pace=waits.append))
    sent = body(*backup_of(driver.pool))
    driver.send(restore_case(driver.pool.ready[0], sent), while_recovering=lambda: None)
    assert waits == [0.0], "not paced yet: nothing to make room for"
    pacer.refused(pacer.turn())
    driver.send(restore_case(driver.pool.ready[1], sent))
    assert waits == [0.0], "no step while recovering: no room made"
    driver.send(restore_case(driver.pool.ready[1], sent), while_recovering=lambda: None)

    assert len(waits) == 2
    assert waits[1] == pytest.approx(1.0, abs=0.05)


def test_a_refused_restore_does_not_run_what_comes_while_recovering(driver: Driver) -> None:
    target = driver.pool.ready[0]
    driver.send(restore_case(target, {"source": {}}), while_recovering=lambda: pytest.fail("ran after a 422"))


def test_a_restore_that_waited_out_a_rate_limit_is_judged_on_the_world_that_settled(
    driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read recovering, then 429 until the recovery has ended: the 200 that follows is no broken conflict rule."""
    assert driver.target.control is not None
    control = driver.target.control
    busy = next(database for database, status in driver.pool.busy.items() if status == "recovering")
    control.force_status(busy, "recovering")
    first = threading.Event()
    handle = InProcessTransport.handle_request

    def limited_once(transport: InProcessTransport, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/restore") and not first.is_set():
            first.set()
            control.force_status(busy, "ready")  # the recovery ends while the request waits for its retry
            return httpx.Response(429, headers={"Retry-After": "0"}, json={"error": {"code": "rate_limited"}})
        return handle(transport, request)

    monkeypatch.setattr(InProcessTransport, "handle_request", limited_once)
    sent = body(*backup_of(driver.pool))
    response = driver.send(restore_case(busy, sent), world=None)
    assert response.status_code == 200
    assert driver.report.checked["a busy window closed while the request waited out the rate limit"] == 1


def _settling_while_paced(driver: Driver, monkeypatch: pytest.MonkeyPatch, paced_s: float) -> str:
    """A database read recovering whose recovery ends as its restore is sent, the answer saying the request waited
    `paced_s` for its turn (targets/pace.py); its id."""
    assert driver.target.control is not None
    control = driver.target.control
    busy = next(database for database, status in driver.pool.busy.items() if status == "recovering")
    control.force_status(busy, "recovering")
    handle = InProcessTransport.handle_request

    def settling(transport: InProcessTransport, request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/restore"):
            return handle(transport, request)
        control.force_status(busy, "ready")  # the recovery ends as the request goes
        response = handle(transport, request)
        response.extensions[PACED] = paced_s
        return response

    monkeypatch.setattr(InProcessTransport, "handle_request", settling)
    return busy


def test_a_restore_that_waited_for_its_turn_is_judged_on_the_world_that_settled(
    driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read recovering, then held back by the run's own pace under a rate limit (targets/pace.py) until the recovery
    has ended: the 200 is no broken conflict rule (a live nightly cried wolf on it before)."""
    busy = _settling_while_paced(driver, monkeypatch, 0.4)
    response = driver.send(restore_case(busy, body(*backup_of(driver.pool))), world=None)
    assert response.status_code == 200
    assert driver.report.checked["a busy window closed while the request waited out the rate limit"] == 1


def test_a_restore_sent_at_once_into_a_recovering_target_must_be_refused(
    driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same 200 without a wait (no retry, no turn waited: PACED 0.0) breaks the conflict rule."""
    busy = _settling_while_paced(driver, monkeypatch, 0.0)
    with pytest.raises(ContractViolation) as caught:
        driver.send(restore_case(busy, body(*backup_of(driver.pool))), world=None)
    assert "restore_status_follows_docs" in caught.value.properties


def test_a_restore_without_a_body_sends_none(driver: Driver) -> None:
    response = driver.send(restore_case(driver.pool.ready[0]), world=RestoreWorld(body_well_formed=False))
    assert response.request.content == b""
    assert response.status_code in (400, 422)


def test_a_read_case_names_the_database(driver: Driver) -> None:
    database_id = driver.pool.ready[0]
    response = driver.send(read_case("getV1DatabasesByDatabaseIdBackups", database_id))
    assert response.request.url.path == f"/v1/databases/{database_id}/backups"
    assert response.status_code == 200


def test_a_target_named_as_missing_is_judged_missing(driver: Driver) -> None:
    gone = driver.pool.deleted[0]
    driver.send(restore_case(gone, body(*backup_of(driver.pool))), world=RestoreWorld(target=TargetState.MISSING))
    assert driver.report.statuses[404] == 1


def test_another_workspaces_admin_restores_its_own_database_judged_through_its_own_eyes(driver: Driver) -> None:
    """The probe reads that workspace's database with that workspace's token (the run's own sees nothing there)."""
    (foreign,) = driver.pool.foreign
    (backup,) = driver.pool.foreign_backups
    own = driver.target.tokens[OTHER_WORKSPACE]
    response = driver.send(restore_case(foreign, body(backup.database_id, backup.id)), token=own, world=RestoreWorld())
    assert response.status_code == 200
    assert driver.report.causes["started: verified end to end"] == 1


def test_a_refused_restore_into_a_busy_target_counts_under_its_status(driver: Driver) -> None:
    """The coverage table's 409 rows: one per status a target was busy in."""
    assert driver.target.control is not None
    for status in ("recovering", "provisioning"):
        busy = next(database for database, held in driver.pool.busy.items() if held == status)
        driver.target.control.force_status(busy, status)
        driver.send(restore_case(busy, body(*backup_of(driver.pool))), world=RestoreWorld(target=TargetState(status)))
    assert driver.report.causes["target-busy: recovering"] == 1
    assert driver.report.causes["target-busy: provisioning"] == 1


def test_the_probe_reads_data_only_when_asked_and_only_of_a_settled_database(driver: Driver) -> None:
    """The docs promise nothing of a database's data while it provisions or recovers: it is not read then."""
    assert driver.target.control is not None
    ready = driver.pool.ready[0]
    assert driver.probe.database(ready).data is None  # type: ignore[union-attr]
    assert driver.probe.database(ready, with_data=True).data is not None  # type: ignore[union-attr]
    busy = next(database for database, held in driver.pool.busy.items() if held == "provisioning")
    driver.target.control.force_status(busy, "provisioning")
    assert driver.probe.database(busy, with_data=True).data is None  # type: ignore[union-attr]


def test_a_raw_body_is_sent_as_it_is_labelled_json(driver: Driver) -> None:
    raw = b'{"source": {"type": "backup", "databaseId": 1}'
    response = driver.send(restore_case(driver.pool.ready[0]), raw_body=raw, world=RestoreWorld(body_well_formed=False))
    assert response.request.content == raw
    assert response.request.headers["content-type"] == "application/json"


def test_a_cases_query_is_sent(driver: Driver) -> None:
    case = read_case("getV1DatabasesByDatabaseIdBackups", driver.pool.sources[0])
    case.query = {"limit": 1}
    response = driver.send(case)
    assert response.request.url.params["limit"] == "1"
    assert len(response.json()["data"]) == 1


def test_a_failed_test_is_stopped_by_its_share_alone_not_by_verifications_it_awaits(driver: Driver) -> None:
    """Once it failed, a test goes on only to let Hypothesis report the failure: no restore of its own is left to
    verify, so the slowest verification is not kept aside from what is left of its share."""
    driver.budget.begin(TEST, 1.0, 1.0)
    driver.budget.sending()
    driver.violated[TEST] = ContractViolation("broken", ("p",))
    driver.budget.verified_in(100.0)
    driver.budget.deadline = time.monotonic() + 50
    assert driver.must_stop() is None


def test_a_restore_by_another_name_of_a_settled_database_reads_the_world_once(
    driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`c…` for `db_c…`: read again only when a verification of that database was still running."""
    database_id = next(ready for ready in driver.pool.ready if ready.startswith("db_"))
    reads: list[str] = []
    read = driver.probe.before

    def before(target_id: str, body: bytes | None, *, token_valid: bool = True) -> Before:
        reads.append(target_id)
        return read(target_id, body, token_valid=token_valid)

    monkeypatch.setattr(driver.probe, "before", before)
    driver.send(restore_case(database_id.removeprefix("db_"), body(*backup_of(driver.pool))))
    assert reads == [database_id.removeprefix("db_")]


def test_a_failure_shows_its_message_not_the_drivers_code(driver: Driver) -> None:
    """pytest hides the driver's own frames from a failure's traceback (`__tracebackhide__`): what a user reads is
    the property, the request and the answer."""
    assert driver.target.control is not None
    driver.target.control.set_faults([Fault.RESTORE_ANSWERS_READY.value])
    target, sent = a_restore(driver)
    with pytest.raises(ContractViolation) as failed:
        driver.send(restore_case(target, sent))
    shown = failed.traceback.filter(failed)
    assert [entry for entry in shown if entry.path == Path(driver_module.__file__)] == []


def test_a_failure_of_a_restore_sent_on_a_tests_behalf_shows_its_message_not_the_drivers_code(driver: Driver) -> None:
    """The same for the restores that keep the targets busy (run/keepbusy.py): the owner test fails with them."""
    assert driver.target.control is not None
    driver.target.control.set_faults([Fault.RESTORE_ANSWERS_READY.value])
    target, sent = a_restore(driver)
    with pytest.raises(ContractViolation) as failed:
        driver.send_on_behalf(TEST, restore_case(target, sent), world=RestoreWorld())
    shown = failed.traceback.filter(failed)
    assert [entry for entry in shown if entry.path == Path(driver_module.__file__)] == []


def test_with_background_verification_a_refused_restore_is_judged_at_once_and_nothing_is_left_to_verify() -> None:
    with emulated_driver(InFlight(workers=2)) as driver, running(TEST):
        database_id, _ = backup_of(driver.pool)
        missing = body(database_id, f"bkp_{driver.pool.mint()}")
        response = driver.send(restore_case(driver.pool.ready[0], missing), world=RestoreWorld(backup_exists=False))
        assert response.status_code == 404
        assert driver.inflight.counts.started == 0
        assert driver.report.checked["a rejected restore changes nothing"] == 1


@pytest.mark.parametrize("workers", [1, 2])
def test_a_restore_whose_answer_breaks_only_a_builtin_check_is_a_failed_restore(
    workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 200 that the restore checks accept but the contract's own checks do not (its body, its headers): the restores
    timeline says it failed, and with background verification nothing is left verifying a restore already failed."""

    def broken_answer(self: Driver, case: Any, response: httpx.Response, kind: str) -> list[tuple[str, str]]:
        return [("restore_body_matches_the_contract", "the body does not match")] if kind == "restore" else []

    monkeypatch.setattr(Driver, "_builtin_failures", broken_answer)
    with emulated_driver(InFlight(workers=workers)) as driver, running(TEST):
        target, sent = a_restore(driver)
        with pytest.raises(ContractViolation, match="restore_body_matches_the_contract"):
            driver.send(restore_case(target, sent))
        assert driver.inflight.counts.started == 0
        assert [restore.ok for restore in driver.report.restores] == ([False] if workers == 1 else [])
