"""Restore targets kept busy for the whole budget (run/keepbusy.py): while a test that needs no target of its own
runs, every target but the reserve is restored into again the moment its last restore is verified, on the
successful-restore property's behalf (its verdict), and a restoring test gets every target back; the plugin runs the
restoring tests first and the property last (plugin/tests.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from restore_contract.emulator import EmulatorConfig
from restore_contract.emulator.clock import ClockConfig
from restore_contract.emulator.faults import Fault
from restore_contract.plugin import tests as hooks
from restore_contract.plugin.session import run_of
from restore_contract.run import keepbusy
from restore_contract.run.budget import Budget
from restore_contract.run.configuration import RunSettings
from restore_contract.run.driver import Driver
from restore_contract.run.inflight import InFlight
from restore_contract.run.keepbusy import RESERVE, KeepBusy
from restore_contract.settings import Settings
from restore_contract.workspace import CONTRACT_SUITE
from tests.unit.emulated import emulated_driver
from tests.unit.test_contract_test_hooks import Marked

OWNER = "restore_contract/suite/test_properties.py::test_successful_restore_replaces_data_and_keeps_connections"
RESTORE_S = 0.3  # how long a restore recovers on the emulator here


def _until(condition: Callable[[], bool], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.02)


@contextmanager
def kept_busy(budget: float = 60.0, config: EmulatorConfig | None = None) -> Iterator[tuple[Driver, KeepBusy]]:
    slow = config or EmulatorConfig(clock=ClockConfig(mode="seconds", seconds=RESTORE_S))
    with emulated_driver(InFlight(workers=8), Budget(seconds=budget), slow) as driver:
        keep = driver.keep_busy = KeepBusy(driver, OWNER)
        keep.start()
        try:
            yield driver, keep
        finally:
            keep.close()


def test_a_test_that_restores_nothing_leaves_every_target_but_the_reserve_restored_into_again_and_again() -> None:
    with kept_busy() as (driver, keep):
        targets = list(driver.pool.ready)
        assert len(targets) > RESERVE
        keep.test_starts("t.py::a_4xx_property", restoring=False)
        assert len(driver.pool.ready) == RESERVE >= 1, "the tests keep a target not recovering, and see nothing else"
        assert sorted(driver.pool.ready + keep.lent) == sorted(targets)
        lent = len(keep.lent)
        # Each lent target is restored into again once its restore is verified, not once a test gets to it.
        _until(lambda: keep.started >= 3 * lent)
        assert driver.inflight.now >= 1
        keep.test_starts(OWNER, restoring=True)  # the property's turn: nothing more starts
        assert driver.inflight.finish(OWNER) == [], "the restores made on its behalf are its, verified"
        verified = driver.report.causes["started: verified end to end"]
        assert verified == keep.started, (verified, keep.started)
        _until(lambda: sorted(driver.pool.ready) == sorted(targets))


def test_a_restoring_test_gets_every_target_back_as_each_is_verified() -> None:
    with kept_busy() as (driver, keep):
        targets = list(driver.pool.ready)
        keep.test_starts("t.py::a_4xx_property", restoring=False)
        _until(lambda: keep.started >= len(keep.lent))
        keep.test_starts("t.py::a_restoring_test", restoring=True)
        _until(lambda: sorted(driver.pool.ready) == sorted(targets), seconds=RESTORE_S * 20)
        started = keep.started
        time.sleep(RESTORE_S * 3)
        assert keep.started == started, "nothing more is lent or restored into while a restoring test runs"
        # A test waiting for a free target takes one given back meanwhile.
        keep.test_stopped_sending(next_restoring=False)
        _until(lambda: len(driver.pool.ready) == RESERVE)
        keep.test_starts("t.py::a_restoring_test", restoring=True)
        waiting_for = list(driver.pool.ready)
        _until(lambda: all(driver.inflight.busy(target) for target in waiting_for) or keep.lent == [])
        free = driver.free_target(waiting_for, more=lambda: list(driver.pool.ready))
        assert free in targets
        assert driver.inflight.finish(OWNER) == []


def test_once_a_test_stops_sending_the_targets_it_frees_are_lent_unless_a_restoring_test_is_next() -> None:
    with kept_busy() as (driver, keep):
        targets = list(driver.pool.ready)
        keep.test_starts("t.py::restoring", restoring=True)
        time.sleep(0.3)
        assert (keep.lent, driver.pool.ready) == ([], targets), "nothing is lent while a test may choose a target"
        keep.test_stopped_sending(next_restoring=True)
        time.sleep(0.3)
        assert keep.lent == [], "the next test restores: it would take them back at once"
        keep.test_stopped_sending(next_restoring=False)
        _until(lambda: len(driver.pool.ready) == RESERVE)
        _until(lambda: keep.started >= 1)
        keep.test_starts(OWNER, restoring=True)
        assert driver.inflight.finish(OWNER) == []


def test_a_test_that_needs_no_target_lends_them_all_and_the_next_one_gets_its_reserve_back_first() -> None:
    with kept_busy() as (driver, keep):
        targets = list(driver.pool.ready)
        keep.test_starts("t.py::the_lifecycle_model", restoring=False, needs_targets=False)
        assert driver.pool.ready == [], "every target is restored into meanwhile"
        _until(lambda: keep.started >= 2 * len(targets))
        keep.test_stopped_sending(next_restoring=False)
        keep.test_starts("t.py::a_4xx_property", restoring=False)
        assert len(driver.pool.ready) == RESERVE, "given back, verified, before the test starts"
        assert not any(driver.inflight.busy(target) for target in driver.pool.ready)
        keep.test_starts(OWNER, restoring=True)
        assert driver.inflight.finish(OWNER) == []


def test_a_restoring_test_next_takes_the_lent_targets_back_as_they_are_verified() -> None:
    """Once a test stops sending and a restoring test is next, the lent targets go back (it would take them at once),
    and no more restores are started into them meanwhile."""
    with kept_busy() as (driver, keep):
        targets = list(driver.pool.ready)
        keep.test_starts("t.py::a_4xx_property", restoring=False)
        _until(lambda: keep.started >= len(keep.lent) > 0)
        keep.test_stopped_sending(next_restoring=True)
        _until(lambda: sorted(driver.pool.ready) == sorted(targets), seconds=RESTORE_S * 20)
        started = keep.started
        time.sleep(RESTORE_S * 3)
        assert keep.started == started, "nothing is restored into while the targets go back"
        keep.test_starts(OWNER, restoring=True)
        assert driver.inflight.finish(OWNER) == []


def test_a_test_that_finds_more_than_its_reserve_ready_starts_at_once() -> None:
    """Targets still recovering from the last test's restores are not lent: the next test finds them, more than its
    reserve, and takes nothing back (waiting for a lent one to be verified would only idle it)."""
    with kept_busy() as (driver, keep):
        keep.reserve = 0  # the emulator's pool has two targets: one recovering, one lent
        recovering = driver.pool.ready[:1]
        busy = driver.inflight.busy
        driver.inflight.busy = lambda target: target in recovering or busy(target)  # type: ignore[method-assign,assignment]
        keep.test_starts("t.py::a_4xx_property", restoring=False)
        assert driver.pool.ready == recovering, "not lent while recovering"
        _until(lambda: keep.started >= len(keep.lent) > 0)
        second = threading.Thread(target=keep.test_starts, args=("t.py::another_4xx_property", False), daemon=True)
        second.start()
        second.join(timeout=RESTORE_S * 10)
        assert not second.is_alive(), "the test waited for lent targets it did not need"
        assert driver.pool.ready == recovering
        driver.inflight.busy = busy  # type: ignore[method-assign]
        keep.test_starts(OWNER, restoring=True)
        assert driver.inflight.finish(OWNER) == []


def test_the_restores_go_through_every_completed_backup_in_turn() -> None:
    """In the pool's order, from its first completed backup, round and round: every backup is restored from."""
    with kept_busy() as (driver, keep):
        completed = [(b.database_id, b.id) for b in driver.pool.backups if b.status == "completed"]
        assert len(completed) > 1
        named = [(s["databaseId"], s["backupId"]) for s in (keep._body()["source"] for _ in range(2 * len(completed)))]
        assert named == completed + completed


