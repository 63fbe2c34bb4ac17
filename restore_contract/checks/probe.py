"""What the public API, and the data probe logged in with the credentials it issued, show of the world.

The checks compare these views before and after a request; they never trust the emulator's internals,
so the same checks run against any server.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from restore_contract.checks.violation import ContractViolation, violated
from restore_contract.contracts import (
    BUSY_STATUSES,
    RestoreWorld,
    TargetState,
    describe_body,
    expand_path,
    matches_database_id,
)
from restore_contract.dataset.tables import Tables
from restore_contract.targets.data import Credential, DataAccess, LoginRefused

DATABASE_PATH = "/v1/databases/{databaseId}"
# Whose workspace a database is in: the run's (its admin token's), or the other one (the OTHER_WORKSPACE token's).
OWN, OTHER = "own", "other"
BACKUPS_PATH = "/v1/databases/{databaseId}/backups"


class ProbeError(ContractViolation):
    """A read the checks rely on answered something a correct server never answers (a 5xx, an undocumented
    status): a contract violation of that read, found before or after the restore it was made for."""

    def __init__(self, message: str) -> None:
        super().__init__(message, ("probe_reads_answer_as_documented",))


@dataclass(frozen=True)
class DatabaseView:
    id: str
    status: str
    connections: tuple[tuple[str, str, str], ...]  # (id, name, kind) of each connection, in order
    default_connection_id: str | None
    source: Any
    data: Tables | None  # None when there is no data probe for it (no access, no credential, busy)
    workspace: str = OWN

    def same_identity(self, other: DatabaseView) -> bool:
        """Connections and the default connection: what a restore must never change."""
        return (self.connections, self.default_connection_id) == (other.connections, other.default_connection_id)


@dataclass(frozen=True)
class Before:
    """The world just before a restore request, as far as it decides the answer."""

    world: RestoreWorld
    target_id: str
    target: DatabaseView | None
    source_id: str | None
    backup_id: str | None
    source_workspace: str | None = None  # None: no source database found


@dataclass(frozen=True)
class OtherWorkspace:
    """How the probe sees the databases the run made in another workspace: only that workspace's token can."""

    client: httpx.Client  # with the other workspace's admin token
    holds: Callable[[str], bool]  # is this database id one the run made there?


class Probe:
    def __init__(
        self,
        client: httpx.Client,
        data: DataAccess | None,
        credentials: Callable[[str], list[Credential]],
        other: OtherWorkspace | None = None,
    ) -> None:
        self.client = client
        self.data = data
        self.credentials = credentials
        self.other = other

    def read_data(self, database_id: str) -> Tables | None:
        """The database's data, read through the first connection the run had the API issue for it."""
        issued = self.credentials(database_id)
        if self.data is None or not issued:
            return None
        try:
            return self.data.read(issued[0].connection_string)
        except LoginRefused as refused:
            raise violated(
                "issued_credentials_still_log_in",
                f"the connection string the API issued for {database_id} no longer logs in "
                f"('Connections and credentials are preserved'): {refused}",
            ) from None

    def _of_other(self, database_id: str) -> bool:
        """A database the run made in the other workspace: only that workspace's token sees it."""
        return self.other is not None and self.other.holds(database_id)

    def database(self, database_id: str, *, with_data: bool = False) -> DatabaseView | None:
        """The database as GET shows it; None when it does not exist (404)."""
        if not matches_database_id(database_id):
            return None
        other = self._of_other(database_id)
        client = self.other.client if other and self.other is not None else self.client
        response = client.get(expand_path(DATABASE_PATH, {"databaseId": database_id}))
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ProbeError(f"GET database {database_id!r} answered {response.status_code}: {response.text[:300]}")
        data = response.json()["data"]
        connections = tuple((c["id"], c["name"], c["kind"]) for c in data["connections"])
        # While provisioning or recovering the docs promise nothing about the data (it may not even be
        # reachable), so it is not read then.
        settled = data["status"] not in BUSY_STATUSES
        tables = self.read_data(data["id"]) if with_data and settled else None
        return DatabaseView(
            data["id"],
            data["status"],
            connections,
            data["defaultConnectionId"],
            data.get("source"),
            tables,
            OTHER if other else OWN,
        )

    def backup(self, source_id: str, backup_id: str) -> tuple[bool, str | None]:
        """Is `backup_id` among the backups of `source_id`, and with which status?"""
        client = self.other.client if self._of_other(source_id) and self.other is not None else self.client
        response = client.get(expand_path(BACKUPS_PATH, {"databaseId": source_id}), params={"limit": 100})
        if response.status_code != 200:
            raise ProbeError(f"listing backups of {source_id!r} answered {response.status_code}: {response.text[:300]}")
        for item in response.json()["data"]:
            if item["id"] == backup_id:
                return True, str(item["status"])
        return False, None

    def before(self, target_id: str, body: bytes | None, *, token_valid: bool = True) -> Before:
        facts = describe_body(body)
        source = backup_found = backup_status = None
        source_exists: bool | None = None
        if facts.well_formed and facts.database_id is not None and facts.backup_id is not None:
            source = self.database(facts.database_id)
            source_exists = source is not None
            if source is not None:
                backup_found, backup_status = self.backup(facts.database_id, facts.backup_id)
        # The target last, right before the request: its status may be changing (recovering ends), and a read that
        # waited out a transient answer before it would leave it stale.
        target = self.database(target_id, with_data=True)
        world = RestoreWorld(
            token_valid=token_valid,
            target_id_empty=target_id == "",
            target_id_matches_regex=matches_database_id(target_id),
            target=TargetState(target.status) if target is not None else TargetState.MISSING,
            body_well_formed=facts.well_formed,
            source_type_is_backup=facts.type_is_backup,
            source_database_exists=source_exists,
            backup_exists=backup_found,
            backup_status=backup_status,
        )
        source_workspace = source.workspace if source else None
        return Before(world, target_id, target, source.id if source else None, facts.backup_id, source_workspace)
