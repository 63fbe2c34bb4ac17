"""The data-plane interface: databases with tables, logins with passwords, snapshots."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from restore_contract.dataset.tables import Row, Tables

__all__ = ["DataPlane", "Endpoint", "Row", "Snapshot", "Tables", "connection_string"]


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int


@dataclass(frozen=True)
class Snapshot:
    """A backup's content; opaque to everything but the data plane that made it."""

    handle: Any
    size: int = 0  # bytes, as a backup's `size` reports it


class DataPlane(Protocol):
    """Databases and logins are named by the emulator (database ids, user names); a plane may store them
    under other names, but every connection string it issues logs into the database it was issued for."""

    endpoint: Endpoint

    def create_database(self, name: str) -> None: ...
    def create_login(self, database: str, user: str, password: str) -> str:
        """Create a login for `database`; returns the user name its connection string carries."""
        ...

    def set_password(self, user: str, password: str) -> None: ...
    def drop_login(self, user: str) -> None: ...
    def connection_string(self, database: str, user: str, password: str) -> str: ...
    def snapshot(self, database: str) -> Snapshot: ...
    def restore(self, database: str, snapshot: Snapshot) -> None:
        """Replace the database's data with the snapshot's; its logins stay exactly as they are."""
        ...

    def read(self, database: str) -> Tables: ...
    def write(self, database: str, tables: Tables) -> None: ...
    def authenticate(self, connection_string: str) -> str | None:
        """The database a connection string logs into, or None when its credentials are refused."""
        ...

    def close(self) -> None:
        """Forget every database and login (the plane stays usable)."""
        ...

    def shutdown(self) -> None:
        """close(), and release whatever the plane holds for good (connections, roles)."""
        ...


def connection_string(endpoint: Endpoint, user: str, password: str, database: str) -> str:
    return f"postgres://{user}:{password}@{endpoint.host}:{endpoint.port}/{database}?sslmode=disable"
