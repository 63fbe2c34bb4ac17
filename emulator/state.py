"""The emulator's state and its rules, independent of HTTP (moto-style: models apart from handlers).

Every public method takes the store's lock, so concurrent requests (uvicorn, threads sharing an
in-process client) see one consistent order: of 50 simultaneous restores exactly one starts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from contracts import BUSY_STATUSES, describe_body, matches_database_id
from emulator.clock import ClockConfig, StateClock, Transition
from emulator.dataplane import DataPlane, Snapshot, Tables
from emulator.errors import ApiError, invalid, not_found
from emulator.faults import Fault
from emulator.ids import IdMinter, IdStyle

REGIONS = {
    "us-east-1": "US East (N. Virginia)",
    "us-west-1": "US West (N. California)",
    "eu-west-3": "Europe (Paris)",
    "eu-central-1": "Europe (Frankfurt)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
}
BACKUP_STATUSES = ("running", "completed", "failed", "unknown")
DATABASE_STATUSES = ("failure", "provisioning", "ready", "recovering")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Project:
    id: str
    name: str
    created_at: str = field(default_factory=now_iso)


@dataclass
class Connection:
    id: str
    name: str
    database_id: str
    user: str
    password: str
    created_at: str = field(default_factory=now_iso)


@dataclass
class Backup:
    id: str
    database_id: str
    snapshot: Snapshot
    status: str = "completed"
    backup_type: str = "full"
    size: int = 0
    created_at: str = field(default_factory=now_iso)
    sequence: int = 0  # creation order, for listing newest- or oldest-first


@dataclass
class Database:
    id: str
    name: str
    project_id: str
    region: str
    status: str
    is_default: bool
    connections: list[Connection] = field(default_factory=list)
    default_connection_id: str | None = None
    source: dict[str, Any] | None = None
    created_at: str = field(default_factory=now_iso)
    transition: Transition | None = None
    deleted: bool = False
    restored: bool = False  # for the lock-not-released fault


@dataclass(frozen=True)
class NewConnection:
    connection: Connection
    connection_string: str


class Store:
    def __init__(
        self,
        data: DataPlane,
        clock: ClockConfig | None = None,
        faults: frozenset[Fault] = frozenset(),
        id_style: IdStyle = IdStyle.CUID,
        alias_unprefixed: bool = True,
        backups_newest_first: bool = True,
        seed: int = 0,
    ) -> None:
        self.data = data
        self.clock = StateClock(clock or ClockConfig())
        self.faults = faults
        self.alias_unprefixed = alias_unprefixed
        self.backups_newest_first = backups_newest_first
        self._ids = IdMinter(id_style, seed)
        self._lock = threading.RLock()
        self.projects: dict[str, Project] = {}
        self.databases: dict[str, Database] = {}
        self.backups: dict[str, Backup] = {}
        self._sequence = 0

    @contextmanager
    def locked(self) -> Iterator[None]:
        with self._lock:
            yield

    def has(self, fault: Fault) -> bool:
        return fault in self.faults

    def set_clock(self, config: ClockConfig) -> None:
        with self._lock:
            self.clock = StateClock(config)

    # --- lookups -------------------------------------------------------------------------------

    def _resolve(self, database_id: str) -> Database | None:
        database = self.databases.get(database_id)
        if database is None and self.alias_unprefixed and not database_id.startswith("db_"):
            database = self.databases.get("db_" + database_id)
        return database

    def _advance(self, database: Database, reading: bool) -> None:
        transition = database.transition
        if transition is not None and self.clock.is_due(transition, reading):
            database.transition = None
            database.status = transition.to
            if transition.on_done is not None:
                transition.on_done()

    def database(self, database_id: str, *, reading: bool = True, include_deleted: bool = False) -> Database:
        """The live database with this id (or its unprefixed alias); 404 otherwise."""
        with self._lock:
            database = self._resolve(database_id)
            if database is None or (database.deleted and not include_deleted):
                raise not_found("Database")
            self._advance(database, reading)
            return database

    def project(self, project_id: str) -> Project:
        project = self.projects.get(project_id)
        if project is None and not project_id.startswith("proj_"):
            project = self.projects.get("proj_" + project_id)
        if project is None:
            raise not_found("Project")
        return project

    # --- projects, databases, connections ---------------------------------------------------------

    def create_project(self, name: str = "contract-project") -> Project:
        with self._lock:
            project = Project(self._ids.new("proj"), name)
            self.projects[project.id] = project
            return project

    def create_database(
        self,
        project_id: str,
        name: str,
        region: str = "us-east-1",
        is_default: bool = False,
        source: dict[str, str] | None = None,
    ) -> tuple[Database, NewConnection]:
        """A new database, empty or (source type backup/database) holding a copy of another one's data."""
        with self._lock:
            project = self.project(project_id)
            snapshot = self._source_snapshot(source)
            database = Database(
                id=self._ids.new("db"),
                name=name,
                project_id=project.id,
                region=region if region in REGIONS else "us-east-1",
                status="provisioning",
                is_default=is_default,
                source=dict(source) if source else {"type": "empty"},
            )
            self.data.create_database(database.id)
            if snapshot is not None:
                self.data.restore(database.id, snapshot)
            self.databases[database.id] = database
            first = self._new_connection(database, "default")
            database.default_connection_id = first.connection.id
            database.transition = self.clock.start("ready")
            return database, first

    def _source_snapshot(self, source: dict[str, str] | None) -> Snapshot | None:
        """What a new database starts from: a usable backup (404/422 as for restore) or a live database's data."""
        if not source or source["type"] == "empty":
            return None
        if source["type"] == "backup":
            try:
                return self._usable_backup(source["databaseId"], source["backupId"]).snapshot
            except ApiError as error:
                if error.status == 422:  # creation declares no 422: an unusable backup is invalid input there
                    raise ApiError(400, "bad_request", error.message) from None
                raise
        origin = self._resolve(source["databaseId"])
        if origin is None or origin.deleted:
            raise not_found("Source database")
        return self.data.snapshot(origin.id)

    def _new_connection(self, database: Database, name: str) -> NewConnection:
        connection_id = self._ids.new("con")
        password = self._ids.secret()
        user = self.data.create_login(database.id, "u_" + connection_id.removeprefix("con_")[:20], password)
        connection = Connection(connection_id, name, database.id, user, password)
        database.connections.append(connection)
        return NewConnection(connection, self.connection_string(connection))

    def connection_string(self, connection: Connection) -> str:
        return self.data.connection_string(connection.database_id, connection.user, connection.password)

    def create_connection(self, database_id: str, name: str) -> NewConnection:
        with self._lock:
            return self._new_connection(self.database(database_id, reading=False), name)

    def list_databases(self, project_id: str) -> list[Database]:
        with self._lock:
            project = self.project(project_id)
            found = [d for d in self.databases.values() if d.project_id == project.id and not d.deleted]
            for database in found:
                self._advance(database, reading=True)
            return found

    def delete_database(self, database_id: str) -> None:
        with self._lock:
            database = self.database(database_id, reading=False)
            if database.is_default:
                raise ApiError(403, "forbidden", "Cannot delete the default database of a project.")
            database.deleted = True
            database.transition = None

    # --- backups ---------------------------------------------------------------------------------

    def create_backup(self, database_id: str, status: str = "completed", backup_type: str = "full") -> Backup:
        with self._lock:
            database = self.database(database_id, reading=False)
            if status not in BACKUP_STATUSES:
                raise invalid(f"status must be one of {BACKUP_STATUSES}")
            snapshot = self.data.snapshot(database.id)
            self._sequence += 1
            backup = Backup(
                id=self._ids.new("bkp"),
                database_id=database.id,
                snapshot=snapshot,
                status=status,
                backup_type=backup_type,
                size=snapshot.size,
                sequence=self._sequence,
            )
            self.backups[backup.id] = backup
            return backup

    def list_backups(self, database_id: str) -> list[Backup]:
        with self._lock:
            database = self.database(database_id, reading=False)
            found = [b for b in self.backups.values() if b.database_id == database.id]
            return sorted(found, key=lambda b: b.sequence, reverse=self.backups_newest_first)

    def backup(self, backup_id: str) -> Backup:
        backup = self.backups.get(backup_id)
        if backup is None:
            raise not_found("Backup")
        return backup

    # --- restore ---------------------------------------------------------------------------------

    def restore(self, target_id: str, body: bytes | None) -> Database:
        """Start restoring `target_id` from the backup `body` names, or raise the documented error."""
        with self._lock:
            try:
                return self._restore(target_id, body)
            except ApiError:
                if self.has(Fault.FAILED_RESTORE_MUTATES):
                    target = self._resolve(target_id)
                    if target is not None and not target.deleted:
                        self.data.write(target.id, {})
                raise

    def _restore(self, target_id: str, body: bytes | None) -> Database:
        if not matches_database_id(target_id):
            raise invalid("targetDatabaseId does not match the database id pattern.")
        target = self.database(target_id, reading=False, include_deleted=self.has(Fault.DELETED_DATABASE_RESTORABLE))
        if self.has(Fault.MALFORMED_BODY_500) and body:
            body.decode("utf-8")  # the fault: undecodable bytes crash instead of a 422
        facts = describe_body(body)
        if not facts.well_formed:
            if self.has(Fault.MALFORMED_BODY_500):
                raise RuntimeError("malformed body crashed the handler (fault malformed-body-500)")
            raise invalid(
                "The request body must be {source: {type: 'backup', databaseId, backupId}}.",
                hint="databaseId must match ^(db_)?([cC][^\\s-]{8,}|[a-z0-9]+)$",
            )
        if not facts.type_is_backup and not self.has(Fault.OTHER_SOURCE_TYPE_ACCEPTED):
            raise invalid("Only source.type 'backup' can be restored.")
        self._check_not_busy(target)
        assert facts.database_id is not None
        assert facts.backup_id is not None
        backup = self._usable_backup(facts.database_id, facts.backup_id)
        self._start_restore(target, backup, facts.database_id)
        return target

    def _check_not_busy(self, target: Database) -> None:
        status = target.status
        allowed = (status == "recovering" and self.has(Fault.NO_CONFLICT_WHILE_RECOVERING)) or (
            status == "provisioning" and self.has(Fault.NO_CONFLICT_WHILE_PROVISIONING)
        )
        if status in BUSY_STATUSES and not allowed:
            raise ApiError(409, "conflict", f"Database is {status} and cannot be restored now.")
        if target.restored and self.has(Fault.LOCK_NOT_RELEASED):
            raise ApiError(409, "conflict", "Database is recovering and cannot be restored now.")

    def _usable_backup(self, source_id: str, backup_id: str) -> Backup:
        source = self._resolve(source_id)
        if (source is None or source.deleted) and not self.has(Fault.MISSING_SOURCE_ACCEPTED):
            raise not_found("Source database")
        backup = self.backups.get(backup_id)
        belongs = backup is not None and source is not None and backup.database_id == source.id
        lenient = self.has(Fault.FOREIGN_BACKUP_ACCEPTED) or (
            source is None and self.has(Fault.MISSING_SOURCE_ACCEPTED)
        )
        if backup is None or not (belongs or lenient):
            raise not_found("Backup")
        if backup.status != "completed" and not self.has(Fault.UNUSABLE_BACKUP_ACCEPTED):
            raise ApiError(422, "backup_not_usable", f"Backup is {backup.status}; only completed backups restore.")
        return backup

    def _start_restore(self, target: Database, backup: Backup, named_source: str) -> None:
        target.status = "recovering"
        target.restored = True
        target.source = {"type": "backup", "databaseId": named_source, "backupId": backup.id}
        if self.has(Fault.CREDENTIALS_ROTATED):
            for connection in target.connections:
                connection.password = self._ids.secret()
                self.data.set_password(connection.user, connection.password)
        if self.has(Fault.CONNECTIONS_REPLACED):
            for connection in target.connections:
                connection.id = self._ids.new("con")
            target.default_connection_id = target.connections[0].id if target.connections else None
        if self.has(Fault.RECOVERY_NEVER_FINISHES):
            target.transition = None
            return
        target.transition = self.clock.start("ready", on_done=self._replace_data(target, backup.snapshot))

    def _replace_data(self, target: Database, snapshot: Snapshot) -> Callable[[], None]:
        def replace() -> None:
            if self.has(Fault.ROLES_DROPPED):
                for connection in target.connections:
                    self.data.drop_login(connection.user)
            if self.has(Fault.DATA_NOT_REPLACED):
                return
            before = self.data.read(target.id) if self.has(Fault.DATA_PARTLY_REPLACED) else None
            self.data.restore(target.id, snapshot)
            if before is not None:  # the fault: only the first table (by name) comes from the backup
                restored = sorted(self.data.read(target.id).items())[:1]
                self.data.write(target.id, {**before, **dict(restored)})

        return replace

    # --- control plane helpers -------------------------------------------------------------------

    def force_status(self, database_id: str, status: str) -> Database:
        with self._lock:
            if status not in DATABASE_STATUSES:
                raise invalid(f"status must be one of {DATABASE_STATUSES}")
            database = self.database(database_id, reading=False)
            transition, database.transition = database.transition, None
            database.status = status
            if status == "ready" and transition is not None and transition.on_done is not None:
                transition.on_done()  # forcing a restore to finish applies its data
            return database

    def set_backup_status(self, backup_id: str, status: str) -> Backup:
        with self._lock:
            if status not in BACKUP_STATUSES:
                raise invalid(f"status must be one of {BACKUP_STATUSES}")
            backup = self.backup(backup_id)
            backup.status = status
            return backup

    def read_data(self, database_id: str) -> Tables:
        with self._lock:
            return self.data.read(self.database(database_id, reading=False).id)

    def write_data(self, database_id: str, tables: Tables) -> None:
        with self._lock:
            self.data.write(self.database(database_id, reading=False).id, tables)

    def authenticate(self, connection_string: str) -> str | None:
        with self._lock:
            return self.data.authenticate(connection_string)
