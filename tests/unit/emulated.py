"""A driver over a fresh in-process emulator (memory data plane) and its filled pool: what the suite's fixtures give
a contract test, in a few hundred milliseconds, for tests of the driver and the checks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from restore_contract.emulator import EmulatorConfig
from restore_contract.run.budget import Budget
from restore_contract.run.driver import Driver
from restore_contract.run.inflight import InFlight
from restore_contract.run.record import RunRecord
from restore_contract.targets import emulator_target
from restore_contract.targets.pool import Pool, fill_emulator_pool


@contextmanager
def emulated_driver(
    inflight: InFlight | None = None, budget: Budget | None = None, config: EmulatorConfig | None = None
) -> Iterator[Driver]:
    target = emulator_target(config)
    assert target.control is not None
    pool = Pool(target)
    fill_emulator_pool(pool, target.control)
    made = Driver(target, pool, RunRecord(), inflight, budget)
    try:
        yield made
    finally:
        made.inflight.close()
        pool.delete_scratch()
        target.close()


def body(database_id: str, backup_id: str, **overrides: Any) -> dict[str, Any]:
    return {"source": {"type": "backup", "databaseId": database_id, "backupId": backup_id, **overrides}}


def backup_of(pool: Pool, status: str = "completed", database_id: str | None = None) -> tuple[str, str]:
    """(database, backup) of the first known backup in `status` (of `database_id`, if given)."""
    known = next(b for b in pool.backups if b.status == status and database_id in (None, b.database_id))
    return known.database_id, known.id