def test_a_restore_is_started_only_into_a_lent_target_while_nothing_asks_for_them_back() -> None:
    """The thread looks again just before each restore: another thread may have changed what it decided on."""
    with kept_busy() as (driver, keep):
        sent = _counted_sends(driver)
        target = driver.pool.ready[0]
        assert keep._restore(target) is False, "not lent"
        with keep._lock:
            driver.pool.ready.remove(target)
            keep.lent.append(target)
        for state, value in (("_returning", True), ("_wanted", 1), ("_filling", False)):
            setattr(keep, state, value)
            assert keep._restore(target) is False, f"{state} = {value}"
            setattr(keep, state, type(value)())  # back to False / 0
        keep._filling = True
        assert sent == [], "none of them sent anything"
        assert keep._restore(target) is True
        assert sent == [target]
        keep.test_starts(OWNER, restoring=True)
        assert driver.inflight.finish(OWNER) == []


def test_every_free_lent_target_is_restored_into_at_once_not_one_per_look(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keepbusy, "POLL", 5.0)  # a look every 5 s: a restore per look would take 5 s for the second
    slow = EmulatorConfig(clock=ClockConfig(mode="seconds", seconds=RESTORE_S))
    with emulated_driver(InFlight(workers=8), Budget(seconds=60.0), slow) as driver:
        keep = driver.keep_busy = KeepBusy(driver, OWNER)
        keep.start()
        assert keep._thread is not None
        assert keep._thread.daemon, "an interrupted run must not wait for the thread at its exit"
        try:
            time.sleep(0.2)  # the thread waits for its next look
            with keep._lock:
                keep._lend(0)
                lent = len(keep.lent)
            assert lent >= 2
            keep._wake.set()
            _until(lambda: keep.started >= lent, seconds=2.0)
            # Each target is restored into again the moment its restore is verified, not at the next look.
            _until(lambda: keep.started >= 3 * lent, seconds=2 * RESTORE_S + 2.0)
            keep.test_starts(OWNER, restoring=True)
            assert driver.inflight.finish(OWNER) == []
        finally:
            keep.close()


