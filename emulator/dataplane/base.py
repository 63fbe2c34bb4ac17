"""The data-plane interface: databases with tables, logins with passwords, snapshots."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

Row = dict[str, Any]
Tables = dict[str, list[Row]]


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int


@dataclass(frozen=True)
class Snapshot:
    """A backup's content; opaque to everything but the data plane that made it."""

    handle: Any


class DataPlane(Protocol):
    endpoint: Endpoint

    def create_database(self, name: str) -> None: ...
    def drop_database(self, name: str) -> None: ...
    def create_login(self, database: str, user: str, password: str) -> None: ...
    def set_password(self, user: str, password: str) -> None: ...
    def drop_login(self, user: str) -> None: ...
    def snapshot(self, database: str) -> Snapshot: ...
    def restore(self, database: str, snapshot: Snapshot, *, only_tables: int | None = None) -> None: ...
    def read(self, database: str) -> Tables: ...
    def write(self, database: str, tables: Tables) -> None: ...
    def authenticate(self, connection_string: str) -> str | None:
        """The database a connection string logs into, or None when its credentials are refused."""
        ...

    def close(self) -> None: ...


def connection_string(endpoint: Endpoint, user: str, password: str, database: str) -> str:
    return f"postgres://{user}:{password}@{endpoint.host}:{endpoint.port}/{database}?sslmode=disable"
