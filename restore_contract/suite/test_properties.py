"""Property-based semantics of restore: one property per documented answer, over generated inputs.

Every request goes through the driver, so besides the property each test states, the oracle and all
restore checks (body shape, recovering, connections kept, data replaced, nothing changed on failure)
judge it too.
"""

from __future__ import annotations

import string
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from restore_contract.checks.violation import violated
from restore_contract.contracts import (
    RESTORE,
    RestoreWorld,
    TargetState,
    describe_body,
    describe_json,
    errors_of,
    expected_statuses,
    validator_for,
)
from restore_contract.dataset.golden import fixture_data
from restore_contract.dataset.tables import canonical
from restore_contract.run.driver import ARRANGED, Driver, restore_case
from restore_contract.strategies.ids import invalid_database_ids, valid_database_ids
from restore_contract.strategies.payloads import RawBody, invalid_restore_bodies, not_backup, restore_bodies_for
from restore_contract.suite.arrange import MALFORMED_BODY, indices, own_backup, pick, settled, unguarded, valid_body
from restore_contract.targets.pool import Pool

# Naming a backup that is not among the named database's: 'not found'.
NO_SUCH_BACKUP = RestoreWorld(backup_exists=False, backup_status=None)
# Tokens a header can carry (RFC 6750 b64token characters).
TOKENS = st.text(string.ascii_letters + string.digits + "-._~+/=", min_size=1, max_size=40)


def restore(driver: Driver, target_id: str, body: Any, world: RestoreWorld | None, **send: Any) -> httpx.Response:
    """Restore through the driver: the oracle judges the answer against the world the test arranged (`world`)
    and against the world the API shows; every restore check runs too."""
    if isinstance(body, RawBody):
        return driver.send(restore_case(target_id), raw_body=body.content, world=world, **send)
    return driver.send(restore_case(target_id, body), world=world, **send)


@given(index=indices, target_index=indices, token=st.one_of(st.none(), TOKENS))
def test_no_valid_token_is_401_whatever_else_is_wrong(
    driver: Driver, pool: Pool, index: int, target_index: int, token: str | None
) -> None:
    """'401: Missing or invalid authorization token.' — and nothing changes (checked by the driver)."""
    body = valid_body(pool, index)
    # Without a database to restore into, an id the run mints: the answer must be 401 all the same.
    target_id = pick(pool.restore_targets, target_index) if pool.restore_targets else f"c{pool.mint()}"
    unauthorized = RestoreWorld(token_valid=False)
    if token is None:
        restore(driver, target_id, body, unauthorized, authenticated=False)
    elif token != driver.target.token:
        restore(driver, target_id, body, unauthorized, token=token)


@given(index=indices, target_id=valid_database_ids())
def test_unknown_database_is_404(driver: Driver, pool: Pool, index: int, target_id: str) -> None:
    """Any regex-valid id that names no database: 404 (never 200, never 5xx), '/', '%', '?', '#', unicode included."""
    unguarded(driver)
    if target_id in pool.database_ids:
        return
    restore(driver, target_id, valid_body(pool, index), RestoreWorld(target=TargetState.MISSING))


@given(index=indices, target_id=invalid_database_ids())
def test_regex_invalid_id_is_404_or_422(driver: Driver, pool: Pool, index: int, target_id: str) -> None:
    unguarded(driver)
    world = RestoreWorld(target_id_empty=target_id == "", target_id_matches_regex=False, target=TargetState.MISSING)
    restore(driver, target_id, valid_body(pool, index), world)


@given(index=indices, target_index=indices, kind=not_backup)
def test_source_type_other_than_backup_is_422(
    driver: Driver, pool: Pool, index: int, target_index: int, kind: str
) -> None:
    """'422: Invalid source type' — for a target that could otherwise be restored."""
    world = RestoreWorld(source_type_is_backup=False)
    restore(driver, settled(driver, pool, target_index), valid_body(pool, index, type=kind), world)


@given(target_index=indices, body=invalid_restore_bodies())
def test_malformed_body_is_422(driver: Driver, pool: Pool, target_index: int, body: Any) -> None:
    """Invalid input is refused with 422 (a 400 is tolerated and reported as a documentation deviation).

    A body whose only fault is its source type names ids this test did not arrange (their existence may decide
    the answer first): the oracle judges it on the world the API shows, as for every restore."""
    facts = describe_body(body.content) if isinstance(body, RawBody) else describe_json(body)
    restore(driver, settled(driver, pool, target_index), body, None if facts.well_formed else MALFORMED_BODY)


@given(index=indices, target_index=indices, other_index=indices)
def test_backup_of_another_database_is_404(
    driver: Driver, pool: Pool, index: int, target_index: int, other_index: int
) -> None:
    """databaseId is 'ID of the database the backup belongs to': naming another database finds no backup."""
    owner, backup_id = own_backup(pool, index)
    others = [d for d in pool.database_ids if d != owner and d not in pool.deleted]
    body = {"source": {"type": "backup", "databaseId": pick(others, other_index), "backupId": backup_id}}
    restore(driver, settled(driver, pool, target_index), body, NO_SUCH_BACKUP)


@given(index=indices, target_index=indices, backup_id=st.text(min_size=1, max_size=30))
def test_missing_backup_is_404(driver: Driver, pool: Pool, index: int, target_index: int, backup_id: str) -> None:
    if any(b.id == backup_id for b in pool.backups):
        return
    restore(driver, settled(driver, pool, target_index), valid_body(pool, index, backupId=backup_id), NO_SUCH_BACKUP)


