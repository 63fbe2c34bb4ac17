"""The checks of each restore (restore_contract/checks/restore.py, the probe, the built-in checks) against servers
that break them: every emulator fault makes one request (or two) through the driver fail with a violation naming a
property the fault is declared to break (`emulator.faults.CAUGHT_BY`), and the same requests to a correct emulator
pass.

The meta-test tests/meta/test_fault_detection.py proves the same of whole runs of the suite (three seeds, ~35
runs each); this is its in-process, one-request form, quick enough to judge a mutant of the checks by.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from restore_contract.checks.restore import RESTORE_CHECKS
from restore_contract.checks.violation import ContractViolation
from restore_contract.contracts import RestoreWorld, TargetState, matches_database_id
from restore_contract.dataset.golden import fixture_data
from restore_contract.emulator import Fault
from restore_contract.emulator.faults import CAUGHT_BY
from restore_contract.run.driver import Driver, restore_case
from restore_contract.run.inflight import InFlight
from restore_contract.targets.base import NO_ADMIN, OTHER_WORKSPACE
from restore_contract.targets.pool import Pool
from tests.unit.emulated import backup_of, body, emulated_driver

Scenario = Callable[[Driver, Pool], object]


@pytest.fixture
def driver() -> Iterator[Driver]:
    with emulated_driver() as made:
        yield made


def restore(driver: Driver, target_id: str, sent: Any, world: RestoreWorld | None = None, **send: Any) -> None:
    driver.send(restore_case(target_id, sent), world=world, **send)


def successful_restore(driver: Driver, pool: Pool) -> None:
    """A restore of another database's backup into a ready target (written to after its own backup)."""
    restore(driver, pool.ready[0], body(*backup_of(pool)), RestoreWorld())


def restore_of_the_targets_own_backup(driver: Driver, pool: Pool) -> None:
    """The target was written to after its backup: those rows must be gone."""
    target = pool.ready[0]
    restore(driver, target, body(*backup_of(pool, database_id=target)), RestoreWorld())


def two_restores_one_after_the_other(driver: Driver, pool: Pool) -> None:
    successful_restore(driver, pool)
    successful_restore(driver, pool)


def restore_into(status: str) -> Scenario:
    def scenario(driver: Driver, pool: Pool) -> None:
        busy = next(database for database, held in pool.busy.items() if held == status)
        restore(driver, busy, body(*backup_of(pool)), RestoreWorld(target=TargetState(status)))

    return scenario


def restore_of_a_backup_named_with_another_database(driver: Driver, pool: Pool) -> None:
    _, backup_id = backup_of(pool, database_id=pool.sources[0])
    world = RestoreWorld(backup_exists=False, backup_status=None)
    restore(driver, pool.ready[0], body(pool.sources[1], backup_id), world)


def restore_of_a_failed_backup(driver: Driver, pool: Pool) -> None:
    restore(driver, pool.ready[0], body(*backup_of(pool, "failed")), RestoreWorld(backup_status="failed"))


def restore_from_a_missing_source(driver: Driver, pool: Pool) -> None:
    _, backup_id = backup_of(pool)
    world = RestoreWorld(source_database_exists=False, backup_exists=None, backup_status=None)
    restore(driver, pool.ready[0], body(f"c{pool.mint()}", backup_id), world)


def restore_of_another_source_type(driver: Driver, pool: Pool) -> None:
    world = RestoreWorld(source_type_is_backup=False)
    restore(driver, pool.ready[0], body(*backup_of(pool), type="database"), world)


def restore_with_a_missing_backup(driver: Driver, pool: Pool) -> None:
    """404: and the target, written to since its backup, keeps its data."""
    database_id, _ = backup_of(pool)
    restore(driver, pool.ready[0], body(database_id, f"bkp_{pool.mint()}"), RestoreWorld(backup_exists=False))


