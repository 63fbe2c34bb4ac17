"""A stateful model of databases, backups and restores, checked against the API after every step.

Hypothesis chooses the sequence: create databases, take backups (where the target has a control
plane), write data (through the data probe), restore (own, cross-database, repeated, into deleted
databases), delete, read. Each answer must be the one the model predicts; the driver's checks judge each
restore as well (data, connections, and that every credential issued before still logs in).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from checks.driver import Driver, restore_case
from contracts import response_validator
from contracts.golden import fixture_data
from contracts.tables import Tables, canonical
from targets.pool import Pool


@dataclass
class ModelDatabase:
    id: str
    connections: list[str]
    data: Tables | None  # None: unknown (no data probe)
    deleted: bool = False


@dataclass(frozen=True)
class ModelBackup:
    id: str
    owner: str
    data: Tables | None


class Lifecycle(RuleBasedStateMachine):
    driver: ClassVar[Driver]
    pool: ClassVar[Pool]

    databases = Bundle("databases")
    backups = Bundle("backups")

    def __init__(self) -> None:
        super().__init__()
        self.model: dict[str, ModelDatabase] = {}
        self.client = self.driver.client
        self.control = self.driver.target.control
        self.probe = self.driver.probe

    # --- helpers ---------------------------------------------------------------------------------

    def _settled(self, database_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.driver.target.restore_timeout
        while True:
            response = self.client.get(f"/v1/databases/{database_id}")
            assert response.status_code == 200, response.text
            data: dict[str, Any] = response.json()["data"]
            if data["status"] not in ("provisioning", "recovering"):
                return data
            assert time.monotonic() < deadline, f"{database_id} stays {data['status']}"
            time.sleep(0.05)

    # --- rules -----------------------------------------------------------------------------------

    @initialize(target=backups)
    def known_backups(self) -> Any:
        """Backups the run already knows (on a live target: the golden source's)."""
        known = [b for b in self.pool.backups if b.status == "completed"]
        return multiple(*(ModelBackup(b.id, b.database_id, self.pool.data_of(b.id)) for b in known))

    @rule(target=databases)
    def create(self) -> str:
        database_id = self.driver.target.create_database("lifecycle")
        assert self._settled(database_id)["status"] == "ready"
        self.pool.connect(self.driver.target, database_id)  # as a user would: a connection to log in with
        settled = self._settled(database_id)
        data = self.probe.read_data(database_id)
        self.model[database_id] = ModelDatabase(database_id, [c["id"] for c in settled["connections"]], data)
        return database_id

    @precondition(lambda self: self.driver.target.data is not None)
    @rule(database=databases, version=st.sampled_from(["a", "b", "c"]))
    def write(self, database: str, version: str) -> None:
        if self.model[database].deleted:
            return
        self.pool.write(self.driver.target, database, fixture_data(version))
        self.model[database].data = fixture_data(version)

    @precondition(lambda self: self.control is not None)
    @rule(target=backups, database=databases)
    def take_backup(self, database: str) -> Any:
        assert self.control is not None
        if self.model[database].deleted:
            return multiple()
        backup_id = self.control.take_backup(database)
        return ModelBackup(backup_id, database, self.model[database].data)

    @rule(database=databases, backup=backups, name_owner=st.booleans(), other=databases)
    def restore(self, database: str, backup: ModelBackup, name_owner: bool, other: str) -> None:
        named = backup.owner if name_owner else other
        target = self.model[database]
        owner_gone = backup.owner in self.model and self.model[backup.owner].deleted
        # 404: use-after-delete, a backup named with another database, or a deleted source; else 200.
        expected = 404 if target.deleted or named != backup.owner or owner_gone else 200
        body = {"source": {"type": "backup", "databaseId": named, "backupId": backup.id}}
        response = self.driver.send(restore_case(database, body))  # the driver waits for the end of a 200
        assert response.status_code == expected, f"model expects {expected}: {response.text}"
        if expected == 200:
            target.data = backup.data

    @rule(database=databases)
    def delete(self, database: str) -> None:
        response = self.client.delete(f"/v1/databases/{database}")
        expected = 404 if self.model[database].deleted else 204
        assert response.status_code == expected, response.text
        self.model[database].deleted = True

    @rule(database=databases)
    def read(self, database: str) -> None:
        response = self.client.get(f"/v1/databases/{database}")
        model = self.model[database]
        if model.deleted:
            assert response.status_code == 404, "a deleted database is still readable"
            return
        assert response.status_code == 200, response.text
        validator = response_validator("getV1DatabasesByDatabaseId", 200)
        assert validator is not None
        validator.validate(response.json())
        settled = self._settled(database)
        assert settled["status"] == "ready"
        assert [c["id"] for c in settled["connections"]] == model.connections, "connections changed"
        found = self.probe.read_data(database)
        if found is not None and model.data is not None:
            assert canonical(found) == canonical(model.data), "data differs from the model"

    def teardown(self) -> None:
        for database in self.model.values():
            if not database.deleted:
                self.client.delete(f"/v1/databases/{database.id}")


def test_lifecycle(driver: Driver, pool: Pool) -> None:
    if not pool.project_id:
        pytest.skip("the lifecycle creates databases: set PRISMA_CONTRACT_PROJECT_ID")
    Lifecycle.driver = driver
    Lifecycle.pool = pool
    run_state_machine_as_test(
        Lifecycle, settings=settings(max_examples=settings().max_examples // 4, stateful_step_count=12)
    )
