"""The emulator's state, apart from HTTP (moto-style): the resources, the data plane, the clock, the faults.

Authorization is part of the state too: the workspaces, and a `Grant` (a workspace, scopes) per bearer token. A
database belongs to its project's workspace; a token of another workspace finds none of it (404).

The rules that change it live in `resources` and `restore`; each public one holds `store.lock` for its whole work,
so concurrent requests (uvicorn, threads sharing an in-process client) see one consistent order: of 50
simultaneous restores exactly one starts.
"""

from __future__ import annotations

import threading

from restore_contract.emulator.clock import ClockConfig, StateClock
from restore_contract.emulator.config import EmulatorConfig
from restore_contract.emulator.dataplane import DataPlane
from restore_contract.emulator.errors import not_found
from restore_contract.emulator.faults import FaultPolicy
from restore_contract.emulator.ids import IdMinter
from restore_contract.emulator.models import DEFAULT_WORKSPACE, Backup, Database, Grant, Project


class Store:
    def __init__(self, data: DataPlane, config: EmulatorConfig) -> None:
        self.data = data
        self.config = config
        self.clock = StateClock(config.clock)
        self.ids = IdMinter(config.id_style, config.seed)
        self.policy = FaultPolicy(config.faults, data, self.ids)
        self.lock = threading.RLock()
        self.projects: dict[str, Project] = {}
        self.databases: dict[str, Database] = {}
        self.backups: dict[str, Backup] = {}  # never removed, so in creation order
        self.workspaces: dict[str, str] = {DEFAULT_WORKSPACE: "contract-workspace"}  # id → name
        self.grants: dict[str, Grant] = {config.token: Grant(DEFAULT_WORKSPACE)}  # bearer token → what it may do

    def set_clock(self, config: ClockConfig) -> None:
        with self.lock:
            self.clock = StateClock(config)

    def resolve(self, database_id: str) -> Database | None:
        """The database with this id or (unless configured off) the unprefixed alias of it, deleted or not."""
        database = self.databases.get(database_id)
        if database is None and self.config.alias_unprefixed and not database_id.startswith("db_"):
            database = self.databases.get("db_" + database_id)
        return database

    def workspace_of(self, database: Database) -> str:
        return self.projects[database.project_id].workspace_id

    def database(
        self, database_id: str, *, reading: bool = True, include_deleted: bool = False, grant: Grant | None = None
    ) -> Database:
        """The live database with this id (or its unprefixed alias), in `grant`'s workspace when one is given (a
        request's; None: the emulator's own use); 404 otherwise. A read may end a transition."""
        with self.lock:
            database = self.resolve(database_id)
            if database is None or (database.deleted and not include_deleted):
                raise not_found("Database")
            if grant is not None and self.workspace_of(database) != grant.workspace_id:
                raise not_found("Database")  # not "forbidden": that would tell the caller it exists
            self.advance(database, reading)
            return database

    def advance(self, database: Database, reading: bool) -> None:
        transition = database.transition
        if transition is not None and self.clock.is_due(transition, reading):
            database.transition = None
            database.status = transition.to
            if transition.on_done is not None:
                transition.on_done()

    def project(self, project_id: str, grant: Grant | None = None) -> Project:
        project = self.projects.get(project_id)
        if project is None and not project_id.startswith("proj_"):
            project = self.projects.get("proj_" + project_id)
        if project is None or (grant is not None and project.workspace_id != grant.workspace_id):
            raise not_found("Project")
        return project
