"""How busy a run kept its restore targets (run/utilisation.py): restore-target-seconds used (each restore that
answered 200, from its request to the end of its verification) over those available (restore targets times the
restoring phase), counted by the driver, merged over workers, and said in every summary and the progress line."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any, cast

import httpx
import pytest

from restore_contract.emulator import EmulatorConfig
from restore_contract.emulator.clock import ClockConfig
from restore_contract.plugin.fixtures import _progress
from restore_contract.reporting.markdown import markdown
from restore_contract.run.budget import Budget
from restore_contract.run.driver import restore_case
from restore_contract.run.inflight import InFlight
from restore_contract.run.record import RunRecord, merge, render
from restore_contract.run.utilisation import Utilisation
from tests.unit.emulated import backup_of, body, emulated_driver


def test_used_is_each_restore_from_its_request_to_its_verification_and_available_the_targets_times_the_phase() -> None:
    used = Utilisation(frozenset({"t1", "t2", "t3", "t4"}), started=100.0)
    first = used.sent(101.0, "t1")
    second = used.sent(102.0, "t2")
    assert first is not None
    assert second is not None
    assert used.sent(103.0, "a database a test made for itself") is None, "not a restore target: not counted"
    used.verified(first, at=111.0)  # 10 s
    assert used.seconds_used(now=112.0) == 10.0 + 10.0, "the one in flight counts up to now"
    assert used.seconds_available(now=112.0) == 4 * 12.0
    assert used.busy(now=112.0) == 20.0 / 48.0, "at the time asked about, not now"
    used.verified(second, at=122.0)  # 20 s
    used.verified(second, at=130.0)  # a second word on the same restore counts nothing
    used.end(at=140.0)
    assert used.seconds_used() == 30.0
    assert used.seconds_available() == 4 * 40.0, "to the end of the phase, however late it is asked"
    assert used.busy() == 30.0 / 160.0
    assert Utilisation(frozenset(), started=5.0).busy(now=10.0) == 0.0, "nothing available: nothing busy"


def test_a_verification_reported_before_its_request_was_sent_counts_nothing() -> None:
    """Times from two clocks (a caller's `at`) can disagree by a little: a restore never uses negative time."""
    used = Utilisation(frozenset({"t1"}), started=100.0)
    token = used.sent(105.0, "t1")
    assert token is not None
    assert used.seconds_used(now=104.0) == 0.0, "in flight, asked about a time before it was sent"
    assert used.seconds_available(now=99.0) == 0.0, "asked about a time before the phase started"
    assert used.busy(now=105.5) == 0.5 / 5.5
    early = Utilisation(frozenset({"t1"}), started=100.0)
    early.sent(100.0, "t1")
    assert early.busy(now=100.5) == 1.0, "however little was available"
    used.verified(token, at=104.5)
    assert used.used == 0.0


def test_an_inline_restore_holds_its_target_until_verified_and_a_refused_one_not_at_all() -> None:
    with emulated_driver() as driver:
        database_id, backup_id = backup_of(driver.pool)
        target = driver.pool.ready[0]
        driver.send(restore_case(f"db_{'x' * 25}", body(database_id, backup_id)))  # 404: holds nothing
        assert driver.utilisation.seconds_used() == 0.0
        before = time.monotonic()
        driver.send(restore_case(target, body(database_id, backup_id)))
        took = time.monotonic() - before
        used = driver.utilisation.seconds_used()
        assert 0.0 < used <= took
        assert driver.utilisation.targets == len(driver.pool.ready)
        aliased = next(ready for ready in driver.pool.ready if ready.startswith("db_"))
        driver.send(restore_case(aliased.removeprefix("db_"), body(database_id, backup_id)))
        assert driver.utilisation.seconds_used() > used, "a target named another way is the same target"
        driver.utilisation.ids = frozenset()  # as for a database a test made for itself
        counted = driver.utilisation.seconds_used()
        driver.send(restore_case(target, body(database_id, backup_id)))
        assert driver.utilisation.seconds_used() == counted


def test_a_restore_verified_in_the_background_holds_its_target_until_its_verification_ends() -> None:
    slow = EmulatorConfig(clock=ClockConfig(mode="seconds", seconds=0.4))
    with emulated_driver(InFlight(workers=4), config=slow) as driver:
        database_id, backup_id = backup_of(driver.pool)
        driver.send(restore_case(driver.pool.ready[0], body(database_id, backup_id)))
        in_flight = driver.utilisation.seconds_used()
        assert driver.inflight.finish("?") == []
        assert driver.utilisation.seconds_used() >= 0.4, "the restore took 0.4 s to recover, all of it counted"
        assert in_flight < 0.4, "while it was in flight, only the time so far"
        time.sleep(0.2)
        settled = driver.utilisation.seconds_used()
        time.sleep(0.1)
        assert driver.utilisation.seconds_used() == settled, "verified: its target counts no more"


def _record(**figures: Any) -> RunRecord:
    return RunRecord(target={"name": "live"}, profile="nightly", budget_s=60.0, elapsed_s=59.0, **figures)


def test_the_summaries_say_how_busy_the_targets_were_and_workers_figures_add_up() -> None:
    one = _record(restore_targets=7, target_seconds_used=700.0, target_seconds_available=1400.0)
    other = _record(restore_targets=3, target_seconds_used=500.0, target_seconds_available=600.0)
    both = merge([one, other])
    assert (both.restore_targets, both.target_seconds_used, both.target_seconds_available) == (10, 1200.0, 2000.0)
    assert both.utilisation == 0.6
    assert RunRecord.from_json(both.to_json()).utilisation == 0.6
    assert both.to_json()["utilisation"] == 0.6
    lines = [text for text, _ in render(both)]
    assert "restore targets: 60 % busy (1200 of 2000 restore-target-seconds: 10 target(s), each restore from its " \
        "request to its verification)" in lines  # fmt: skip
    assert "Restore targets **60 % busy**: 1200 of 2000 restore-target-seconds" in markdown(both, [])
    nothing = _record()
    assert nothing.utilisation is None
    assert not any(text.startswith("restore targets:") for text, _ in render(nothing))
    assert "busy**" not in markdown(nothing, [])


def test_the_progress_line_says_how_busy_the_targets_are_so_far() -> None:
    budget = Budget(seconds=100.0)
    budget.running = "restore_contract/suite/test_properties.py::test_x"
    used = Utilisation(frozenset({"t1", "t2"}), started=time.monotonic() - 10.0)
    token = used.sent(time.monotonic() - 5.0, "t1")
    assert token is not None
    used.verified(token)  # 5 of 20 restore-target-seconds
    driver = SimpleNamespace(
        report=RunRecord(),
        budget=budget,
        target=SimpleNamespace(traffic=SimpleNamespace(sent=3, retries=0, waited=0.0)),
        inflight=InFlight(workers=1),
        utilisation=used,
    )
    line = _progress(cast(Any, driver))
    assert line is not None
    assert "failed 0, targets 25 % busy | requests 3" in line


def test_a_target_is_held_from_the_restores_request_not_its_answer_and_not_by_a_refused_restore(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A restore holds its target from when its request went out (the answer may take a while), and one refused while
    naming a real target holds nothing (the target stays the tests')."""
    with emulated_driver() as driver:
        transmit = driver._transmit

        def slow_answer(*args: Any) -> httpx.Response:
            time.sleep(0.3)  # the request is out: its target is held from here
            return transmit(*args)

        monkeypatch.setattr(driver, "_transmit", slow_answer)
        database_id, backup_id = backup_of(driver.pool)
        target = driver.pool.ready[0]
        refused = driver.send(restore_case(target, body(database_id, f"bkp_{driver.pool.mint()}")))
        assert refused.status_code == 404
        assert driver.utilisation.seconds_used() == 0.0
        driver.send(restore_case(target, body(database_id, backup_id)))
        assert driver.utilisation.seconds_used() >= 0.3, "the answer's 0.3 s were the target's too"
