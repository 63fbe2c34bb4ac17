"""Handlers of the public API (`/v1/...`): parse the request, apply the rules (`resources`, `restore`), render."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from restore_contract.contracts import matches_database_id, matches_project_id
from restore_contract.emulator import render, resources
from restore_contract.emulator.errors import ApiError
from restore_contract.emulator.models import REGIONS, Grant, Source
from restore_contract.emulator.restore import start_restore
from restore_contract.emulator.routing import Router
from restore_contract.emulator.state import Store

# The documented pattern of DELETE /v1/connections/{id} (only this operation of the connection routes is served).
CONNECTION_ID = re.compile(r"(con_)?([cC][^\s-]{8,}|[a-z0-9]+)")


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any = None  # None: no body (204)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    request: Request
    params: dict[str, str]
    store: Store
    base_url: str
    grant: Grant | None = None  # what the request's token may do (None: the control plane, which takes no token)

    async def json_body(self, *, required: bool) -> Any:
        raw = await self.request.body()
        if not raw:
            if required:
                raise bad_input("A JSON body is required.")
            return {}
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: nested too deeply
            raise bad_input("The body is not valid JSON.") from None

    async def json_object(self) -> dict[str, Any]:
        body = await self.json_body(required=False)
        if not isinstance(body, dict):
            raise bad_input("The body must be a JSON object.")
        return body


def bad_input(message: str) -> ApiError:
    """Invalid input to a scaffolding operation: 400, as the contract's named deviation documents."""
    return ApiError(400, "bad_request", message)


def _id(call: Call, name: str = "databaseId", matches: Callable[[str], bool] = matches_database_id) -> str:
    value = call.params[name]
    if not matches(value):
        raise bad_input(f"{name} does not match the {name.removesuffix('Id')} id pattern.")
    return value


def _limit(call: Call, default: int, maximum: int | None = None) -> int:
    raw = call.request.query_params.get("limit")
    if raw is None:
        return default
    try:
        number = float(raw)
    except ValueError:
        raise bad_input("limit must be a number.") from None
    if not math.isfinite(number) or number != int(number) or number < 1 or (maximum is not None and number > maximum):
        raise bad_input(f"limit must be a whole number from 1{f' to {maximum}' if maximum else ''}.")
    return int(number)


def _page(items: list[Any], call: Call) -> dict[str, Any]:
    limit = _limit(call, default=100)
    cursor = call.request.query_params.get("cursor") or ""
    try:
        start = int(cursor) if cursor.isascii() and cursor.isdigit() else 0
    except ValueError:  # more digits than int() parses
        start = 0
    page = items[start : start + limit]
    more = start + limit < len(items)
    return {"data": page, "pagination": {"nextCursor": str(start + limit) if more else None, "hasMore": more}}


async def get_database(call: Call) -> Reply:
    database = call.store.database(_id(call), grant=call.grant)
    return Reply(200, {"data": render.database(call.store, database, call.base_url)})


async def delete_database(call: Call) -> Reply:
    resources.delete_database(call.store, _id(call), call.grant)
    return Reply(204)


async def list_databases(call: Call) -> Reply:
    found = resources.list_databases(call.store, _id(call, "projectId", matches_project_id), call.grant)
    return Reply(200, _page([render.database(call.store, d, call.base_url) for d in found], call))


async def create_database(call: Call) -> Reply:
    project_id = _id(call, "projectId", matches_project_id)
    body = await call.json_object()
    name = body.get("name", "database")
    region = body.get("region", "us-east-1")
    is_default = body.get("isDefault", False)
    if not isinstance(name, str) or not name:
        raise bad_input("name must be a non-empty string.")
    if not isinstance(region, str) or (region != "inherit" and region not in REGIONS):
        raise bad_input(f"region must be one of {sorted(REGIONS)} or 'inherit'.")
    if not isinstance(is_default, bool):
        raise bad_input("isDefault must be a boolean.")
    database, first = resources.create_database(
        call.store,
        project_id,
        name,
        "us-east-1" if region == "inherit" else region,
        is_default,
        _creation_source(body),
        call.grant,
    )
    return Reply(201, {"data": render.created_database(call.store, database, first, call.base_url)})


