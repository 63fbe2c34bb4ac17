"""State objects → JSON bodies shaped exactly as `restore_contract/contracts/openapi.yaml` documents them."""

from __future__ import annotations

from typing import Any

from restore_contract.emulator.models import REGIONS, Backup, Connection, Database, NewConnection
from restore_contract.emulator.state import Store


def _url(base: str, *parts: str) -> str:
    return "/".join([base.rstrip("/"), "v1", *parts])


def _endpoints(store: Store, secret: str | None) -> dict[str, Any]:
    endpoint: dict[str, Any] = {"host": store.data.endpoint.host, "port": store.data.endpoint.port}
    if secret is not None:
        endpoint["connectionString"] = secret
    return {"direct": dict(endpoint), "pooled": dict(endpoint)}


def connection(store: Store, conn: Connection, base: str, secret: str | None = None) -> dict[str, Any]:
    """A connection; its secrets only when `secret` is given (create responses)."""
    database = store.databases[conn.database_id]
    body: dict[str, Any] = {
        "id": conn.id,
        "type": "connection",
        "url": _url(base, "connections", conn.id),
        "name": conn.name,
        "createdAt": conn.created_at,
        "kind": "postgres",
        "endpoints": _endpoints(store, secret),
        "database": {"id": database.id, "url": _url(base, "databases", database.id), "name": database.name},
    }
    if secret is not None:
        host = store.data.endpoint.host
        body.update(connectionString=secret, host=host, user=conn.user, **{"pass": conn.password})
        body["directConnection"] = {"host": host, "user": conn.user, "pass": conn.password}
    return body


def database(store: Store, db: Database, base: str) -> dict[str, Any]:
    project = store.projects[db.project_id]
    return {
        "id": db.id,
        "type": "database",
        "url": _url(base, "databases", db.id),
        "name": db.name,
        "status": db.status,
        "createdAt": db.created_at,
        "isDefault": db.is_default,
        "defaultConnectionId": db.default_connection_id,
        "connections": [connection(store, conn, base) for conn in db.connections],
        "project": {"id": project.id, "url": _url(base, "projects", project.id), "name": project.name},
        "region": {"id": db.region, "name": REGIONS[db.region]},
        "source": db.source,
    }


def created_database(store: Store, db: Database, first: NewConnection, base: str) -> dict[str, Any]:
    """The 201 of database creation: the deprecated one-time secret fields included."""
    body = database(store, db, base)
    with_secret = connection(store, first.connection, base, first.connection_string)
    body["connections"] = [
        with_secret if conn.id == first.connection.id else connection(store, conn, base) for conn in db.connections
    ]
    api_key = {k: v for k, v in with_secret.items() if k not in ("database", "host", "user", "pass")}
    api_key["endpoints"] = _endpoints(store, None)
    body.update(apiKeys=[api_key], connectionString=first.connection_string)
    body["directConnection"] = with_secret["directConnection"]
    return body


def backup(item: Backup) -> dict[str, Any]:
    return {
        "id": item.id,
        "type": "backup",
        "backupType": item.backup_type,
        "createdAt": item.created_at,
        "size": item.size,
        "status": item.status,
    }


def error(status: int, code: str, message: str, hint: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if hint is not None:
        body["hint"] = hint
    return {"error": body}