def restore_of_a_deleted_database(driver: Driver, pool: Pool) -> None:
    restore(driver, pool.deleted[0], body(*backup_of(pool)), RestoreWorld(target=TargetState.MISSING))


def restore_without_a_token(driver: Driver, pool: Pool) -> None:
    restore(driver, pool.ready[0], body(*backup_of(pool)), RestoreWorld(token_valid=False), authenticated=False)


def restore_without_admin_scope(driver: Driver, pool: Pool) -> None:
    restore(driver, pool.ready[0], body(*backup_of(pool)), token=driver.target.tokens[NO_ADMIN])


def restore_by_another_workspace(driver: Driver, pool: Pool) -> None:
    """The other workspace's admin restores this workspace's database from a backup of its own."""
    own = pool.foreign_backups[0]
    restore(driver, pool.ready[0], body(own.database_id, own.id), token=driver.target.tokens[OTHER_WORKSPACE])


def restore_from_another_workspaces_backup(driver: Driver, pool: Pool) -> None:
    """The other workspace's admin restores its own database from a backup of this workspace's database."""
    restore(driver, pool.foreign[0], body(*backup_of(pool)), token=driver.target.tokens[OTHER_WORKSPACE])


def restore_by_a_derived_id(derive: Callable[[str], str]) -> Scenario:
    def scenario(driver: Driver, pool: Pool) -> None:
        probe = derive(pool.ready[0])
        world = RestoreWorld(target_id_matches_regex=matches_database_id(probe), target=TargetState.MISSING)
        restore(driver, probe, body(*backup_of(pool)), world)

    return scenario


def restore_with_a_bad_body(driver: Driver, pool: Pool) -> None:
    """A refusal (422): its error body must have the documented envelope."""
    restore(driver, pool.ready[0], {"source": "not an object"})


def restore_with_a_body_that_is_not_json(driver: Driver, pool: Pool) -> None:
    driver.send(restore_case(pool.ready[0]), raw_body=b'{"source": ')


def restore_into_a_long_id(driver: Driver, pool: Pool) -> None:
    """The probe reads the target first: a 500 there is a violation of that read."""
    restore(driver, f"c{pool.mint()}" + "x" * 300, body(*backup_of(pool)), RestoreWorld(target=TargetState.MISSING))


def restore_into_a_unicode_id(driver: Driver, pool: Pool) -> None:
    restore(driver, f"c{pool.mint()}é", body(*backup_of(pool)))


def restore_then_another(driver: Driver, pool: Pool) -> None:
    """A restore sent past the driver, then one through it: the probe logs in to the target before it, with the
    credential issued before the first."""
    response = driver.client.post(f"/v1/databases/{pool.ready[0]}/restore", json=body(*backup_of(pool)))
    assert response.status_code == 200, response.text
    assert driver.probe.database(pool.ready[0]) is not None  # the immediate clock: this read ends the recovery
    successful_restore(driver, pool)


