"""One decisive example of each documented answer, first: a broken server fails within seconds with `-x`.

The generated phases (the properties, the lifecycle, schemathesis) take minutes; the one that meets a fault first
decided how long a `-x` run took to stop. These probes send one request (or one short sequence) per documented cause:
401 (no token, an invalid one, a token without `workspace:admin`, another workspace's), 404 (each kind of id that
names no database, a deleted database, a missing backup, a backup of another database, a missing source database),
422 (another source type, a body that is not JSON, a backup that is not completed), 409 (a database held busy, one
still recovering, one still provisioning) and a 200 verified end to end (the target's data replaced by the backup's,
rows written after the backup gone, its connections kept, the credentials issued before still logging in, and the
next restore of it accepted). The plugin runs this module before the others (`decisive`: plugin/tests.py).

They add checks of nothing new: every request goes through the driver, so the oracle and the restore checks judge it
exactly as they judge the generated ones (which still run, with the same examples), on the world the API shows just
before it; whatever a target cannot provide (a held 'provisioning' database, a second token, a backup that is not
completed) makes its probe skip, saying what it lacks.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from restore_contract.checks.violation import violated
from restore_contract.contracts import RestoreWorld, TargetState
from restore_contract.dataset.golden import fixture_data
from restore_contract.dataset.tables import canonical
from restore_contract.run.driver import Driver, read_case, restore_case
from restore_contract.strategies.payloads import RawBody
from restore_contract.suite.arrange import MALFORMED_BODY, own_backup, pick, settled, valid_body
from restore_contract.suite.test_authorization import own_scratch, send_restore, token_of
from restore_contract.suite.test_id_probes import PROBES, nothing_named, probe_id
from restore_contract.targets.base import NO_ADMIN, OTHER_WORKSPACE
from restore_contract.targets.pool import Pool

pytestmark = pytest.mark.decisive

NO_SUCH_BACKUP = RestoreWorld(backup_exists=False, backup_status=None)


def restore(driver: Driver, target_id: str, body: Any, world: RestoreWorld | None, **send: Any) -> httpx.Response:
    if isinstance(body, RawBody):
        return driver.send(restore_case(target_id), raw_body=body.content, world=world, **send)
    return driver.send(restore_case(target_id, body), world=world, **send)


def a_target(pool: Pool) -> str:
    """A database the run may restore into (401 and 403 must not depend on it existing: else an id it minted)."""
    return pool.ready[0] if pool.ready else f"c{pool.mint()}"


# --- 401: 'Missing or invalid authorization token.'
def test_no_token_is_401(driver: Driver, pool: Pool) -> None:
    restore(driver, a_target(pool), valid_body(pool, 0), RestoreWorld(token_valid=False), authenticated=False)


def test_an_invalid_token_is_401(driver: Driver, pool: Pool) -> None:
    token = f"not-a-token-{pool.mint()}"
    restore(driver, a_target(pool), valid_body(pool, 0), RestoreWorld(token_valid=False), token=token)


def test_a_token_without_admin_scope_is_refused(driver: Driver, pool: Pool) -> None:
    """'Scope: workspace:admin': 401, or 403 (reported as a deviation); never 200."""
    token = token_of(driver, NO_ADMIN)
    send_restore(driver, own_scratch(pool, 0), valid_body(pool, 0), token, RestoreWorld(token_admin=False))


def test_another_workspace_restores_nothing_of_this_one(driver: Driver, pool: Pool) -> None:
    """Another workspace's admin token: this workspace's database, and from this workspace's backup, not found."""
    token = token_of(driver, OTHER_WORKSPACE)
    if pool.foreign_backups:
        backup = pool.foreign_backups[0]
        body = {"source": {"type": "backup", "databaseId": backup.database_id, "backupId": backup.id}}
        world = RestoreWorld(target_foreign=True)
    else:  # live: the second workspace has no backup the run knows of (see test_authorization.py)
        body, world = valid_body(pool, 0), RestoreWorld(target_foreign=True, source_foreign=True)
    send_restore(driver, own_scratch(pool, 0), body, token, world)
    if pool.foreign:
        send_restore(driver, pool.foreign[0], valid_body(pool, 0), token, RestoreWorld(source_foreign=True))


# --- 404: 'Target database, source database or backup not found.' (422 for an id the pattern rejects)
@pytest.mark.parametrize("kind", sorted(PROBES), ids=lambda kind: kind.replace(" ", "-"))
def test_an_id_that_names_no_database_reaches_none(driver: Driver, pool: Pool, kind: str) -> None:
    """A restore into, then a read of, an id derived from the run's own database or minted: nothing found."""
    probe = probe_id(pool, kind, 0)
    restore(driver, probe, valid_body(pool, 0), nothing_named(probe))
    response = driver.send(read_case("getV1DatabasesByDatabaseId", probe))
    if response.is_success:
        raise violated(
            "an_id_that_names_no_database_is_not_found",
            f"a read of {probe!r} ({kind}) answered {response.status_code}: {response.text[:300]}",
        )