def test_nothing_starts_that_the_runs_budget_could_not_verify() -> None:
    with kept_busy(budget=5.0) as (driver, keep):
        driver.budget.slowest_verification = 10.0
        targets = list(driver.pool.ready)
        keep.test_starts("t.py::a_4xx_property", restoring=False)
        _until(lambda: sorted(driver.pool.ready) == sorted(targets))
        assert keep.started == 0


def test_a_restore_that_breaks_the_contract_fails_the_property_and_stops_the_restores() -> None:
    broken = EmulatorConfig(
        clock=ClockConfig(mode="seconds", seconds=RESTORE_S), faults=frozenset({Fault.CREDENTIALS_ROTATED})
    )
    with kept_busy(config=broken) as (driver, keep):
        sent = _counted_sends(driver)
        keep.test_starts("t.py::a_4xx_property", restoring=False)
        _until(lambda: driver.inflight.has_failed(OWNER))
        time.sleep(RESTORE_S * 3)
        before = len(sent)
        time.sleep(RESTORE_S * 3)
        assert len(sent) == before, "the first failure stops the restores: none is sent after it"
        keep.test_starts(OWNER, restoring=True)
        found = driver.inflight.finish(OWNER)
        assert found, "the property's to report"
        assert all(violation.properties for violation in found)


def _counted_sends(driver: Driver, hold: threading.Event | None = None) -> list[str]:
    """The restores sent on the property's behalf, by target; with `hold`, each send waits for it first."""
    sent: list[str] = []
    send = driver.send_on_behalf

    def counted(test: str, case: Any, *, world: Any) -> None:
        sent.append(case.path_parameters["targetDatabaseId"])
        if hold is not None:
            hold.wait()
        send(test, case, world=world)

    driver.send_on_behalf = counted  # type: ignore[method-assign]
    return sent


