"""An in-memory data plane: tables are lists of rows, logins a dictionary. Fast and dependency-free."""

from __future__ import annotations

import copy
from urllib.parse import unquote, urlsplit

from restore_contract.emulator.dataplane.base import Endpoint, Snapshot, Tables, connection_string

LOCAL = Endpoint("localhost", 5432)


class MemoryDataPlane:
    def __init__(self, endpoint: Endpoint = LOCAL) -> None:
        self.endpoint = endpoint
        self._tables: dict[str, Tables] = {}
        self._logins: dict[str, tuple[str, str]] = {}  # user → (password, database)

    def create_database(self, name: str) -> None:
        self._tables[name] = {}

    def create_login(self, database: str, user: str, password: str) -> str:
        self._logins[user] = (password, database)
        return user

    def set_password(self, user: str, password: str) -> None:
        self._logins[user] = (password, self._logins[user][1])

    def drop_login(self, user: str) -> None:
        self._logins.pop(user, None)

    def connection_string(self, database: str, user: str, password: str) -> str:
        return connection_string(self.endpoint, user, password, database)

    def snapshot(self, database: str) -> Snapshot:
        tables = copy.deepcopy(self._tables[database])
        return Snapshot(tables, size=len(repr(tables)))

    def restore(self, database: str, snapshot: Snapshot) -> None:
        self._tables[database] = copy.deepcopy(snapshot.handle)

    def read(self, database: str) -> Tables:
        return copy.deepcopy(self._tables[database])

    def write(self, database: str, tables: Tables) -> None:
        self._tables[database] = copy.deepcopy(tables)

    def authenticate(self, connection_string: str) -> str | None:
        try:
            parts = urlsplit(connection_string)
        except ValueError:  # e.g. an unbalanced '[' in the host: not a connection string at all
            return None
        user, password = unquote(parts.username or ""), unquote(parts.password or "")
        login = self._logins.get(user)
        database = parts.path.lstrip("/")
        if login is None or login != (password, database) or database not in self._tables:
            return None
        return database

    def close(self) -> None:
        self._tables.clear()
        self._logins.clear()

    def shutdown(self) -> None:
        self.close()
