"""The driver with restores verified in the background (restore_contract/run/driver.py): a restore is judged on
the world just before it is sent, so a verification still reading its target must have ended first, whatever name
the request gives that target (`_observe`); and what a verification finds once the run was interrupted is nobody's
verdict (the pool is deleting the databases under it)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from restore_contract.checks.probe import Before
from restore_contract.checks.violation import ContractViolation
from restore_contract.run import driver as driver_module
from restore_contract.run.driver import Driver, restore_case, running
from restore_contract.run.inflight import InFlight
from restore_contract.run.record import RunRecord
from restore_contract.targets import emulator_target
from restore_contract.targets.pool import Pool, fill_emulator_pool


@pytest.fixture
def driver() -> Iterator[Driver]:
    """A driver that verifies restores in the background, as on a live target, over the in-process emulator
    (which lets `c…` reach `db_c…`)."""
    target = emulator_target()
    assert target.control is not None
    pool = Pool(target)
    fill_emulator_pool(pool, target.control)
    made = Driver(target, pool, RunRecord(), InFlight(workers=2))
    try:
        yield made
    finally:
        assert made.inflight.close() == []
        pool.delete_scratch(sweep=False)
        target.close()


def test_a_restore_by_the_unprefixed_name_waits_for_the_verification_of_its_database(
    driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    database_id = next(ready for ready in driver.pool.ready if ready.startswith("db_"))
    backup = next(backup for backup in driver.pool.backups if backup.status == "completed")
    events: list[str] = []

    def verifying() -> ContractViolation | None:  # a restore into `database_id`, still recovering for a while
        time.sleep(0.3)
        events.append("verified")
        return None

    driver.inflight.start("earlier test", database_id, verifying)
    read = driver.probe.before

    def before(target_id: str, body: bytes | None, *, token_valid: bool = True) -> Before:
        seen = read(target_id, body, token_valid=token_valid)
        events.append(f"read {seen.world.target.value}")
        return seen

    monkeypatch.setattr(driver.probe, "before", before)
    body = {"source": {"type": "backup", "databaseId": backup.database_id, "backupId": backup.id}}
    driver.send(restore_case(database_id.removeprefix("db_"), body))
    assert "verified" in events, events
    assert events[-1].startswith("read "), f"the world the restore was judged on was read too early: {events}"


def test_what_a_verification_finds_after_the_run_was_interrupted_is_not_reported(
    driver: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An interrupted run drops its verifications in flight and deletes its databases; a verification still polling
    then meets a deleted target. That once reached the summary as a failure of `restore_finishes_with_backup_data`."""
    checked = driver_module._restore_failures
    interrupted, found = threading.Event(), threading.Event()

    def failing_once_interrupted(*args: Any) -> list[tuple[str, str]]:
        if threading.current_thread() is threading.main_thread():
            return checked(*args)  # the checks made when the answer comes
        interrupted.wait(5)  # the background verification: it ends after the interrupt, on a deleted database
        found.set()
        return [("restore_finishes_with_backup_data", "the database is gone")]

    monkeypatch.setattr(driver_module, "_restore_failures", failing_once_interrupted)
    backup = next(backup for backup in driver.pool.backups if backup.status == "completed")
    body = {"source": {"type": "backup", "databaseId": backup.database_id, "backupId": backup.id}}
    with running("interrupted test"):
        assert driver.send(restore_case(driver.pool.ready[0], body)).status_code == 200
    assert driver.inflight.close(abandon=True) == []
    interrupted.set()
    deadline = time.monotonic() + 5
    while driver.inflight.now and time.monotonic() < deadline:  # until the verification has ended
        time.sleep(0.01)
    assert found.is_set()
    assert not driver.inflight.now
    assert driver.report.failures == {}, "an abandoned verification's finding reached the report"
    assert not driver.inflight.has_failed("interrupted test")
    assert driver.inflight.counts.failed == 0