# One request (or two) that exposes each fault a restore check must catch, run through the driver.
SCENARIOS: dict[Fault, Scenario] = {
    Fault.RESTORE_ANSWERS_READY: successful_restore,
    Fault.SOURCE_NOT_ECHOED: successful_restore,
    Fault.NO_CONFLICT_WHILE_RECOVERING: restore_into("recovering"),
    Fault.NO_CONFLICT_WHILE_PROVISIONING: restore_into("provisioning"),
    Fault.FOREIGN_BACKUP_ACCEPTED: restore_of_a_backup_named_with_another_database,
    Fault.UNUSABLE_BACKUP_ACCEPTED: restore_of_a_failed_backup,
    Fault.MISSING_SOURCE_ACCEPTED: restore_from_a_missing_source,
    Fault.OTHER_SOURCE_TYPE_ACCEPTED: restore_of_another_source_type,
    Fault.CONNECTIONS_REPLACED: successful_restore,
    Fault.RECOVERY_NEVER_FINISHES: successful_restore,
    Fault.DATA_NOT_REPLACED: successful_restore,
    Fault.DATA_PARTLY_REPLACED: successful_restore,
    Fault.DATA_LAID_OVER: restore_of_the_targets_own_backup,
    Fault.LOCK_NOT_RELEASED: two_restores_one_after_the_other,
    Fault.DELETED_DATABASE_RESTORABLE: restore_of_a_deleted_database,
    Fault.FAILED_RESTORE_MUTATES: restore_with_a_missing_backup,
    Fault.AUTH_IGNORED: restore_without_a_token,
    Fault.SCOPE_IGNORED: restore_without_admin_scope,
    Fault.OTHER_WORKSPACE_TARGET_ACCEPTED: restore_by_another_workspace,
    Fault.OTHER_WORKSPACE_BACKUP_ACCEPTED: restore_from_another_workspaces_backup,
    Fault.PREFIX_CASE_FOLDED: restore_by_a_derived_id(lambda owned: "DB_" + owned.removeprefix("db_")),
    Fault.ENCODED_SLASH_SPLIT: restore_by_a_derived_id(lambda owned: f"cx/{owned}"),
    Fault.TRAILING_JUNK_TRIMMED: restore_by_a_derived_id(lambda owned: owned + " "),
    Fault.ERROR_ENVELOPE_WRONG: restore_with_a_bad_body,
    Fault.RESPONSE_SCHEMA_WRONG: successful_restore,
    Fault.CREDENTIALS_ROTATED: restore_then_another,
    Fault.ROLES_DROPPED: restore_then_another,
    Fault.UNICODE_ID_500: restore_into_a_unicode_id,
    Fault.LONG_ID_500: restore_into_a_long_id,
    Fault.MALFORMED_BODY_500: restore_with_a_body_that_is_not_json,
    Fault.CONTENT_TYPE_WRONG: successful_restore,
}


def test_every_fault_has_a_scenario_and_every_restore_check_catches_one() -> None:
    assert set(SCENARIOS) == set(Fault)
    assert {check.name for check in RESTORE_CHECKS} <= {p for fault in SCENARIOS for p in CAUGHT_BY[fault]}


def test_a_correct_emulator_passes_every_scenario(driver: Driver) -> None:
    """No false alarm: each scenario, on a correct server, breaks nothing (and gets its answers checked)."""
    for scenario in dict.fromkeys(SCENARIOS.values()):
        scenario(driver, driver.pool)
    # Five restores through the driver answered 200 (one, the target's own backup, two in a row, one after a restore
    # sent past it) and were verified to their end.
    assert driver.report.checked["restore finishes with the backup's data and the same credentials"] == 5
    assert driver.report.failures == {}


@pytest.mark.parametrize("fault", list(SCENARIOS), ids=str)
def test_a_property_named_for_the_fault_catches_it(driver: Driver, fault: Fault) -> None:
    assert driver.target.control is not None
    driver.target.control.set_faults([fault.value])
    with pytest.raises(ContractViolation) as caught:
        SCENARIOS[fault](driver, driver.pool)
    assert set(caught.value.properties) & CAUGHT_BY[fault], (caught.value.properties, str(caught.value)[:2000])


def test_rows_written_after_the_backup_are_named_when_a_restore_leaves_them(driver: Driver) -> None:
    """'Any data written since the backup was taken will be lost': the failure shows the expected and found data."""
    assert driver.target.control is not None
    target = driver.pool.ready[0]
    driver.pool.write(target, fixture_data("written-after-the-backup"))
    driver.target.control.set_faults([Fault.DATA_LAID_OVER.value])
    with pytest.raises(ContractViolation, match="rows written after the backup must be gone") as caught:
        restore_of_the_targets_own_backup(driver, driver.pool)
    assert caught.value.properties == ("restore_finishes_with_backup_data",)