def test_the_property_starts_only_once_a_restore_being_sent_is_in_flight() -> None:
    """A restore sent for the property while it starts is its: the property waits until it is in flight, so that
    `InFlight.finish` sees and verifies it."""
    with kept_busy() as (driver, keep):
        hold = threading.Event()
        sent = _counted_sends(driver, hold)
        keep.test_starts("t.py::a_4xx_property", restoring=False)
        _until(lambda: len(sent) == 1)
        owner = threading.Thread(target=keep.test_starts, args=(OWNER, True), daemon=True)
        owner.start()
        owner.join(timeout=RESTORE_S * 3)
        assert owner.is_alive(), "the property started while a restore on its behalf was still being sent"
        hold.set()
        owner.join(timeout=RESTORE_S * 10)
        assert not owner.is_alive()
        assert driver.inflight.finish(OWNER) == []
        assert driver.report.causes["started: verified end to end"] == keep.started == 1


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the thread's end, on purpose
def test_a_test_does_not_wait_for_lent_targets_once_the_restoring_thread_has_died() -> None:
    """An unexpected error can end the thread with a target still lent: a test must not wait for it forever."""
    with kept_busy() as (driver, keep):
        keep.test_starts("t.py::the_lifecycle_model", restoring=False, needs_targets=False)  # every target lent
        _until(lambda: keep.started >= 1)
        busy = driver.inflight.busy

        def broken(target: str) -> bool:
            raise RuntimeError("the thread ends here")

        driver.inflight.busy = broken  # type: ignore[method-assign,assignment]
        _until(lambda: keep._thread is not None and not keep._thread.is_alive())
        driver.inflight.busy = busy  # type: ignore[method-assign]
        assert keep.lent, "lent targets are still out"
        assert driver.pool.ready == [], "so the next test wants its reserve back"
        starting = threading.Thread(target=keep.test_starts, args=("t.py::another_4xx_property", False), daemon=True)
        starting.start()
        starting.join(timeout=RESTORE_S * 10)
        assert not starting.is_alive(), "the test waits for a target nothing will give back"
        keep.close()
        driver.inflight.finish(OWNER)


def test_an_unexpected_error_of_a_restore_stops_the_restores_and_is_kept_for_the_property() -> None:
    with kept_busy() as (driver, keep):
        sent: list[str] = []

        def failing(test: str, case: Any, *, world: Any) -> None:
            sent.append(test)
            raise RuntimeError("the network went away")

        driver.send_on_behalf = failing  # type: ignore[method-assign]
        keep.test_starts("t.py::a_4xx_property", restoring=False)
        _until(lambda: keep.error is not None)
        time.sleep(0.5)
        assert len(sent) == 1, "nothing more is sent once a restore failed unexpectedly"
        assert isinstance(keep.error, RuntimeError)
        assert keep._thread is not None
        assert keep._thread.is_alive(), "the error is kept, not the thread's end"


def test_a_test_wanting_its_reserve_back_does_not_wait_when_nothing_is_lent() -> None:
    """Every target may be out of `pool.ready` with none lent (the tests' own restores hold them): a test then
    starts at once, and waits for a free target the usual way."""
    with kept_busy() as (driver, keep):
        held, driver.pool.ready[:] = list(driver.pool.ready), []
        starting = threading.Thread(target=keep.test_starts, args=("t.py::a_4xx_property", False), daemon=True)
        starting.start()
        starting.join(timeout=RESTORE_S * 10)
        assert not starting.is_alive(), "the test waited for a lent target there is none of"
        driver.pool.ready[:] = held


def test_once_the_property_starts_nothing_more_is_restored_on_its_behalf_even_when_it_stops_sending() -> None:
    """The property's own restores are its last: none is started after it began (its finish would not wait for it)."""
    with kept_busy() as (driver, keep):
        sent = _counted_sends(driver)
        keep.test_starts("t.py::a_4xx_property", restoring=False)
        _until(lambda: len(sent) >= 1)
        keep.test_starts(OWNER, restoring=True)
        before = len(sent)
        keep.test_stopped_sending(next_restoring=False)  # the property waits for its restores: the run's last test
        time.sleep(RESTORE_S * 4)
        assert len(sent) == before, "restored on the property's behalf after it started"
        assert driver.inflight.finish(OWNER) == []


