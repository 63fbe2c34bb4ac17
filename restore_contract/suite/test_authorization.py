"""Authorization beyond a valid token: the scope the restore page names, and the databases of another workspace.

For a destructive call the worst bug is one that lets the wrong caller run it. Two callers besides the run's admin
token (targets/base.py): a valid token of the same workspace without `workspace:admin` (a read-only service token),
and an admin token of a second workspace. The first must restore nothing (401, or 403 as the other database routes
declare), whatever else is wrong with the request; the second must neither see nor restore the run's databases, nor
restore a database of its own workspace from a backup of the run's (another tenant's data). Every restore goes
through the driver: the oracle, `restore_requires_admin_scope`, `restore_stays_in_its_workspace` and the other checks
judge it, and a change to the target is a violation whatever the answer.

Restores sent with these tokens name only databases the run created itself (its scratch databases, one of them in the
second workspace), so a server that wrongly accepts one overwrites nothing but the run's own. Without the tokens (a
live run that was not given them) the tests skip, and the coverage table says which setting is missing.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from restore_contract.checks.violation import violated
from restore_contract.contracts import RestoreWorld
from restore_contract.run.driver import Driver, read_case, restore_case
from restore_contract.settings import ENV
from restore_contract.strategies.payloads import RawBody, invalid_restore_bodies
from restore_contract.suite.arrange import indices, pick, valid_body
from restore_contract.targets.base import NO_ADMIN, OTHER_WORKSPACE, SETTING_OF
from restore_contract.targets.pool import Pool

READS = ("getV1DatabasesByDatabaseId", "getV1DatabasesByDatabaseIdBackups", "getV1DatabasesByDatabaseIdConnections")


def token_of(driver: Driver, kind: str) -> str:
    token = driver.target.tokens.get(kind)
    if token is None:
        pytest.skip(f"not checked: set {SETTING_OF[kind]} ({kind} token; see README: live targets)")
    return token


def own_scratch(pool: Pool, index: int) -> str:
    """A database the run created and may restore into: the only kind these tokens are sent to restore."""
    return pick([d for d in pool.restore_targets if d in pool.scratch], index, "scratch databases of this run")


def send_restore(driver: Driver, target: str, body: Any, token: str, world: RestoreWorld) -> None:
    if isinstance(body, RawBody):
        driver.send(restore_case(target), raw_body=body.content, token=token, world=world)
    else:
        driver.send(restore_case(target, body), token=token, world=world)


@given(index=indices, target_index=indices, malformed=st.one_of(st.none(), invalid_restore_bodies()))
def test_a_token_without_admin_scope_restores_nothing(
    driver: Driver, pool: Pool, index: int, target_index: int, malformed: Any
) -> None:
    """'Scope: workspace:admin': refused (401, or 403 reported as a deviation) into a ready, busy, failed or deleted
    scratch database, with a valid or a malformed body; never 200, never a change."""
    token = token_of(driver, NO_ADMIN)
    body = valid_body(pool, index) if malformed is None else malformed
    send_restore(driver, own_scratch(pool, target_index), body, token, RestoreWorld(token_admin=False))


@given(target_index=indices, read=st.sampled_from(READS))
def test_another_workspace_does_not_see_this_ones_database(
    driver: Driver, pool: Pool, target_index: int, read: str
) -> None:
    """Its admin token reads the run's database: not found (or 401/403), never the database."""
    token = token_of(driver, OTHER_WORKSPACE)
    database_id = own_scratch(pool, target_index)
    response = driver.send(read_case(read, database_id), token=token)
    if response.status_code not in (401, 403, 404):
        raise violated(
            "another_workspace_sees_nothing",
            f"{read} of {database_id} with an admin token of another workspace answered {response.status_code} "
            f"(404, or 401/403, expected: the database is not its workspace's): {response.text[:300]}",
        )


@given(index=indices, target_index=indices)
def test_another_workspace_does_not_restore_this_ones_database(
    driver: Driver, pool: Pool, index: int, target_index: int
) -> None:
    """Its admin token restores the run's database from a backup of its own (overwriting another tenant's data), or
    where it has none from the run's: not found (or 401/403); never 200, never a change."""
    token = token_of(driver, OTHER_WORKSPACE)
    if pool.foreign_backups:
        backup = pool.foreign_backups[index % len(pool.foreign_backups)]
        body = {"source": {"type": "backup", "databaseId": backup.database_id, "backupId": backup.id}}
        world = RestoreWorld(target_foreign=True)
    else:  # live: the second workspace has no backup the run knows of, so the source is foreign too
        body, world = valid_body(pool, index), RestoreWorld(target_foreign=True, source_foreign=True)
    send_restore(driver, own_scratch(pool, target_index), body, token, world)


@given(index=indices, target_index=indices)
def test_another_workspace_does_not_restore_from_this_ones_backup(
    driver: Driver, pool: Pool, index: int, target_index: int
) -> None:
    """Its admin token restores a database of its own workspace (the one the run made there) from a backup of the
    run's golden source: that would copy another tenant's data out. Not found (or 401/403); never 200, never a
    change to its database."""
    token = token_of(driver, OTHER_WORKSPACE)
    if not pool.foreign:
        pytest.skip(f"not checked: set {ENV['other_workspace_project_id']} (a project of the second workspace)")
    target = pool.foreign[target_index % len(pool.foreign)]
    send_restore(driver, target, valid_body(pool, index), token, RestoreWorld(source_foreign=True))
