"""The scaffolding around restore: projects, databases with their connections, backups; what the control plane
forces on them (statuses, data), checked where it comes in."""

from __future__ import annotations

import secrets

from restore_contract.emulator.dataplane import Snapshot, Tables
from restore_contract.emulator.errors import ApiError, not_found
from restore_contract.emulator.models import (
    DEFAULT_WORKSPACE,
    REGIONS,
    SCOPES,
    Backup,
    Connection,
    Database,
    Grant,
    NewConnection,
    Project,
    Source,
)
from restore_contract.emulator.restore import usable_backup
from restore_contract.emulator.state import Store


def create_workspace(store: Store, name: str = "other-workspace") -> str:
    """A new workspace. Its id is counted, not minted: no answer shows it, and minting would change every id minted
    after it (the suite's runs, their ids derandomized, would then differ from before there were workspaces)."""
    with store.lock:
        workspace_id = f"wksp_w{len(store.workspaces)}"
        store.workspaces[workspace_id] = name
        return workspace_id


def mint_token(store: Store, workspace_id: str = DEFAULT_WORKSPACE, scopes: frozenset[str] = frozenset(SCOPES)) -> str:
    """A new bearer token acting in `workspace_id` with `scopes` (each one of SCOPES). Random, not drawn from the id
    minter: a token is never shown in an answer, and drawing it there would change every id minted after it."""
    with store.lock:
        if workspace_id not in store.workspaces:
            raise not_found("Workspace")
        unknown = set(scopes) - set(SCOPES)
        if unknown:
            raise ApiError(400, "bad_request", f"unknown scopes {sorted(unknown)}: use some of {', '.join(SCOPES)}")
        token = "emulator-" + secrets.token_urlsafe(18)
        store.grants[token] = Grant(workspace_id, frozenset(scopes))
        return token


def require_admin(grant: Grant | None) -> None:
    """Every write needs workspace:admin: 403, the status the other database routes declare for it."""
    if grant is not None and not grant.admin:
        raise ApiError(403, "forbidden", "This token lacks the scope workspace:admin.")


def create_project(store: Store, name: str = "contract-project", workspace_id: str = DEFAULT_WORKSPACE) -> Project:
    with store.lock:
        if workspace_id not in store.workspaces:
            raise not_found("Workspace")
        project = Project(store.ids.new("proj"), name, workspace_id)
        store.projects[project.id] = project
        return project


def create_database(
    store: Store,
    project_id: str,
    name: str,
    region: str,
    is_default: bool,
    source: Source | None = None,
    grant: Grant | None = None,
) -> tuple[Database, NewConnection]:
    """A new database, empty or (source type backup/database) holding a copy of another one's data."""
    with store.lock:
        project = store.project(project_id, grant)
        require_admin(grant)
        snapshot = _source_snapshot(store, source, grant)
        region = region if region in REGIONS else "us-east-1"
        database = Database(store.ids.new("db"), name, project.id, region, "provisioning", is_default)
        database.source = dict(source) if source else {"type": "empty"}
        store.data.create_database(database.id)
        if snapshot is not None:
            store.data.restore(database.id, snapshot)
        store.databases[database.id] = database
        first = _new_connection(store, database, "default")
        database.default_connection_id = first.connection.id
        database.transition = store.clock.start("ready", seconds=store.config.provisioning)
        return database, first


def _source_snapshot(store: Store, source: Source | None, grant: Grant | None) -> Snapshot | None:
    """What a new database starts from: a usable backup (404/422 as for restore) or a live database's data, of the
    caller's workspace."""
    if not source or source["type"] == "empty":
        return None
    if source["type"] == "backup":
        try:
            return usable_backup(store, source["databaseId"], source["backupId"], grant).snapshot
        except ApiError as error:
            if error.status == 422:  # creation declares no 422: an unusable backup is invalid input there
                raise ApiError(400, "bad_request", error.message) from None
            raise
    origin = store.resolve(source["databaseId"])
    if origin is None or origin.deleted or (grant is not None and store.workspace_of(origin) != grant.workspace_id):
        raise not_found("Source database")
    return store.data.snapshot(origin.id)