def test_nothing_is_sent_once_the_run_closed_even_from_the_targets_already_chosen() -> None:
    """close() while the thread is sending into the first of the free targets it chose: it sends nothing into the
    others (the run is over; their targets go back to the pool)."""
    with kept_busy() as (driver, keep):
        keep.reserve = 0  # both of the pool's targets lent
        hold = threading.Event()
        sent = _counted_sends(driver, hold)
        keep.test_starts("t.py::a_4xx_property", restoring=False)
        _until(lambda: len(sent) == 1)
        assert len(keep.lent) == 2, "the second is chosen too, waiting for the first send"
        closing = threading.Thread(target=keep.close, daemon=True)
        closing.start()
        _until(lambda: keep._closed)
        hold.set()
        closing.join(timeout=10)
        assert not closing.is_alive()
        assert len(sent) == 1, f"sent after the run closed: {sent[1:]}"
        driver.inflight.finish(OWNER)


def test_closing_waits_for_the_thread_and_needs_no_start() -> None:
    with kept_busy() as (driver, keep):
        keep.test_starts("t.py::a_4xx_property", restoring=False)
        _until(lambda: keep.started >= 1)
        keep.test_starts(OWNER, restoring=True)
        keep.close()
        assert keep._thread is not None
        assert not keep._thread.is_alive(), "closed: the thread has ended"
        assert driver.inflight.finish(OWNER) == []
        KeepBusy(driver, OWNER).close()  # a run that ended before its first test


SUITE = "restore_contract/suite"
NAMES = {
    "conflicts": f"{SUITE}/test_conflicts.py::test_a_restore_while_the_last_one_recovers_is_refused",
    "owner": OWNER,
    "schemathesis": f"{SUITE}/test_schemathesis.py::test_restore",
    "lifecycle": f"{SUITE}/test_lifecycle.py::test_lifecycle",
    "probe": f"{SUITE}/test_first_answers.py::test_no_token_is_401",
    "other": f"{SUITE}/test_properties.py::test_missing_backup_is_404",
}
WEIGHTS = {"conflicts": 20.0, "owner": 20.0, "schemathesis": 4.0, "lifecycle": 4.0}


def _items() -> list[Marked]:
    items = []
    for name, nodeid in NAMES.items():
        item = Marked(nodeid.removeprefix(f"{SUITE}/"), WEIGHTS.get(name), decisive=name == "probe")
        item.path = CONTRACT_SUITE / nodeid.removeprefix(f"{SUITE}/").split("::", 1)[0]
        item.nodeid, item.label = nodeid, name  # type: ignore[attr-defined]
        items.append(item)
    return items


def _config(live: bool, workers: int | None = None, maxfail: int = 0) -> Any:
    config = SimpleNamespace(
        args=[str(CONTRACT_SUITE)],
        invocation_params=SimpleNamespace(dir=Path.cwd()),
        option=SimpleNamespace(maxfail=maxfail),
    )
    config.stash = pytest.Stash()
    if workers:
        config.workerinput = {"workercount": workers}
    settings = Settings(target="live" if live else "replay", profile="nightly")
    run_of(cast(Any, config)).settings = RunSettings(settings, 1440.0, live=cast(Any, object()) if live else None)
    return config


@pytest.mark.parametrize(("live", "workers"), [(True, None), (False, None), (True, 2)])
def test_where_targets_are_kept_busy_the_restoring_tests_go_first_and_the_property_last(
    live: bool, workers: int | None
) -> None:
    items, config = _items(), _config(live, workers)
    hooks.pytest_collection_modifyitems(config, cast(Any, items))
    order = [item.label for item in items]  # type: ignore[attr-defined]
    if live and workers is None:
        assert order == ["conflicts", "schemathesis", "lifecycle", "probe", "other", "owner"]
        assert run_of(config).keep_busy_owner == OWNER
    else:  # inline verification, or xdist workers (the property may run on another): the heaviest first, as ever
        assert order == ["conflicts", "owner", "schemathesis", "lifecycle", "probe", "other"]
        assert run_of(config).keep_busy_owner is None


def test_where_targets_are_kept_busy_a_run_stopping_at_its_first_failure_has_the_probes_first() -> None:
    items, config = _items(), _config(live=True, maxfail=1)
    hooks.pytest_collection_modifyitems(config, cast(Any, items))
    order = [item.label for item in items]  # type: ignore[attr-defined]
    assert order == ["probe", "conflicts", "schemathesis", "lifecycle", "other", "owner"]
    assert run_of(config).keep_busy_owner == OWNER