@pytest.mark.parametrize(
    ("fault", "who"),
    [
        (Fault.OTHER_WORKSPACE_TARGET_ACCEPTED, "restoring this workspace's database was let through"),
        (Fault.OTHER_WORKSPACE_BACKUP_ACCEPTED, "restoring a backup of another workspace's database was let through"),
    ],
)
def test_a_restore_across_workspaces_says_what_it_reached(driver: Driver, fault: Fault, who: str) -> None:
    assert driver.target.control is not None
    driver.target.control.set_faults([fault.value])
    with pytest.raises(ContractViolation, match=who):
        SCENARIOS[fault](driver, driver.pool)


def test_every_answer_is_judged_and_every_body_below_500_against_the_contract(driver: Driver) -> None:
    """HTTP answers are 100 to 599: the checks of any answer judge all of them; a 5xx body has no contract to meet
    (its status is the violation), every other body does."""
    observed = driver._observe(restore_case(driver.pool.ready[0], body(*backup_of(driver.pool))), None, "valid", None)
    assert observed is not None
    by_name = {check.name: check for check in RESTORE_CHECKS}
    judged = {status for status in range(0, 1000) if by_name["restore_status_follows_docs"].applies(status, observed)}
    assert judged == set(range(100, 600))
    bodies = {status for status in range(0, 1000) if by_name["restore_body_matches_contract"].applies(status, observed)}
    assert bodies == set(range(100, 500))


def test_with_background_verification_the_answer_is_still_judged_when_it_comes() -> None:
    """Only the checks that wait for the end of the recovery are deferred: a 200 that says the wrong thing fails
    the request that got it, not later."""
    with emulated_driver(InFlight(workers=2)) as driver:
        assert driver.target.control is not None
        driver.target.control.set_faults([Fault.RESTORE_ANSWERS_READY.value])
        with pytest.raises(ContractViolation) as failed:
            successful_restore(driver, driver.pool)
        assert failed.value.properties == ("restore_starts_recovering",)
        assert {check.name for check in RESTORE_CHECKS if check.waits} == {"restore_finishes_with_backup_data"}


@pytest.mark.parametrize(
    "source",
    [
        {"type": 7, "databaseId": "from the pool", "backupId": "from the pool"},  # malformed, with both ids
        {"type": "backup", "backupId": "bkp_cnodatabase000000001"},  # no databaseId
    ],
    ids=["a field of the wrong type", "no databaseId"],
)
def test_the_ids_of_a_malformed_body_are_not_looked_up(
    driver: Driver, source: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only what decides the answer is read: a malformed body is a 422 whatever it names, so the probe reads the
    target alone (before and after), never the source or its backups."""
    database_id, backup_id = backup_of(driver.pool)
    named = {"databaseId": database_id, "backupId": backup_id}
    sent = {key: named.get(key, value) if value == "from the pool" else value for key, value in source.items()}
    read: list[str] = []
    database, backup = driver.probe.database, driver.probe.backup

    def database_read(database_id: str, *, with_data: bool = False) -> Any:
        read.append(database_id)
        return database(database_id, with_data=with_data)

    def backups_listed(source_id: str, backup_id: str) -> tuple[bool, str | None]:
        read.append(f"backups of {source_id}")
        return backup(source_id, backup_id)

    monkeypatch.setattr(driver.probe, "database", database_read)
    monkeypatch.setattr(driver.probe, "backup", backups_listed)
    target = driver.pool.ready[0]
    restore(driver, target, {"source": sent})
    assert read == [target, target]


def test_the_emulators_pool_restores_into_two_targets_each_written_to_after_its_backup(driver: Driver) -> None:
    pool = driver.pool
    names = [driver.client.get(f"/v1/databases/{database}").json()["data"]["name"] for database in pool.ready]
    assert [name.rsplit("-", 2)[-2:] for name in names] == [["target", "1"], ["target", "2"]]
    for database in pool.ready:  # so a restore of its own backup that keeps the later rows is caught
        _, own_backup = backup_of(pool, database_id=database)
        assert driver.probe.read_data(database) != pool.data_of(own_backup)
