"""Arranging a world for a property: picking the run's databases and backups by drawn index.

`given` needs strategies at import time, but the pool exists only in a fixture, so tests draw indices and
pick pool members with them; a target that offers nothing to pick makes the test skip, saying what it lacks.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import strategies as st

from restore_contract.contracts import RestoreWorld
from restore_contract.run.driver import Driver
from restore_contract.targets.pool import Pool

indices = st.integers(min_value=0, max_value=1_000)
# A body too malformed for its source to mean anything: what it names decides nothing.
MALFORMED_BODY = RestoreWorld(
    body_well_formed=False,
    source_type_is_backup=None,
    source_database_exists=None,
    backup_exists=None,
    backup_status=None,
)


def pick(items: list[str], index: int, what: str = "restorable databases") -> str:
    if not items:
        pytest.skip(f"this target offers no {what} (see docs/nightly.md)")
    return items[index % len(items)]


def settled(driver: Driver, pool: Pool, index: int) -> str:
    """A restorable database with no restore of this run still in flight (one still recovering would rightly
    answer 409, not what the test arranged): the indexed one, or the next free one after it, waiting when all are
    busy, or for a target given back meanwhile (run/keepbusy.py). With restores verified inline nothing is ever in
    flight, so this is always the indexed one."""
    if not pool.ready:
        pytest.skip("this target offers no restorable databases (see docs/nightly.md)")
    start = index % len(pool.ready)
    return driver.free_target(pool.ready[start:] + pool.ready[:start], more=lambda: list(pool.ready))


def own_backup(pool: Pool, index: int, status: str = "completed") -> tuple[str, str]:
    """(database, backup) of a known backup with `status`, named with the database it belongs to."""
    matching = [b for b in pool.backups if b.status == status]
    if not matching:
        pytest.skip(f"no known backup in status {status!r} (live: the golden source's list has none)")
    backup = matching[index % len(matching)]
    return backup.database_id, backup.id


def unguarded(driver: Driver) -> None:
    """Tests that restore into ids the run does not own cannot run where the safety guard is on."""
    if driver.target.guarded:
        pytest.skip("restores into ids this run does not own: the safety guard forbids that on live targets")


def valid_body(pool: Pool, index: int, **overrides: Any) -> dict[str, Any]:
    database_id, backup_id = own_backup(pool, index)
    return {"source": {"type": "backup", "databaseId": database_id, "backupId": backup_id, **overrides}}
