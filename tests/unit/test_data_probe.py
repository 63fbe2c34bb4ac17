"""The data probe never has more than its bound of PostgreSQL sessions open at once (restore_contract/targets/data.py).

Staging databases have connection limits, and background verifications log in, read and write from several
threads at once. A fake `connect` counts the connections open at every instant; each one stays open a
little (the handshake, each statement), so that overlapping connections really overlap.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, cast

import psycopg
import pytest

from restore_contract.targets.data import MAX_SESSIONS, Credential, Login, LoginRefused, PostgresAccess

DELAY = 0.001  # seconds a handshake or a statement takes
DEADLINE = 5.0  # seconds every thread of a test has to finish; longer means a deadlock


class Server:
    """Counts the connections open at once, the most ever, and every connection opened."""

    def __init__(self, refused: frozenset[str] = frozenset()) -> None:
        self.lock = threading.Lock()
        self.open = 0
        self.most = 0
        self.opened: list[FakeConnection] = []
        self.refused = refused

    def connect(self, conninfo: str, **options: object) -> psycopg.Connection[Any]:
        if conninfo in self.refused:
            raise psycopg.OperationalError('FATAL:  password authentication failed for user "u"')
        connection = FakeConnection(self, conninfo)
        with self.lock:
            self.open += 1
            self.most = max(self.most, self.open)
            self.opened.append(connection)
        time.sleep(DELAY)  # the handshake, while the connection already counts on the server
        return cast("psycopg.Connection[Any]", connection)

    def opened_for(self, conninfo: str) -> int:
        with self.lock:
            return sum(connection.conninfo == conninfo for connection in self.opened)


class FakeCursor:
    """Just what `login`, `read_tables` and `write_tables` use: every table list is empty."""

    def __init__(self, connection: FakeConnection) -> None:
        self.connection = connection

    def __enter__(self) -> FakeCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def execute(self, query: object, params: object = None) -> FakeCursor:
        self.connection.statement()
        return self

    def executemany(self, query: object, params: object) -> None:
        self.connection.statement()

    def fetchall(self) -> list[tuple[Any, ...]]:
        return []

    def fetchone(self) -> tuple[Any, ...]:
        return (f"user of {self.connection.conninfo}", "db")


class FakeConnection:
    def __init__(self, server: Server, conninfo: str) -> None:
        self.server = server
        self.conninfo = conninfo
        self.closed = False
        self.ended = False  # a restore ended the session on the server: its next statement fails

    def statement(self) -> None:
        assert not self.closed, "a statement on a closed connection"
        if self.ended:
            raise psycopg.OperationalError("terminating connection due to administrator command")
        time.sleep(DELAY)

    def execute(self, query: object, params: object = None) -> FakeCursor:
        return FakeCursor(self).execute(query, params)

    def cursor(self) -> FakeCursor:
        return FakeCursor(self)

    def transaction(self) -> contextlib.nullcontext[None]:
        return contextlib.nullcontext()

    def close(self) -> None:
        with self.server.lock:
            if not self.closed:
                self.closed = True
                self.server.open -= 1

    def __enter__(self) -> FakeConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def secret(index: int) -> str:
    return f"postgresql://u{index}:pw@db.example/{index}"


def in_threads(count: int, work: Callable[[int], None]) -> None:
    """Run `work(0)` … `work(count - 1)` in threads started together; fail on any error or on a deadlock."""
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            start.wait()
            work(index)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index,), daemon=True) for index in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + DEADLINE
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert not [thread.name for thread in threads if thread.is_alive()], "threads still running: a deadlock"
    assert not errors, errors


@pytest.fixture
def server() -> Server:
    return Server()


@pytest.fixture
def access(server: Server) -> Iterator[PostgresAccess]:
    probe = PostgresAccess(connect=server.connect)
    try:
        yield probe
    finally:
        probe.close()
    assert server.open == 0, "close() left connections open"


def test_threads_logging_in_reading_and_writing_never_open_more_than_the_bound(
    server: Server, access: PostgresAccess
) -> None:
    def verify(index: int) -> None:  # what a background verification does, on its own connection string
        for _ in range(5):
            assert access.login(secret(index)) == Login(f"user of {secret(index)}", "db")
            assert access.read(secret(index)) == {}
            access.write(secret(index), {"items": [{"id": index}]})

    in_threads(2 * MAX_SESSIONS, verify)
    assert server.most <= MAX_SESSIONS


def test_logins_from_more_threads_than_the_bound_complete_with_every_kept_session_open(
    server: Server, access: PostgresAccess
) -> None:
    for index in range(MAX_SESSIONS):
        access.read(secret(index))
    assert server.open == MAX_SESSIONS

    def log_in(index: int) -> None:
        access.login(secret(index))

    in_threads(2 * MAX_SESSIONS, log_in)
    assert server.most == MAX_SESSIONS
    assert len(server.opened) == MAX_SESSIONS + 2 * MAX_SESSIONS  # each login logged in afresh


def test_kept_sessions_are_reused_and_a_login_always_opens_a_new_session(
    server: Server, access: PostgresAccess
) -> None:
    access.read(secret(0))
    access.write(secret(0), {})
    access.read(secret(0))
    assert server.opened_for(secret(0)) == 1

    access.login(secret(0))
    access.login(secret(0))
    assert server.opened_for(secret(0)) == 3  # never the kept session: the credentials must log in now
    assert server.open == 1, "the last login's session is kept, in place of the older ones"
    access.read(secret(0))
    assert server.opened_for(secret(0)) == 3, "the read uses the last login's session"


def test_after_a_restore_ended_the_session_a_login_and_a_read_cost_one_connection(
    server: Server, access: PostgresAccess
) -> None:
    """What a verified restore does (checks/restore.py): the logins first, then the data through the first one's
    session; a reconnect for the read and a login after it cost two."""
    access.read(secret(0))
    server.opened[-1].ended = True  # a restore ended the kept session
    access.login(secret(0))
    assert access.read(secret(0)) == {}
    assert server.opened_for(secret(0)) == 2
    assert server.open == 1


def test_the_least_recently_used_kept_session_is_closed_first(server: Server, access: PostgresAccess) -> None:
    for index in range(MAX_SESSIONS):
        access.read(secret(index))
    access.read(secret(0))  # now the most recently used
    access.read(secret(MAX_SESSIONS))  # one more: secret(1)'s session goes
    assert [c.conninfo for c in server.opened if c.closed] == [secret(1)]
    assert server.open == MAX_SESSIONS


def test_refused_logins_and_ended_sessions_give_their_slot_back() -> None:
    server = Server(refused=frozenset({secret(9)}))
    access = PostgresAccess(max_sessions=1, connect=server.connect)

    def probe(index: int) -> None:  # with a slot lost on the way, the next connection would wait for ever
        for _ in range(3):
            with pytest.raises(LoginRefused, match="password authentication failed"):
                access.login(secret(9))
        access.read(secret(0))
        server.opened[-1].ended = True  # a restore ended the kept session: the read reconnects once
        assert access.read(secret(0)) == {}
        assert server.opened_for(secret(0)) == 2
        assert server.open == 1
        access.login(secret(1))

    in_threads(1, probe)
    assert server.most == 1
    access.close()
    assert server.open == 0


def test_a_kept_session_closed_meanwhile_is_replaced_and_its_slot_given_back(server: Server) -> None:
    """A session the server closed (a restore, an idle timeout) is not reused: the next read opens a new one."""
    access = PostgresAccess(max_sessions=1, connect=server.connect)
    access.read(secret(0))
    server.opened[-1].close()
    assert access.read(secret(0)) == {}
    assert server.opened_for(secret(0)) == 2
    access.login(secret(1))  # one slot: the closed session no longer holds it
    access.close()
    assert server.open == 0


def test_a_connection_string_psycopg_cannot_use_is_a_refused_login_without_the_secret() -> None:
    def connect(conninfo: str, **options: object) -> psycopg.Connection[Any]:
        raise psycopg.ProgrammingError(f"invalid connection option in {conninfo!r}")

    access = PostgresAccess(max_sessions=1, connect=connect)
    with pytest.raises(LoginRefused) as refused:
        access.login("postgresql://u:hunter2@db.example/1?sslmode=nope")
    assert str(refused.value).startswith("unusable connection string: invalid connection option in ")
    assert "hunter2" not in str(refused.value)
    with pytest.raises(LoginRefused):  # the slot of the first was given back
        access.login("postgresql://u:hunter2@db.example/1?sslmode=nope")


def test_a_probe_needs_at_least_one_session() -> None:
    with pytest.raises(ValueError, match="max_sessions must be at least 1"):
        PostgresAccess(max_sessions=0)
    PostgresAccess(max_sessions=1).close()


def test_the_default_probe_keeps_the_four_sessions_docs_nightly_promises(server: Server) -> None:
    """docs/nightly.md: "The data probe keeps at most 4 database sessions open at a time"."""
    access = PostgresAccess(connect=server.connect)
    for index in range(6):
        access.read(secret(index))
    assert (server.most, server.open) == (4, 4)
    access.close()


def test_the_probe_connects_in_autocommit_and_gives_up_on_a_silent_database_after_10_s() -> None:
    """Each statement its own transaction (a restore never waits on a probe's open one); a database that does not
    answer is a refused login after 10 s, not a run that hangs."""
    options: list[dict[str, object]] = []
    server = Server()

    def connect(conninfo: str, **given: object) -> psycopg.Connection[Any]:
        options.append(given)
        return server.connect(conninfo)

    access = PostgresAccess(connect=connect)
    access.login(secret(0))
    access.read(secret(1))
    access.close()
    assert options == [{"autocommit": True, "connect_timeout": 10}] * 2


def test_a_credential_never_shows_its_connection_string(
    access: PostgresAccess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Connection strings are secrets: a credential printed (a failure's locals, a debug line) shows where it logged
    in, never the string."""
    monkeypatch.setattr(FakeCursor, "fetchone", lambda cursor: ("alice", "db"))  # the server's session_user
    secret_string = "postgresql://alice:hunter2@db.example/1"
    credential = Credential(secret_string, access.login(secret_string))  # as the pool makes one
    assert "hunter2" not in repr(credential)
    assert "hunter2" not in str(credential)
    assert repr(credential.login) in repr(credential)


def test_a_login_whose_first_statement_fails_closes_its_session_and_gives_its_slot_back(server: Server) -> None:
    """The session a login opened is kept only once it logged in: one the server ends at once is closed."""

    def ended_at_once(conninfo: str, **options: object) -> psycopg.Connection[Any]:
        connection = server.connect(conninfo, **options)
        cast(Any, connection).ended = True
        return connection

    access = PostgresAccess(max_sessions=1, connect=ended_at_once)
    with pytest.raises(psycopg.OperationalError):
        access.login(secret(0))
    assert server.open == 0
    assert access._slots.acquire(blocking=False), "its slot is free again"


class Gated(Server):
    """A server whose statements on `gated` connections wait until `gate` is set (a slow read, a slow login)."""

    def __init__(self, gated: str) -> None:
        super().__init__()
        self.gated, self.gate, self.waiting = gated, threading.Event(), threading.Event()

    def connect(self, conninfo: str, **options: object) -> psycopg.Connection[Any]:
        connection = super().connect(conninfo, **options)
        if conninfo == self.gated:
            statement = cast(Any, connection).statement

            def held() -> None:
                self.waiting.set()
                assert self.gate.wait(DEADLINE), "never let through"
                statement()

            cast(Any, connection).statement = held
        return connection


def _started(work: Callable[[], object]) -> threading.Thread:
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


def _then_note(times: list[float], work: Callable[[], object]) -> None:
    work()
    times.append(time.monotonic())


def test_a_login_does_not_wait_for_a_read_in_progress() -> None:
    """A verification logging in while another thread reads (under the sessions' lock) logs in at once; its session
    is kept by whoever takes the lock next."""
    server = Gated(secret(0))
    access = PostgresAccess(connect=server.connect)
    reading = _started(lambda: access.read(secret(0)))
    assert server.waiting.wait(DEADLINE)
    try:
        logging_in = _started(lambda: access.login(secret(1)))
        logging_in.join(DEADLINE / 2)
        assert not logging_in.is_alive(), "the login waited for the read"
    finally:
        server.gate.set()
        reading.join(DEADLINE)
    access.read(secret(1))
    assert server.opened_for(secret(1)) == 1, "the login's session was kept for the next read"
    access.close()


def test_a_read_waiting_for_a_slot_polls_for_a_logins_session_without_spinning() -> None:
    """With every slot held by a login in flight, a read takes the slot once the login hands its session over: within
    a poll (10 ms), not a second later, and without spinning on the lock meanwhile."""
    server = Gated(secret(1))
    access = PostgresAccess(max_sessions=1, connect=server.connect)
    rounds = [0]
    adopt = access._adopt

    def counted() -> None:
        rounds[0] += 1
        adopt()

    access._adopt = counted  # type: ignore[method-assign]
    logged_in: list[float] = []
    logging_in = _started(lambda: _then_note(logged_in, lambda: access.login(secret(1))))
    assert server.waiting.wait(DEADLINE)
    read: list[float] = []
    reading = _started(lambda: _then_note(read, lambda: access.read(secret(0))))
    time.sleep(0.15)  # the read waits for the only slot meanwhile
    server.gate.set()
    logging_in.join(DEADLINE)
    reading.join(DEADLINE)

    assert read, "the read never got a slot"
    assert read[0] - logged_in[0] < 0.6, f"the read took the slot {read[0] - logged_in[0]:.2f} s after the login"
    assert rounds[0] < 200, f"{rounds[0]} rounds in 0.15 s: the read spun on the lock"
    access.close()