@given(index=indices, target_index=indices, source_id=valid_database_ids())
def test_missing_source_database_is_404(
    driver: Driver, pool: Pool, index: int, target_index: int, source_id: str
) -> None:
    if source_id in pool.database_ids:
        return
    world = RestoreWorld(source_database_exists=False, backup_exists=None, backup_status=None)
    restore(driver, settled(driver, pool, target_index), valid_body(pool, index, databaseId=source_id), world)


@pytest.mark.parametrize("status", ["running", "failed", "unknown"])
@given(index=indices, target_index=indices)
def test_backup_not_completed_is_422(driver: Driver, pool: Pool, status: str, index: int, target_index: int) -> None:
    """'422: ... backup not usable.'"""
    database_id, backup_id = own_backup(pool, index, status)
    body = {"source": {"type": "backup", "databaseId": database_id, "backupId": backup_id}}
    restore(driver, settled(driver, pool, target_index), body, RestoreWorld(backup_status=status))


@given(index=indices, deleted_index=indices)
def test_deleted_database_is_404(driver: Driver, pool: Pool, index: int, deleted_index: int) -> None:
    """A database that was deleted is 'not found', however good the restore request is (use after delete)."""
    gone = pick(pool.deleted, deleted_index, "deleted databases (needs PRISMA_CONTRACT_PROJECT_ID)")
    restore(driver, gone, valid_body(pool, index), RestoreWorld(target=TargetState.MISSING))


@given(index=indices, busy_index=indices)
def test_busy_target_is_409(driver: Driver, pool: Pool, index: int, busy_index: int) -> None:
    """'409: Target database is currently provisioning or recovering and cannot be restored.'"""
    busy = pick(list(pool.busy), busy_index, "databases held in provisioning/recovering (needs the emulator)")
    # Held afresh for every example: a server that wrongly accepted an earlier one has moved the database on,
    # and Hypothesis replays the failing example to report it, which must meet the same world again.
    assert driver.target.control is not None, "only an emulator's pool holds databases busy"
    driver.target.control.force_status(busy, pool.busy[busy])
    restore(driver, busy, valid_body(pool, index), RestoreWorld(target=TargetState(pool.busy[busy])))


@pytest.mark.budget_weight(20)  # successful restores are what the suite is for: the largest share
@given(index=indices, target_index=indices, data=st.data())
def test_successful_restore_replaces_data_and_keeps_connections(
    driver: Driver, pool: Pool, index: int, target_index: int, data: st.DataObject
) -> None:
    """200 → recovering → ready, with the backup's data, the same connections and working credentials.

    The driver's checks poll GET until the restore ends and compare data, connections and credentials.
    Cross-database restores (a backup of another database, named with its owner) are included.
    """
    database_id, backup_id = own_backup(pool, index)
    body = data.draw(restore_bodies_for(st.just((database_id, backup_id))))
    restore(driver, settled(driver, pool, target_index), body, RestoreWorld())


@settings(max_examples=10)
@given(index=indices, target_index=indices)
def test_data_written_after_the_backup_is_gone(driver: Driver, pool: Pool, index: int, target_index: int) -> None:
    """'Any data written since the backup was taken will be lost.' Written and read back by logging in with the
    connection string the API issued (the data probe), as a user of the database would."""
    target_id = settled(driver, pool, target_index)
    if driver.target.data is None or not pool.credentials_of(target_id):
        pytest.skip("no data probe for this target (replay, or PRISMA_CONTRACT_DATA_PROBE=off)")
    pool.write(target_id, fixture_data("written-after-the-backup"))
    database_id, backup_id = own_backup(pool, index)
    body = {"source": {"type": "backup", "databaseId": database_id, "backupId": backup_id}}
    restore(driver, target_id, body, RestoreWorld())
    found, expected = driver.data_after_restore(target_id), pool.data_of(backup_id)
    assert expected is not None, "the pool knows what each backup holds"
    if canonical(found or {}) != canonical(expected):
        raise violated("data_written_after_the_backup_is_gone", f"{target_id} holds {found}, not {expected}")


def test_restore_while_recovering_is_409_and_the_first_restore_wins(driver: Driver, pool: Pool) -> None:
    """A second restore during recovery is refused, and the restore in flight still delivers its backup."""
    control = driver.target.control
    if control is None:
        pytest.skip("holding a database in 'recovering' needs the emulator's control plane")
    target_id = pool.ready[0]
    first, second = [b for b in pool.backups if b.status == "completed" and b.database_id in pool.sources][:2]
    clock = control.clock()
    control.set_clock("manual")
    try:
        # Sent past the driver, which would wait for the end of the recovery that the manual clock holds.
        body = {"source": {"type": "backup", "databaseId": first.database_id, "backupId": first.id}}
        started = driver.api.restore(target_id, body)
        validator = validator_for(RESTORE, started.status_code)
        problems = [] if validator is None else errors_of(validator, started.json())
        if not expected_statuses(RestoreWorld()).accepts(started.status_code) or problems:
            raise violated(ARRANGED, f"the first restore answered {started.status_code}: {problems or started.text}")
        if started.json()["data"]["status"] != "recovering":
            raise violated("restore_starts_recovering", f"the first restore answered {started.text}")
        body = {"source": {"type": "backup", "databaseId": second.database_id, "backupId": second.id}}
        restore(driver, target_id, body, RestoreWorld(target=TargetState.RECOVERING))
        control.force_status(target_id, "ready")
        found, expected = driver.probe.read_data(target_id), pool.data_of(first.id)
        assert found is not None, "the emulator always has a data probe"
        assert expected is not None, "the pool knows what each backup holds"
        if canonical(found) != canonical(expected):
            raise violated("the_first_restore_wins", f"{target_id} holds {found}, not the first backup's {expected}")
    finally:
        control.set_clock(clock)
