"""A real PostgreSQL data plane: each emulated database is a database, each connection a login role.

Layout inside the cluster, per plane (several planes, e.g. several emulators in one test process, share a
cluster under distinct name prefixes):
- `<ns>_owner` (NOLOGIN) owns every database and table of the plane; each login role is a NOINHERIT member
  whose sessions start with `SET ROLE <ns>_owner`. So what one connection creates the others can read, a
  restored snapshot (made from any database of the plane) stays readable, and yet a login may only
  CONNECT to the one database it was granted.
- A snapshot is logical, as `pg_dump` makes one: the tables of schema `public` and their rows, read in one
  statement per table. A restore ends the target's sessions, as a real restore does, then replaces its tables
  with the snapshot's in one transaction (`write_tables`). Roles and passwords are cluster objects, untouched
  by either: credentials issued before a restore still work after it.

Why logical and not a template copy (`CREATE DATABASE … TEMPLATE`): the copy moves the whole ~7.5 MB database
(its catalogs included) for a few rows, and needs the source without sessions; it cost ~21 ms and most of a
default run's system time per restore, the logical restore ~2 ms. The data after a restore is the same.
"""

from __future__ import annotations

import itertools
import secrets
import time
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg import sql

from restore_contract.dataset.tables import Tables, read_tables, write_tables
from restore_contract.emulator.dataplane.base import Snapshot, connection_string
from restore_contract.emulator.dataplane.cluster import Cluster

_SESSION_END_TIMEOUT = 5.0


