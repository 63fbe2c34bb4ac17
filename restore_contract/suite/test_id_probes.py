"""Routing and id normalisation, on every target: ids derived from the run's own databases and ids it mints.

A derived id (the prefix's case changed, another segment then an encoded slash before it, trailing characters)
names no database, so restore must not reach the database it was derived from, and the reads must not find
one; a minted id (each branch of the id pattern, unicode, very long) names nothing either. On a live target
the safety guard lets these through only because every database they could reach under a lenient server's
normalisation is the run's own (targets/guard.py): the blast radius of a faulty server is the run's own.

The unprefixed form of an owned id may reach it or not (the docs allow both), so it is judged by the world
the API shows, like every restore.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from restore_contract.checks.violation import violated
from restore_contract.contracts import RestoreWorld, TargetState, matches_database_id
from restore_contract.run.driver import Driver, read_case, restore_case
from restore_contract.targets.pool import Pool

# Each probe: how it makes an id from an owned id and a minted token, and whether it names a database for sure.
Make = Callable[[str, str], str]
DERIVED: dict[str, Make] = {
    "prefix in upper case": lambda owned, _: "DB_" + owned.removeprefix("db_"),
    "prefix in mixed case": lambda owned, _: "Db_" + owned.removeprefix("db_"),
    "a minted segment, an encoded slash, then the id": lambda owned, token: f"c{token}/{owned}",
    "trailing space": lambda owned, _: owned + " ",
    "trailing dot": lambda owned, _: owned + ".",
    "trailing slash": lambda owned, _: owned + "/",
    "trailing tab": lambda owned, _: owned + "\t",
}
MINTED: dict[str, Make] = {
    "cuid branch": lambda _, token: f"c{token}",
    "upper-case C branch": lambda _, token: f"C{token}",
    "prefixed cuid": lambda _, token: f"db_c{token}",
    "lower-case alphanumeric branch": lambda _, token: token,
    "unicode": lambda _, token: f"c{token}éß漢字𝄞",
    "very long": lambda _, token: f"c{token}" + "x" * 300,
}
READS = ("getV1DatabasesByDatabaseId", "getV1DatabasesByDatabaseIdBackups", "getV1DatabasesByDatabaseIdConnections")
PROBES = {**DERIVED, **MINTED}
indices = st.integers(min_value=0, max_value=1_000)


def probe_id(pool: Pool, kind: str, index: int) -> str:
    """Derived from a database the run may restore into (never from the golden source: the guard would refuse)."""
    owned = pool.ready
    if not owned and kind in DERIVED:
        pytest.skip("ids derived from the run's own databases need one (see docs/nightly.md)")
    return PROBES[kind](owned[index % len(owned)] if owned else "", pool.mint())


def nothing_named(probe: str) -> RestoreWorld:
    return RestoreWorld(target_id_matches_regex=matches_database_id(probe), target=TargetState.MISSING)


@given(kind=st.sampled_from(sorted(PROBES)), index=indices, backup_index=indices)
def test_a_restore_into_a_derived_or_minted_id_reaches_no_database(
    driver: Driver, pool: Pool, kind: str, index: int, backup_index: int
) -> None:
    """404 (or 422 for an id the pattern rejects): never the owned database it was derived from, never a 5xx."""
    probe = probe_id(pool, kind, index)
    completed = [b for b in pool.backups if b.status == "completed"]
    if not completed:
        pytest.skip("no completed backup to name (live: set PRISMA_CONTRACT_SOURCE_DATABASE_ID)")
    backup = completed[backup_index % len(completed)]
    body = {"source": {"type": "backup", "databaseId": backup.database_id, "backupId": backup.id}}
    driver.send(restore_case(probe, body), world=nothing_named(probe))


@given(kind=st.sampled_from(sorted(PROBES)), index=indices, read=st.sampled_from(READS))
def test_a_read_of_a_derived_or_minted_id_finds_nothing(
    driver: Driver, pool: Pool, kind: str, index: int, read: str
) -> None:
    """Get the database, list its backups or connections: not found (a 400 for an id the pattern rejects is the
    contract's named deviation), never the owned database's answer, never a 5xx (the built-in checks)."""
    probe = probe_id(pool, kind, index)
    response = driver.send(read_case(read, probe))
    if response.is_success:
        raise violated(
            "an_id_that_names_no_database_is_not_found",
            f"{read} of {probe!r} ({kind}) answered {response.status_code}: {response.text[:300]}",
        )


@given(index=indices)
def test_the_unprefixed_form_reaches_the_database_or_nothing(driver: Driver, pool: Pool, index: int) -> None:
    """The docs allow `c…` to alias `db_c…` or not: whichever a server does, a GET must say the same as a restore
    (the restore is judged on the world the GET showed, by the driver)."""
    owned = pool.ready
    if not owned:
        pytest.skip("needs a database the run owns to restore into (see docs/nightly.md)")
    database_id = owned[index % len(owned)]
    if not database_id.startswith("db_"):
        pytest.skip("this server's ids have no db_ prefix to leave out")
    completed = [b for b in pool.backups if b.status == "completed"]
    if not completed:
        pytest.skip("no completed backup to name (live: set PRISMA_CONTRACT_SOURCE_DATABASE_ID)")
    body = {"source": {"type": "backup", "databaseId": completed[0].database_id, "backupId": completed[0].id}}
    driver.send(restore_case(database_id.removeprefix("db_"), body))