def test_a_deleted_database_is_404(driver: Driver, pool: Pool) -> None:
    gone = pick(pool.deleted, 0, "deleted databases (needs PRISMA_CONTRACT_PROJECT_ID)")
    restore(driver, gone, valid_body(pool, 0), RestoreWorld(target=TargetState.MISSING))


def test_a_missing_backup_is_404(driver: Driver, pool: Pool) -> None:
    body = valid_body(pool, 0, backupId=f"bkp_c{pool.mint()}")
    restore(driver, settled(driver, pool, 0), body, NO_SUCH_BACKUP)


def test_a_backup_of_another_database_is_404(driver: Driver, pool: Pool) -> None:
    owner, backup_id = own_backup(pool, 0)
    others = [d for d in pool.database_ids if d != owner and d not in pool.deleted]
    body = {"source": {"type": "backup", "databaseId": pick(others, 0), "backupId": backup_id}}
    restore(driver, settled(driver, pool, 0), body, NO_SUCH_BACKUP)


def test_a_missing_source_database_is_404(driver: Driver, pool: Pool) -> None:
    world = RestoreWorld(source_database_exists=False, backup_exists=None, backup_status=None)
    restore(driver, settled(driver, pool, 0), valid_body(pool, 0, databaseId=f"db_c{pool.mint()}"), world)


# --- 422: 'Invalid source type or backup not usable.' (and invalid input)
def test_another_source_type_is_422(driver: Driver, pool: Pool) -> None:
    world = RestoreWorld(source_type_is_backup=False)
    restore(driver, settled(driver, pool, 0), valid_body(pool, 0, type="database"), world)


def test_a_body_that_is_not_json_is_422(driver: Driver, pool: Pool) -> None:
    """Not JSON, and not even UTF-8: 422 (a 400 tolerated and reported), never a 5xx, nothing changed."""
    restore(driver, settled(driver, pool, 0), RawBody(b'{"source": \xff\xfe'), MALFORMED_BODY)


def test_a_backup_not_completed_is_422(driver: Driver, pool: Pool) -> None:
    unusable = [b for b in pool.backups if b.status != "completed"]
    if not unusable:
        pytest.skip("no known backup that is not completed (live: the golden source's list has none)")
    backup = unusable[0]
    body = {"source": {"type": "backup", "databaseId": backup.database_id, "backupId": backup.id}}
    restore(driver, settled(driver, pool, 0), body, RestoreWorld(backup_status=backup.status))


# --- 409: 'Target database is currently provisioning or recovering and cannot be restored.'
@pytest.mark.parametrize("status", ["provisioning", "recovering"])
def test_a_busy_database_is_409(driver: Driver, pool: Pool, status: str) -> None:
    """The emulator holds a database in each busy status; elsewhere a scratch database restored into right after it
    was created is the provisioning window (judged on the world the API shows: a 200 is fine once it is ready), and
    the recovering window is the 200's (test_a_restore_while_the_last_one_recovers_is_409)."""
    held = [database_id for database_id, state in pool.busy.items() if state == status]
    if held and driver.target.control is not None:
        driver.target.control.force_status(held[0], status)
        restore(driver, held[0], valid_body(pool, 0), RestoreWorld(target=TargetState(status)))
    elif status == "provisioning" and pool.project_id:
        driver.send(restore_case(pool.create_database("provisioning-first"), valid_body(pool, 0)))
    else:
        pytest.skip(f"no database held {status} (needs the emulator's control plane)")


# --- 200: verified to its end, then the 409 while it recovers and the next restore accepted
def test_a_restore_replaces_the_data_and_keeps_connections_and_credentials(driver: Driver, pool: Pool) -> None:
    """200 → recovering → ready with exactly the backup's data (rows written after it gone), the same connections,
    the credentials issued before logging in afresh (the driver's checks); then the same target restored again once
    it is ready: accepted, not still locked."""
    target_id = settled(driver, pool, 0)
    probe = driver.target.data is not None and bool(pool.credentials_of(target_id))
    if probe:
        pool.write(target_id, fixture_data("written-after-the-backup"))
    database_id, backup_id = own_backup(pool, 0)
    body = {"source": {"type": "backup", "databaseId": database_id, "backupId": backup_id}}
    restore(driver, target_id, body, RestoreWorld())
    if probe:
        found, expected = driver.data_after_restore(target_id), pool.data_of(backup_id)
        assert expected is not None, "the pool knows what each backup holds"
        if canonical(found or {}) != canonical(expected):
            raise violated("data_written_after_the_backup_is_gone", f"{target_id} holds {found}, not {expected}")
    restore(driver, driver.free_target([target_id]), body, RestoreWorld())


def test_a_restore_while_the_last_one_recovers_is_409(driver: Driver, pool: Pool) -> None:
    """Restore again right after a 200: 409 while it recovers (a 200 is fine once the API shows it settled)."""
    target = settled(driver, pool, 0)
    body = valid_body(pool, 0)
    driver.send(restore_case(target, body), while_recovering=lambda: driver.send(restore_case(target, body)))
