"""A stateful model of databases, backups and restores, checked against the API after every step.

Hypothesis chooses the sequence: create databases, take backups (where the target has a control plane),
write data (through the data probe), restore (own and other databases' backups, the same target again,
into deleted databases, naming the wrong database), delete, read. The model knows the world independently
of what the server says about it, so the driver's oracle judges each restore answer against the *model's*
world as well as against the world the API shows (data, connections, credentials after a 200).

Successful restores are what the model is for (the data after them is the property the docs promise), so
three of the rules restore with a request that must succeed, the databases kept alive stay few, and a run
reaches several successful restores and reads after them; the summary counts them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from restore_contract.checks.violation import violated
from restore_contract.contracts import BUSY_STATUSES, RestoreWorld, TargetState, response_validator
from restore_contract.dataset.golden import fixture_data
from restore_contract.dataset.tables import Tables, canonical
from restore_contract.run.driver import Driver, restore_case
from restore_contract.targets.pool import Pool
from restore_contract.targets.waiting import wait_for

# Enough live databases for cross-database restores; few enough that restores, not creations, fill a run.
MAX_LIVE = 3
picks = st.integers(min_value=0, max_value=1_000)


@dataclass
class ModelDatabase:
    id: str
    connections: list[str]
    data: Tables | None  # None: unknown (no data probe)
    deleted: bool = False
    restored: int = 0  # successful restores into it so far


@dataclass(frozen=True)
class ModelBackup:
    id: str
    owner: str
    data: Tables | None


class Lifecycle(RuleBasedStateMachine):
    driver: ClassVar[Driver]
    pool: ClassVar[Pool]

    def __init__(self) -> None:
        super().__init__()
        self.model: dict[str, ModelDatabase] = {}
        self.backups: list[ModelBackup] = []
        self.api = self.driver.api
        self.control = self.driver.target.control
        self.probe = self.driver.probe

    # --- the model -------------------------------------------------------------------------------

    def _live(self) -> list[ModelDatabase]:
        return [database for database in self.model.values() if not database.deleted]

    def _deleted(self) -> list[ModelDatabase]:
        return [database for database in self.model.values() if database.deleted]

    def _exists(self, database_id: str) -> bool:
        """Databases outside the model (the pool's sources) are never deleted by it."""
        return database_id not in self.model or not self.model[database_id].deleted

    def _usable(self) -> list[ModelBackup]:
        return [backup for backup in self.backups if self._exists(backup.owner)]

    def _world(self, target: ModelDatabase, named: str, backup: ModelBackup) -> RestoreWorld:
        """The world as the model knows it: every model database that is not deleted has settled as ready."""
        source_exists = self._exists(named)
        return RestoreWorld(
            target=TargetState.MISSING if target.deleted else TargetState.READY,
            source_database_exists=source_exists,
            backup_exists=(named == backup.owner) if source_exists else None,
            backup_status="completed" if source_exists and named == backup.owner else None,
        )

    def _settled(self, database_id: str) -> dict[str, Any]:
        def read() -> dict[str, Any]:
            response = self.api.get_database(database_id)
            if not response.is_success:
                raise violated("lifecycle_database_readable", f"GET {database_id} answered {response.status_code}")
            data: dict[str, Any] = response.json()["data"]
            return data

        target = self.driver.target
        data, settled = wait_for(read, lambda d: d["status"] not in BUSY_STATUSES, target.restore_timeout, target.pace)
        # Not a contract violation: the docs promise no time, so a slow server ends the model, not the run.
        assert settled, f"{database_id} stays {data['status']}"
        return data

    def _create(self) -> None:
        database_id = self.pool.create_database("lifecycle")
        if self._settled(database_id)["status"] != "ready":
            raise violated("lifecycle_database_readable", f"a new database {database_id} did not become ready")
        self.pool.connect(database_id)  # as a user would: a connection to log in with
        settled = self._settled(database_id)
        data = self.probe.read_data(database_id)
        self.model[database_id] = ModelDatabase(database_id, [c["id"] for c in settled["connections"]], data)

    def _restore(self, target: ModelDatabase, backup: ModelBackup, named: str) -> None:
        """Restore and judge the answer against the model's world; the driver waits for the end of a 200."""
        body = {"source": {"type": "backup", "databaseId": named, "backupId": backup.id}}
        # Verified to its end before the model's next step, which needs the restore ended.
        response = self.driver.send(
            restore_case(target.id, body), world=self._world(target, named, backup), inline=True
        )
        report = self.driver.report
        if not response.is_success:
            report.reached("restores refused as the model predicts")
            return
        report.reached("restores answered 200")
        if backup.owner != target.id:
            report.reached("cross-database restores answered 200")
        if target.restored:
            report.reached("repeated restores answered 200")
        target.restored += 1
        target.data = backup.data

    # --- rules -----------------------------------------------------------------------------------

    @initialize()
    def start(self) -> None:
        """Backups the run already knows (on a live target: the golden source's), and a database to restore into."""
        known = [b for b in self.pool.backups if b.status == "completed"]
        self.backups += [ModelBackup(b.id, b.database_id, self.pool.data_of(b.id)) for b in known]
        self._create()

    @precondition(lambda self: len(self._live()) < MAX_LIVE)
    @rule()
    def create(self) -> None:
        self._create()

    @precondition(lambda self: self.driver.target.data is not None and self._live())
    @rule(pick=picks, version=st.sampled_from(["a", "b", "c"]))
    def write(self, pick: int, version: str) -> None:
        database = self._live()[pick % len(self._live())]
        self.pool.write(database.id, fixture_data(version))
        database.data = fixture_data(version)

    @precondition(lambda self: self.control is not None and self._live())
    @rule(pick=picks)
    def take_backup(self, pick: int) -> None:
        assert self.control is not None
        database = self._live()[pick % len(self._live())]
        backup_id = self.control.take_backup(database.id)
        if database.data is not None:  # so the driver's data check knows what this backup holds
            self.pool.backup_data[backup_id] = database.data
        self.backups.append(ModelBackup(backup_id, database.id, database.data))

    @precondition(lambda self: self._live() and self._usable())
    @rule(pick=picks, backup_pick=picks)
    def restore(self, pick: int, backup_pick: int) -> None:
        """A restore that must succeed: a live target, a backup named with its own database."""
        backup = self._usable()[backup_pick % len(self._usable())]
        self._restore(self._live()[pick % len(self._live())], backup, backup.owner)

    @precondition(lambda self: any(d.restored for d in self._live()) and self._usable())
    @rule(pick=picks, backup_pick=picks)
    def restore_again(self, pick: int, backup_pick: int) -> None:
        """A database that was restored before is restored again (it must be ready, not stuck)."""
        restored = [d for d in self._live() if d.restored]
        backup = self._usable()[backup_pick % len(self._usable())]
        self._restore(restored[pick % len(restored)], backup, backup.owner)

    @precondition(lambda self: self._live() and self._usable())
    @rule(pick=picks, backup_pick=picks)
    def restore_from_another_database(self, pick: int, backup_pick: int) -> None:
        """Cross-database: a backup of another database, named with its owner."""
        target = self._live()[pick % len(self._live())]
        foreign = [b for b in self._usable() if b.owner != target.id] or self._usable()
        backup = foreign[backup_pick % len(foreign)]
        self._restore(target, backup, backup.owner)

    @precondition(lambda self: self._live() and self.backups)
    @rule(pick=picks, backup_pick=picks, other_pick=picks, into_deleted=st.booleans())
    def restore_that_is_not_found(self, pick: int, backup_pick: int, other_pick: int, into_deleted: bool) -> None:
        """Into a deleted database, or naming a database the backup does not belong to (perhaps a deleted
        one): 'not found'. One rule for both, so refusals stay a small share of the run."""
        backup = self.backups[backup_pick % len(self.backups)]
        if into_deleted and self._deleted():
            self._restore(self._deleted()[pick % len(self._deleted())], backup, backup.owner)
            return
        others = [d for d in [*self.model, *self.pool.sources] if d != backup.owner]
        if others:
            self._restore(self._live()[pick % len(self._live())], backup, others[other_pick % len(others)])

    @precondition(lambda self: len(self._live()) > 1)
    @rule(pick=picks)
    def delete(self, pick: int) -> None:
        """Deletes leave one live database at least, so there is always something to restore into."""
        database = self._live()[pick % len(self._live())]
        response = self.api.delete_database(database.id)
        if not response.is_success:
            raise violated("lifecycle_delete_answer", f"deleting {database.id} answered {response.status_code}")
        database.deleted = True

    @rule(pick=picks)
    def read(self, pick: int) -> None:
        databases = list(self.model.values())
        self._read(databases[pick % len(databases)])

    @precondition(lambda self: any(d.restored for d in self._live()))
    @rule(pick=picks)
    def read_after_restore(self, pick: int) -> None:
        restored = [d for d in self._live() if d.restored]
        self._read(restored[pick % len(restored)])

    def _read(self, model: ModelDatabase) -> None:
        """GET shows what the model holds: a deleted database is gone; a live one has the same connections
        and, through the data probe, the data of its last restore or write."""
        response = self.api.get_database(model.id)
        if model.deleted:
            if response.status_code != HTTPStatus.NOT_FOUND:
                raise violated("lifecycle_deleted_is_gone", f"GET a deleted database answered {response.status_code}")
            again = self.api.delete_database(model.id)
            if again.status_code != HTTPStatus.NOT_FOUND:
                raise violated("lifecycle_deleted_is_gone", f"DELETE a deleted database answered {again.status_code}")
            return
        validator = response_validator("getV1DatabasesByDatabaseId", 200)
        assert validator is not None
        if not response.is_success:
            raise violated("lifecycle_database_readable", f"GET {model.id} answered {response.status_code}")
        errors = [error.message for error in validator.iter_errors(response.json())]
        if errors:
            raise violated("lifecycle_database_readable", f"GET {model.id}: the body breaks the contract: {errors}")
        settled = self._settled(model.id)
        problems = []
        if settled["status"] != "ready":
            problems.append(f"status {settled['status']!r}, not 'ready'")
        if [c["id"] for c in settled["connections"]] != model.connections:
            problems.append(f"connections {[c['id'] for c in settled['connections']]}, not {model.connections}")
        found = self.probe.read_data(model.id)
        if found is not None and model.data is not None and canonical(found) != canonical(model.data):
            problems.append(f"data {canonical(found)}, not {canonical(model.data)}")
        if problems:
            raise violated("lifecycle_read_matches_model", f"{model.id}: " + "; ".join(problems))
        if model.restored:
            self.driver.report.reached("reads after a restore")

    def teardown(self) -> None:
        for database in self._live():
            self.api.delete_database(database.id)


class WithinTheBudget(RuleBasedStateMachine):
    """The time budget, checked after every step, not only before a restore: most of the model's steps send outside
    the driver (creates, reads, deletes), each waiting for a database to settle, seconds to minutes on a staging.

    Apart from `Lifecycle`, whose source seeds a derandomized run's sequences (Hypothesis digests the machine's
    class): a change there changes every request a replay sends, and the committed cassette must be recorded again."""

    driver: ClassVar[Driver]

    @invariant()
    def within_the_time_budget(self) -> None:
        self.driver.checkpoint()


def lifecycle(driver: Driver, pool: Pool) -> type[Lifecycle]:
    """The state machine bound to this run's driver and pool: a class of its own (Hypothesis instantiates it for
    every sequence), so nothing of one run stays on the model for another."""
    return type("Lifecycle", (Lifecycle, WithinTheBudget), {"driver": driver, "pool": pool})


@pytest.mark.budget_weight(4)  # its restores are waited for one by one
def test_lifecycle(driver: Driver, pool: Pool) -> None:
    if not pool.project_id:
        pytest.skip("the lifecycle creates databases: set PRISMA_CONTRACT_PROJECT_ID")
    machine = lifecycle(driver, pool)
    # A quarter of the profile's examples, but never so few that no sequence gets to restore (replay's 10)
    sequences = settings(max_examples=max(5, settings().max_examples // 4), stateful_step_count=12)
    if driver.budget.seconds is None or sequences.derandomize:
        run_state_machine_as_test(machine, settings=sequences)
        return

    # Sized by the time budget. A state machine cannot stop in the middle of a sequence (Hypothesis would see a run
    # that drew less than the same run before it), and every Hypothesis run starts with its simplest sequence: a
    # first run of three sequences measures what one costs, a second fills what is left of the test's share.
    # Shorter sequences too: each step may wait for a restore or a creation, minutes on a staging.
    def run(count: int) -> float:
        started = time.monotonic()
        with driver.uninterrupted():
            short = settings(sequences, max_examples=count, stateful_step_count=4)
            run_state_machine_as_test(machine, settings=short)
        return time.monotonic() - started

    each = run(3) / 3
    left = (driver.budget.deadline or time.monotonic()) - time.monotonic()
    more = min(sequences.max_examples - 3, int(left / max(each, 1e-3)))
    if more > 0:
        run(more)
    if more < sequences.max_examples - 3:
        driver.budget.cut_short.append(driver.test)