class PostgresDataPlane:
    def __init__(self, cluster: Cluster, namespace: str | None = None) -> None:
        self.cluster = cluster
        self.endpoint = cluster.endpoint
        self.namespace = namespace or "e" + secrets.token_hex(4)
        self._admin = cluster.connect()
        self._owner = f"{self.namespace}_owner"
        self._names = itertools.count(1)
        self._databases: dict[str, str] = {}  # emulated name → PostgreSQL database
        self._logins: dict[str, set[str]] = {}  # PostgreSQL database → its login roles
        self._sessions: dict[str, psycopg.Connection[Any]] = {}  # PostgreSQL database → the plane's own session
        self._execute("CREATE ROLE {} NOLOGIN", self._owner)

    # --- helpers ---------------------------------------------------------------------------------

    def _execute(self, statement: str, *identifiers: str, literal: str | None = None) -> None:
        parts: list[Any] = [sql.Identifier(name) for name in identifiers]
        if literal is not None:
            parts.append(sql.Literal(literal))
        self._admin.execute(sql.SQL(statement).format(*parts))

    def _new_name(self, kind: str) -> str:
        return f"{self.namespace}_{kind}{next(self._names)}"

    def _physical(self, database: str) -> str:
        return self._databases[database]

    def _session(self, physical: str) -> psycopg.Connection[Any]:
        """The plane's own session on a database, as its owner: kept, since a new one costs a backend (~5 ms)."""
        session = self._sessions.get(physical)
        if session is None or session.closed or session.broken:
            session = self.cluster.connect(physical)
            session.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(self._owner)))
            self._sessions[physical] = session
        return session

    def _close_session(self, physical: str) -> None:
        session = self._sessions.pop(physical, None)
        if session is not None:
            session.close()

    def _end_sessions(self, database: str | None = None, *, role: str | None = None) -> None:
        """End every session on the database (or of the role) but the plane's own, and wait until they are gone.

        Waiting here, in 2 ms steps, matters: pg_terminate_backend's own wait polls in 100 ms steps.
        """
        where = "datname = %s" if database is not None else "usename = %s"
        own = [self._admin.info.backend_pid, *(s.info.backend_pid for s in self._sessions.values() if not s.closed)]
        query = f"SELECT pid FROM pg_stat_activity WHERE {where} AND pid <> ALL(%s)"
        pids = [pid for (pid,) in self._admin.execute(query, [database or role, own]).fetchall()]
        if not pids:
            return
        self._admin.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", [pids])
        deadline = time.monotonic() + _SESSION_END_TIMEOUT
        while time.monotonic() < deadline:
            if not self._admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = ANY(%s)", [pids]).fetchone():
                return
            time.sleep(0.002)

    def _grant_connect(self, database: str) -> None:
        self._execute("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC", database)
        for role in sorted(self._logins.get(database, ())):
            self._execute("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}", database, role)

    # --- the DataPlane interface -----------------------------------------------------------------

    def create_database(self, name: str) -> None:
        physical = self._new_name("d")
        self._execute("CREATE DATABASE {} OWNER {} STRATEGY FILE_COPY", physical, self._owner)
        self._grant_connect(physical)
        self._databases[name] = physical

    def drop_database(self, name: str) -> None:
        physical = self._databases.pop(name, None)
        if physical is None:
            return
        self._close_session(physical)
        self._end_sessions(physical)
        self._execute("DROP DATABASE IF EXISTS {} WITH (FORCE)", physical)
        for role in self._logins.pop(physical, set()):
            self._drop_role(role)

    def create_login(self, database: str, user: str, password: str) -> str:
        physical, role = self._physical(database), f"{self.namespace}_{user}"
        self._execute("CREATE ROLE {} LOGIN NOINHERIT PASSWORD {}", role, literal=password)
        self._execute("GRANT {} TO {}", self._owner, role)
        self._execute("ALTER ROLE {} SET role = {}", role, literal=self._owner)
        self._execute("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}", physical, role)
        self._logins.setdefault(physical, set()).add(role)
        return role

    def set_password(self, user: str, password: str) -> None:
        self._execute("ALTER ROLE {} PASSWORD {}", user, literal=password)

    def drop_login(self, user: str) -> None:
        for roles in self._logins.values():
            roles.discard(user)
        self._drop_role(user)

    def _drop_role(self, role: str) -> None:
        self._end_sessions(role=role)
        self._execute("DROP OWNED BY {}", role)  # its CONNECT grants
        self._execute("DROP ROLE {}", role)

    def connection_string(self, database: str, user: str, password: str) -> str:
        return connection_string(self.endpoint, user, password, self._physical(database))

    def snapshot(self, database: str) -> Snapshot:
        physical = self._physical(database)
        tables = read_tables(self._session(physical))
        size = self._admin.execute("SELECT pg_database_size(%s)", [physical]).fetchone()
        return Snapshot(tables, size=int(size[0]) if size else 0)

    def restore(self, database: str, snapshot: Snapshot) -> None:
        physical = self._physical(database)
        self._end_sessions(physical)
        write_tables(self._session(physical), snapshot.handle)

    def read(self, database: str) -> Tables:
        return read_tables(self._session(self._physical(database)))

    def write(self, database: str, tables: Tables) -> None:
        write_tables(self._session(self._physical(database)), tables)

    def authenticate(self, connection_string: str) -> str | None:
        """Log in for real with the connection string; the emulated database it reached, or None."""
        try:
            parts = urlsplit(connection_string)
            if (parts.hostname, parts.port) != (self.endpoint.host, self.endpoint.port):
                return None  # never send credentials anywhere else
            with psycopg.connect(connection_string, connect_timeout=5) as connection:
                row = connection.execute("SELECT current_database()").fetchone()
        except (psycopg.Error, ValueError):
            return None
        physical = str(row[0]) if row else unquote(parts.path.lstrip("/"))
        return next((name for name, found in self._databases.items() if found == physical), None)

    def close(self) -> None:
        """Drop every database and role of this plane (the plane stays usable)."""
        for name in list(self._databases):
            self.drop_database(name)

    def shutdown(self) -> None:
        """close(), then drop the owner role and the administrative session."""
        if self._admin.closed:
            return
        self.close()
        self._execute("DROP ROLE IF EXISTS {}", self._owner)
        self._admin.close()
