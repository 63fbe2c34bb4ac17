"""The control plane under `/_emulator/`: what tests need and the public API cannot do.

Reset, seed (workspaces, projects in them, a bearer token per workspace and scopes), take a backup now, set a
backup's or a database's status, read and write data, check a connection string's credentials, switch faults and the
clock, and list the requests received. It
never shares a path with the public API (`/v1/...`) and takes no token.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from restore_contract.emulator import render, resources
from restore_contract.emulator.api import Call, Reply, bad_input
from restore_contract.emulator.clock import ClockConfig
from restore_contract.emulator.faults import DESCRIPTIONS, parse_faults
from restore_contract.emulator.models import BACKUP_STATUSES, DATABASE_STATUSES, DEFAULT_WORKSPACE, SCOPES
from restore_contract.emulator.routing import Router

PREFIX = "/_emulator"
BACKUP_TYPES = ("full", "incremental")  # the contract's Backup.backupType enum


def routes(router: Router, reset_emulator: Callable[[], None], requests: deque[dict[str, Any]]) -> None:
    """Add the control plane; `reset_emulator` forgets everything, `requests` is the log of requests received."""

    def _one_of(body: dict[str, Any], name: str, allowed: tuple[str, ...], default: str | None = None) -> str:
        value = body.get(name, default)
        if value not in allowed:
            raise bad_input(f"{name} must be one of {', '.join(allowed)}.")
        return str(value)

    async def reset(call: Call) -> Reply:
        reset_emulator()
        return Reply(204)

    async def get_faults(call: Call) -> Reply:
        catalog = {fault.value: text for fault, text in DESCRIPTIONS.items()}
        return Reply(200, {"active": sorted(call.store.policy.active), "catalog": catalog})

    async def set_faults(call: Call) -> Reply:
        names = (await call.json_object()).get("active", [])
        try:
            call.store.policy.active = parse_faults(list(names))
        except (TypeError, ValueError) as error:
            raise bad_input(str(error)) from None
        return await get_faults(call)

    async def get_clock(call: Call) -> Reply:
        return Reply(200, {"clock": call.store.clock.config.describe()})

    async def set_clock(call: Call) -> Reply:
        try:
            call.store.set_clock(ClockConfig.parse(str((await call.json_object()).get("clock"))))
        except ValueError as error:
            raise bad_input(str(error)) from None
        return await get_clock(call)

    async def create_workspace(call: Call) -> Reply:
        name = str((await call.json_object()).get("name", "other-workspace"))
        return Reply(201, {"id": resources.create_workspace(call.store, name), "name": name})

    async def mint_token(call: Call) -> Reply:
        """A bearer token of `workspaceId` (default: the configured token's) with `scopes` (default: all of them)."""
        body = await call.json_object()
        workspace_id, scopes = body.get("workspaceId", DEFAULT_WORKSPACE), body.get("scopes", list(SCOPES))
        if not isinstance(scopes, list) or not all(isinstance(scope, str) for scope in scopes):
            raise bad_input(f"scopes must be a list of some of {', '.join(SCOPES)}.")
        token = resources.mint_token(call.store, str(workspace_id), frozenset(scopes))
        return Reply(201, {"token": token, "workspaceId": workspace_id, "scopes": sorted(scopes)})

    async def create_project(call: Call) -> Reply:
        body = await call.json_object()
        name, workspace_id = str(body.get("name", "contract-project")), str(body.get("workspaceId", DEFAULT_WORKSPACE))
        project = resources.create_project(call.store, name, workspace_id)
        return Reply(201, {"id": project.id, "name": project.name, "workspaceId": project.workspace_id})

    async def create_backup(call: Call) -> Reply:
        body = await call.json_object()
        status = _one_of(body, "status", BACKUP_STATUSES, "completed")
        kind = _one_of(body, "backupType", BACKUP_TYPES, "full")
        backup = resources.create_backup(call.store, call.params["databaseId"], status, kind)
        return Reply(201, {**render.backup(backup), "databaseId": backup.database_id})

    async def set_backup_status(call: Call) -> Reply:
        status = _one_of(await call.json_object(), "status", BACKUP_STATUSES)
        backup = resources.set_backup_status(call.store, call.params["backupId"], status)
        return Reply(200, {**render.backup(backup), "databaseId": backup.database_id})

    async def set_database_status(call: Call) -> Reply:
        status = _one_of(await call.json_object(), "status", DATABASE_STATUSES)
        database = resources.force_status(call.store, call.params["databaseId"], status)
        return Reply(200, {"data": render.database(call.store, database, call.base_url)})

    async def read_data(call: Call) -> Reply:
        return Reply(200, {"tables": resources.read_data(call.store, call.params["databaseId"])})

    async def write_data(call: Call) -> Reply:
        tables = (await call.json_object()).get("tables")
        if not isinstance(tables, dict) or not all(isinstance(rows, list) for rows in tables.values()):
            raise bad_input("The body must be {tables: {name: [row, ...]}}.")
        resources.write_data(call.store, call.params["databaseId"], tables)
        return Reply(204)

    async def authenticate(call: Call) -> Reply:
        connection_string = (await call.json_object()).get("connectionString")
        if not isinstance(connection_string, str):
            raise bad_input("The body must be {connectionString: string}.")
        return Reply(200, {"database": resources.authenticate(call.store, connection_string)})

    async def list_requests(call: Call) -> Reply:
        return Reply(200, {"requests": list(requests)})

    async def clear_requests(call: Call) -> Reply:
        requests.clear()
        return Reply(204)

    for method, path, handler in (
        ("POST", "/reset", reset),
        ("GET", "/faults", get_faults),
        ("PUT", "/faults", set_faults),
        ("GET", "/clock", get_clock),
        ("PUT", "/clock", set_clock),
        ("POST", "/workspaces", create_workspace),
        ("POST", "/tokens", mint_token),
        ("POST", "/projects", create_project),
        ("POST", "/databases/{databaseId}/backups", create_backup),
        ("PUT", "/backups/{backupId}/status", set_backup_status),
        ("PUT", "/databases/{databaseId}/status", set_database_status),
        ("GET", "/databases/{databaseId}/data", read_data),
        ("PUT", "/databases/{databaseId}/data", write_data),
        ("POST", "/authenticate", authenticate),
        ("GET", "/requests", list_requests),
        ("DELETE", "/requests", clear_requests),
    ):
        router.add(method, PREFIX + path, handler)