def _new_connection(store: Store, database: Database, name: str) -> NewConnection:
    connection_id = store.ids.new("con")
    password = store.ids.secret()
    user = store.data.create_login(database.id, "u_" + connection_id.removeprefix("con_")[:20], password)
    connection = Connection(connection_id, name, database.id, user, password)
    database.connections.append(connection)
    return NewConnection(connection, store.data.connection_string(database.id, user, password))


def create_connection(store: Store, database_id: str, name: str, grant: Grant | None = None) -> NewConnection:
    with store.lock:
        database = store.database(database_id, reading=False, grant=grant)
        require_admin(grant)
        return _new_connection(store, database, name)


def delete_connection(store: Store, connection_id: str, grant: Grant | None = None) -> None:
    """The connection goes, and its login with it (a database's default connection too: the docs forbid nothing)."""
    with store.lock:
        for database in store.databases.values():
            if grant is not None and store.workspace_of(database) != grant.workspace_id:
                continue
            for connection in database.connections:
                if connection.id == connection_id and not database.deleted:
                    require_admin(grant)
                    database.connections.remove(connection)
                    store.data.drop_login(connection.user)
                    if database.default_connection_id == connection_id:
                        database.default_connection_id = None
                    return
        raise not_found("Connection")


def list_databases(store: Store, project_id: str, grant: Grant | None = None) -> list[Database]:
    with store.lock:
        project = store.project(project_id, grant)
        found = [d for d in store.databases.values() if d.project_id == project.id and not d.deleted]
        for database in found:
            store.advance(database, reading=True)
        return found


def delete_database(store: Store, database_id: str, grant: Grant | None = None) -> None:
    with store.lock:
        database = store.database(database_id, reading=False, grant=grant)
        require_admin(grant)
        if database.is_default:
            raise ApiError(403, "forbidden", "Cannot delete the default database of a project.")
        database.deleted = True
        database.transition = None


def create_backup(store: Store, database_id: str, status: str = "completed", backup_type: str = "full") -> Backup:
    with store.lock:
        database = store.database(database_id, reading=False)
        snapshot = store.data.snapshot(database.id)
        backup = Backup(store.ids.new("bkp"), database.id, snapshot, status, backup_type, snapshot.size)
        store.backups[backup.id] = backup
        return backup


def list_backups(store: Store, database_id: str, grant: Grant | None = None) -> list[Backup]:
    with store.lock:
        database = store.database(database_id, reading=False, grant=grant)
        found = [b for b in store.backups.values() if b.database_id == database.id]  # oldest first
        return found[::-1] if store.config.backups_newest_first else found


def set_backup_status(store: Store, backup_id: str, status: str) -> Backup:
    with store.lock:
        backup = store.backups.get(backup_id)
        if backup is None:
            raise not_found("Backup")
        backup.status = status
        return backup


def force_status(store: Store, database_id: str, status: str) -> Database:
    """Set a database's status now (control plane); forcing a restore to finish applies its data."""
    with store.lock:
        database = store.database(database_id, reading=False)
        transition, database.transition = database.transition, None
        database.status = status
        if status == "ready" and transition is not None and transition.on_done is not None:
            transition.on_done()
        return database


def read_data(store: Store, database_id: str) -> Tables:
    with store.lock:
        return store.data.read(store.database(database_id, reading=False).id)


def write_data(store: Store, database_id: str, tables: Tables) -> None:
    with store.lock:
        store.data.write(store.database(database_id, reading=False).id, tables)


def authenticate(store: Store, connection_string: str) -> str | None:
    """The database a connection string logs into, or None when its credentials are refused."""
    with store.lock:
        return store.data.authenticate(connection_string)