def _creation_source(body: dict[str, Any]) -> Source | None:
    """`source` (or the deprecated `fromDatabase`) of a create request, checked against the contract's oneOf."""
    source, legacy = body.get("source"), body.get("fromDatabase")
    if source is None and isinstance(legacy, dict):
        source = {"type": "backup" if "backupId" in legacy else "database", "databaseId": legacy.get("id")}
        if "backupId" in legacy:
            source["backupId"] = legacy["backupId"]
    elif legacy is not None and not isinstance(legacy, dict):
        raise bad_input("fromDatabase must be an object.")
    if source is None:
        return None
    fields = {"empty": (), "backup": ("databaseId", "backupId"), "database": ("databaseId",)}
    kind = source.get("type") if isinstance(source, dict) else None
    if not isinstance(kind, str) or kind not in fields:
        raise bad_input("source.type must be one of empty, backup, database.")
    assert isinstance(source, dict)
    if not all(isinstance(source.get(name), str) for name in fields[kind]):
        raise bad_input(f"source of type {kind} needs {', '.join(fields[kind])} as strings.")
    if "databaseId" in fields[kind] and not matches_database_id(source["databaseId"]):
        raise bad_input("source.databaseId does not match the database id pattern.")
    return {"type": kind, **{name: source[name] for name in fields[kind]}}


async def list_backups(call: Call) -> Reply:
    database_id = _id(call)
    limit = _limit(call, default=25, maximum=100)
    found = resources.list_backups(call.store, database_id, call.grant)
    data, pagination = [render.backup(b) for b in found[:limit]], {"hasMore": len(found) > limit, "limit": limit}
    return Reply(200, {"data": data, "meta": {"backupRetentionDays": 7}, "pagination": pagination})


async def list_connections(call: Call) -> Reply:
    database = call.store.database(_id(call), grant=call.grant)
    connections = [render.connection(call.store, c, call.base_url) for c in database.connections]
    return Reply(200, _page(connections, call))


async def create_connection(call: Call) -> Reply:
    database_id = _id(call)
    body = await call.json_body(required=True)
    if not isinstance(body, dict) or not isinstance(body.get("name"), str):
        raise bad_input("The body must be {name: string}.")
    created = resources.create_connection(call.store, database_id, body["name"], call.grant)
    data = render.connection(call.store, created.connection, call.base_url, created.connection_string)
    return Reply(200, {"data": data})


async def delete_connection(call: Call) -> Reply:
    connection_id = call.params["id"]
    if not CONNECTION_ID.fullmatch(connection_id):
        raise bad_input("id does not match the connection id pattern.")
    resources.delete_connection(call.store, connection_id, call.grant)
    return Reply(204)


async def restore(call: Call) -> Reply:
    database = start_restore(call.store, call.params["targetDatabaseId"], await call.request.body(), call.grant)
    return Reply(200, {"data": call.store.policy.restore_answer(render.database(call.store, database, call.base_url))})


def routes(router: Router) -> None:
    router.add("GET", "/v1/databases/{databaseId}", get_database)
    router.add("DELETE", "/v1/databases/{databaseId}", delete_database)
    router.add("GET", "/v1/projects/{projectId}/databases", list_databases)
    router.add("POST", "/v1/projects/{projectId}/databases", create_database)
    router.add("GET", "/v1/databases/{databaseId}/backups", list_backups)
    router.add("GET", "/v1/databases/{databaseId}/connections", list_connections)
    router.add("POST", "/v1/databases/{databaseId}/connections", create_connection)
    router.add("DELETE", "/v1/connections/{id}", delete_connection)
    router.add("POST", "/v1/databases/{targetDatabaseId}/restore", restore)
