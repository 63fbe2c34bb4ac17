"""The resources a run owns and restores into: databases in every state, and backups with known data.

On an emulator the control plane builds them (data written, backups taken now, states forced); the
checks then know what data each backup holds and which credentials each database issued.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from targets.base import Target
from targets.control import ControlPlane, Tables

SCRATCH_PREFIX = "contract-"


def fixture_data(version: str) -> Tables:
    """A small, versioned data set: two tables, so a partial restore shows."""
    return {
        "customers": [{"id": 1, "name": "Ada", "version": version}, {"id": 2, "name": "Grace", "version": version}],
        "orders": [{"id": 10, "customer": 1, "total": 42, "version": version}],
    }


@dataclass(frozen=True)
class KnownBackup:
    id: str
    database_id: str
    status: str


@dataclass
class Pool:
    project_id: str
    ready: list[str] = field(default_factory=list)  # restorable targets
    busy: list[str] = field(default_factory=list)  # held provisioning or recovering
    failed: list[str] = field(default_factory=list)  # in status failure
    deleted: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    backups: list[KnownBackup] = field(default_factory=list)
    backup_data: dict[str, Tables] = field(default_factory=dict)
    credentials: dict[str, list[str]] = field(default_factory=dict)  # database → connection strings issued

    @property
    def restore_targets(self) -> list[str]:
        return self.ready + self.busy + self.failed + self.deleted

    @property
    def database_ids(self) -> list[str]:
        return self.restore_targets + self.sources

    def data_of(self, backup_id: str) -> Tables | None:
        return self.backup_data.get(backup_id)

    def credentials_of(self, database_id: str) -> list[str]:
        return self.credentials.get(database_id, [])


def create_database(client: httpx.Client, project_id: str, name: str) -> str:
    response = client.post(f"/v1/projects/{project_id}/databases", json={"name": SCRATCH_PREFIX + name})
    if response.status_code != 201:
        raise RuntimeError(f"creating database {name!r} answered {response.status_code}: {response.text[:300]}")
    database_id: str = response.json()["data"]["id"]
    return database_id


def create_connection(client: httpx.Client, database_id: str, name: str = "contract-probe") -> str:
    response = client.post(f"/v1/databases/{database_id}/connections", json={"name": name})
    if response.status_code != 200:
        raise RuntimeError(f"creating a connection answered {response.status_code}: {response.text[:300]}")
    secret: str = response.json()["data"]["endpoints"]["direct"]["connectionString"]
    return secret


def emulator_pool(target: Target, control: ControlPlane) -> Pool:
    """Every state restore can meet, built through the public API plus the control plane."""
    assert target.project_id is not None
    client = target.client()
    pool = Pool(project_id=target.project_id)

    def new(name: str, version: str) -> str:
        database_id = create_database(client, pool.project_id, name)
        control.force_status(database_id, "ready")
        control.write_data(database_id, fixture_data(version))
        pool.credentials[database_id] = [create_connection(client, database_id)]
        return database_id

    def backup(database_id: str, version: str, status: str = "completed") -> str:
        control.write_data(database_id, fixture_data(version))
        backup_id = control.take_backup(database_id, status)
        pool.backups.append(KnownBackup(backup_id, database_id, status))
        pool.backup_data[backup_id] = fixture_data(version)
        return backup_id

    first, second = new("source-1", "s1"), new("source-2", "s2")
    pool.sources += [first, second]
    backup(first, "s1-v1")
    backup(first, "s1-v2")
    for status in ("running", "failed", "unknown"):
        backup(first, f"s1-{status}", status)
    backup(second, "s2-v1")
    for index in (1, 2):
        database_id = new(f"target-{index}", f"t{index}")
        backup(database_id, f"t{index}-v1")
        control.write_data(database_id, fixture_data(f"t{index}-written-after-backup"))
        pool.ready.append(database_id)
    for status in ("provisioning", "recovering"):
        database_id = new(f"held-{status}", status)
        control.force_status(database_id, status)
        pool.busy.append(database_id)
    failed = new("failed", "failed")
    control.force_status(failed, "failure")
    pool.failed.append(failed)
    gone = new("deleted", "deleted")
    client.delete(f"/v1/databases/{gone}")
    pool.deleted.append(gone)
    return pool