def test_the_last_test_of_the_driver_is_told_so_for_its_share() -> None:
    items = _items()
    session = SimpleNamespace(items=items)
    config = SimpleNamespace()
    for item in items:
        item.session, item.config = session, config  # type: ignore[attr-defined]
    assert [hooks._last(cast(Any, item)) for item in items] == [False] * (len(items) - 1) + [True]
    config.workerinput = {"workercount": 2}
    assert not hooks._last(cast(Any, items[-1])), "a worker does not know which tests the others run"


class Told:
    """What the plugin tells the restores keeping the targets busy (run/keepbusy.py's KeepsTargetsBusy)."""

    def __init__(self, owner: str = OWNER, error: BaseException | None = None) -> None:
        self.owner, self.error, self.started = owner, error, 0
        self.starts: list[tuple[str, bool, bool]] = []
        self.stopped: list[bool] = []

    def test_starts(self, test: str, restoring: bool, needs_targets: bool = True) -> None:
        self.starts.append((test, restoring, needs_targets))

    def test_stopped_sending(self, next_restoring: bool) -> None:
        self.stopped.append(next_restoring)


ORDER = ["conflicts", "schemathesis", "lifecycle", "probe", "other", "owner"]  # as a run keeping targets busy has them


def _run_in_order(told: Told, returns: object = True) -> dict[str, object]:
    """Each test of _items() through the plugin's pytest_pyfunc_call, in that order, as a run keeping targets busy
    runs them: what each returned or raised."""
    items = sorted(_items(), key=lambda item: ORDER.index(item.label))  # type: ignore[attr-defined]
    session, config = SimpleNamespace(items=items), SimpleNamespace()
    ended: dict[str, object] = {}
    with emulated_driver(config=EmulatorConfig(data_plane="memory")) as driver:
        driver.keep_busy = cast(Any, told)
        for item in items:
            item.session, item.config = session, config  # type: ignore[attr-defined]
            item.funcargs, item.originalname = {"driver": driver}, item.name  # type: ignore[attr-defined]
            call = hooks.pytest_pyfunc_call(cast(Any, item))
            next(call)
            try:
                call.send(returns)
            except StopIteration as done:
                ended[item.label] = done.value  # type: ignore[attr-defined]
            except Exception as error:  # what the test ended with is the subject
                ended[item.label] = error  # type: ignore[attr-defined]
    return ended


def test_each_test_says_whether_it_restores_and_needs_targets_then_whether_a_restoring_test_is_next() -> None:
    told = Told()
    _run_in_order(told)

    assert told.starts == [
        (NAMES[label], label in ("conflicts", "schemathesis", "owner"), label != "lifecycle") for label in ORDER
    ]
    # After each: is the next test a restoring one (then the targets it frees are not lent)? The last has none.
    assert told.stopped == [True, False, False, False, True, False]


def test_what_stopped_the_restores_fails_the_test_they_report_to_and_no_other() -> None:
    stopped = RuntimeError("rate-limited for 600 s on POST /v1/databases/db_c1/restore")
    ended = _run_in_order(Told(error=stopped), returns="passed")

    assert ended.pop("owner") is stopped
    assert set(ended.values()) == {"passed"}


def test_once_the_budget_is_spent_only_the_owner_with_restores_to_report_still_starts() -> None:
    """It reports the restores made on its behalf; with none made, it would check nothing, like any other."""
    owner = SimpleNamespace(path=CONTRACT_SUITE / "test_properties.py", nodeid=OWNER, fixturenames=["driver"])
    other = SimpleNamespace(path=CONTRACT_SUITE / "test_properties.py", nodeid=NAMES["other"], fixturenames=["driver"])
    config = SimpleNamespace(stash=pytest.Stash())
    owner.config = other.config = config
    run = run_of(cast(Any, config))
    run.budget = Budget(seconds=5.0, started=time.monotonic() - 6)

    def starts(item: Any, started: int) -> bool:
        run.keep_busy = cast(Any, SimpleNamespace(owner=OWNER, started=started))
        try:
            hooks.pytest_runtest_setup(item)
        except pytest.skip.Exception:
            return False
        return True

    assert [starts(owner, 1), starts(owner, 0), starts(other, 1), starts(other, 0)] == [True, False, False, False]
