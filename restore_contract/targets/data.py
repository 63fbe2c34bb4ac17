"""The data probe: log in with a connection string the public API issued, and read or write the data.

`PostgresAccess` connects for real with psycopg, so the same probe runs against the emulator's embedded
PostgreSQL and against staging. `ControlPlaneAccess` stands in for it when the emulator keeps its data in
memory (no connection string works there): it asks the control plane to check the credentials and to
read or write the data of the database they name.

Connection strings are secrets: they are held in memory only, never printed (`Credential` hides it from
repr), and errors quote only what the server said.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar
from urllib.parse import unquote, urlsplit

import psycopg

from restore_contract.dataset.tables import Tables, read_tables, write_tables
from restore_contract.redaction import scrub_text
from restore_contract.targets.control import ControlPlane

CONNECT_TIMEOUT = 10
MAX_SESSIONS = 4  # a few targets at a time; connection limits of staging plans start at 10 or so
T = TypeVar("T")


class LoginRefused(AssertionError):
    """The credentials did not log in; the message is the server's reason (never the secret)."""


@dataclass(frozen=True)
class Login:
    """Who a connection string logs in as, and where: what a restore must leave unchanged."""

    user: str
    database: str


@dataclass(frozen=True)
class Credential:
    """A connection string issued by `POST /v1/databases/{id}/connections`, and where it logged in then."""

    connection_string: str = field(repr=False)
    login: Login


class DataAccess(Protocol):
    def login(self, connection_string: str) -> Login:
        """Log in afresh (never with a kept session); raises LoginRefused when the credentials are refused."""
        ...

    def read(self, connection_string: str) -> Tables: ...
    def write(self, connection_string: str, tables: Tables) -> None: ...
    def close(self) -> None: ...


class PostgresAccess:
    """psycopg sessions, kept open between reads and reopened when a restore (or a backup) ended them.

    At most `max_sessions` connections are open at any instant, counting the fresh session of each `login`
    and the kept ones: staging databases have connection limits, and a run that kept a session per connection
    string exhausted them (FATAL: remaining connection slots). Background verifications call from several
    threads at once; a new connection takes a slot, closing the least recently used kept session if none is
    free, or waiting for a login in flight to end (logins never wait for a slot while holding one).
    """

    def __init__(
        self, max_sessions: int = MAX_SESSIONS, connect: Callable[..., psycopg.Connection[Any]] = psycopg.connect
    ) -> None:
        if max_sessions < 1:
            raise ValueError("max_sessions must be at least 1: a login needs a session")
        self._connector = connect  # injectable, so a test can count connections without a server
        self._sessions: OrderedDict[str, psycopg.Connection[Any]] = OrderedDict()
        self._lock = threading.RLock()  # guards `_sessions`; one session is never used by two threads at once
        self._slots = threading.BoundedSemaphore(max_sessions)  # one per open connection, kept or login
        # Sessions logins opened, to be kept: handed over without the lock (a reader may hold it, waiting for a slot
        # that only a login in flight can free), taken into `_sessions` by whoever holds it next.
        self._handed: deque[tuple[str, psycopg.Connection[Any]]] = deque()

    def _connect(self, connection_string: str) -> psycopg.Connection[Any]:
        try:
            return self._connector(connection_string, autocommit=True, connect_timeout=CONNECT_TIMEOUT)
        except psycopg.OperationalError as error:
            raise LoginRefused(_reason(error)) from None
        except psycopg.ProgrammingError as error:  # not a connection string psycopg understands
            raise LoginRefused(f"unusable connection string: {_reason(error)}") from None

    def _reserve(self) -> None:
        """Take a slot for a new connection; if none is free, close the least recently used kept session."""
        if self._slots.acquire(blocking=False):
            return  # no lock needed: a login need not wait for a read in progress
        while True:
            with self._lock:  # kept sessions are closed only under the lock (reentrant: `_session` holds it)
                self._adopt()
                if self._sessions:
                    self._discard(self._sessions.popitem(last=False)[1])
            # Another thread may take the slot just freed; with none kept, every slot is a login in flight: it ends
            # without the lock (its session handed over or closed), and the next round takes it.
            if self._slots.acquire(timeout=0.01):
                return

    def _adopt(self) -> None:
        """Keep the sessions logins handed over, each in place of the older one of its connection string (call with
        the lock held)."""
        while self._handed:
            connection_string, session = self._handed.popleft()
            older = self._sessions.pop(connection_string, None)
            if older is not None:
                self._discard(older)
            self._sessions[connection_string] = session  # the most recently used, last

    def _open(self, connection_string: str) -> psycopg.Connection[Any]:
        self._reserve()
        try:
            return self._connect(connection_string)
        except BaseException:
            self._slots.release()  # a refused login holds no connection
            raise

    def _discard(self, session: psycopg.Connection[Any]) -> None:
        session.close()  # close first, then free the slot, so the count never runs below what is open
        self._slots.release()

    def login(self, connection_string: str) -> Login:
        """A new session (the point is that these credentials log in now), then kept for the next read in place of
        the older one: after a restore ended the kept session, the check that logs in and the read that follows it
        cost one connection, not two."""
        session = self._open(connection_string)
        try:
            row = session.execute("SELECT session_user, current_database()").fetchone()
        except BaseException:
            self._discard(session)
            raise
        self._handed.append((connection_string, session))
        if self._lock.acquire(blocking=False):  # kept now, unless another thread holds the lock (it will adopt it)
            try:
                self._adopt()
            finally:
                self._lock.release()
        assert row is not None
        return Login(str(row[0]), str(row[1]))

    def _session(self, connection_string: str) -> psycopg.Connection[Any]:
        """The kept session for `connection_string` (a new one if it has none); call with the lock held."""
        self._adopt()
        session = self._sessions.pop(connection_string, None)
        if session is not None and session.closed:
            self._discard(session)
            session = None
        if session is None:
            session = self._open(connection_string)
        self._sessions[connection_string] = session  # the most recently used, last
        return session

    def _use(self, connection_string: str, action: Callable[[psycopg.Connection[Any]], T]) -> T:
        """Run `action(session)` on the kept session; once more on a new one if a restore ended the old one."""
        with self._lock:
            try:
                return action(self._session(connection_string))
            except psycopg.OperationalError:
                self._discard(self._sessions.pop(connection_string))
                return action(self._session(connection_string))

    def read(self, connection_string: str) -> Tables:
        return self._use(connection_string, read_tables)

    def write(self, connection_string: str, tables: Tables) -> None:
        self._use(connection_string, lambda session: write_tables(session, tables))

    def close(self) -> None:
        with self._lock:
            self._adopt()
            while self._sessions:
                self._discard(self._sessions.popitem()[1])


class ControlPlaneAccess:
    """For an emulator whose data lives in memory: the control plane checks credentials and moves data."""

    def __init__(self, control: ControlPlane) -> None:
        self._control = control

    def login(self, connection_string: str) -> Login:
        database = self._control.authenticates(connection_string)
        if database is None:
            raise LoginRefused("the emulator refused the credentials")
        return Login(unquote(urlsplit(connection_string).username or ""), database)

    def read(self, connection_string: str) -> Tables:
        return self._control.read_data(self.login(connection_string).database)

    def write(self, connection_string: str, tables: Tables) -> None:
        self._control.write_data(self.login(connection_string).database, tables)

    def close(self) -> None:
        pass


def _reason(error: psycopg.Error) -> str:
    """The server's words, on one line, with any password that slipped into them blanked out."""
    return scrub_text(" ".join(str(error).split()))[:300]
