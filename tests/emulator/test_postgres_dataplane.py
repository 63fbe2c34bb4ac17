"""The PostgreSQL data plane: connection strings from the public API log in for real, backups snapshot the
data, and a restore replaces the data while every role, password and connection id stays the same."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import psycopg
import pytest

from restore_contract.dataset.tables import Tables, read_tables, write_tables
from restore_contract.emulator import EmulatorConfig
from restore_contract.emulator.dataplane.cluster import Cluster, ClusterError, _stop, embedded_cluster
from restore_contract.emulator.dataplane.postgres import PostgresDataPlane

if TYPE_CHECKING:
    from tests.emulator.conftest import Api, MakeApi

POSTGRES = EmulatorConfig(data_plane="postgres")
BACKED_UP: Tables = {"customers": [{"id": 1, "name": "Ada"}], "orders": [{"id": 10, "total": 4.5, "paid": True}]}
WRITTEN_LATER: Tables = {"customers": [{"id": 2, "name": "written after the backup", "tags": {"late": [1, 2]}}]}


@pytest.fixture
def pg(make_api: MakeApi) -> Api:
    return make_api(POSTGRES)


def new_connection(api: Api, database_id: str) -> dict[str, object]:
    response = api.create_connection(database_id)
    assert response.status_code == 200, response.text
    data: dict[str, object] = response.json()["data"]
    return data


def test_an_issued_connection_string_logs_in_where_the_endpoints_say(pg: Api) -> None:
    database_id = pg.ready_database(pg.project())
    connection = new_connection(pg, database_id)
    secret = str(connection["connectionString"])
    parts = urlsplit(secret)
    listening = embedded_cluster().endpoint  # where the server was started (`-h` and `-p`)
    where = (listening.host, listening.port)
    endpoints: dict[str, dict[str, object]] = connection["endpoints"]  # type: ignore[assignment]
    assert (parts.hostname, parts.port) == where
    assert {kind: (e["host"], e["port"]) for kind, e in endpoints.items()} == {"direct": where, "pooled": where}
    assert connection["host"] == listening.host
    assert parts.username == connection["user"]

    with psycopg.connect(secret) as session:
        # The server's own word on the address and port this login reached.
        assert session.execute("SELECT host(inet_server_addr()), inet_server_port()").fetchone() == where
        write_tables(session, BACKED_UP)
        assert read_tables(session) == BACKED_UP
    assert pg.data(database_id) == BACKED_UP  # the control plane sees what the login wrote
    assert pg.authenticate(secret) == database_id


def test_a_restore_replaces_the_data_and_keeps_every_credential(pg: Api) -> None:
    project = pg.project()
    seeded = pg.seed(project, BACKED_UP)
    target = pg.ready_database(project, name="target")
    secrets = [str(new_connection(pg, target)["connectionString"]) for _ in range(2)]
    with psycopg.connect(secrets[0]) as session:
        write_tables(session, WRITTEN_LATER)
    before = pg.get_database(target).json()["data"]

    assert pg.restore(target, seeded.source).status_code == 200
    assert pg.status(target) == "ready"

    after = pg.get_database(target).json()["data"]
    assert [c["id"] for c in after["connections"]] == [c["id"] for c in before["connections"]]
    assert after["defaultConnectionId"] == before["defaultConnectionId"]
    for secret in secrets:  # issued before the restore, a fresh login now
        with psycopg.connect(secret) as session:
            assert read_tables(session) == BACKED_UP
            assert session.execute("SELECT current_database()").fetchone() == (urlsplit(secret).path[1:],)


def test_a_login_reaches_only_its_own_database(pg: Api) -> None:
    project = pg.project()
    first, second = pg.ready_database(project, name="first"), pg.ready_database(project, name="second")
    mine = urlsplit(str(new_connection(pg, first)["connectionString"]))
    theirs = urlsplit(str(new_connection(pg, second)["connectionString"]))
    elsewhere = mine._replace(path=theirs.path).geturl()
    with pytest.raises(psycopg.OperationalError, match="permission denied"):
        psycopg.connect(elsewhere).close()
    assert pg.authenticate(elsewhere) is None
    assert pg.authenticate(mine._replace(netloc=f"{mine.username}:wrong@{mine.hostname}:{mine.port}").geturl()) is None


def test_a_backup_is_a_snapshot_later_writes_do_not_change(pg: Api) -> None:
    project = pg.project()
    seeded = pg.seed(project, BACKED_UP)
    pg.write(seeded.database_id, WRITTEN_LATER)
    size = pg.list_backups(seeded.database_id).json()["data"][0]["size"]
    assert size > 0  # the backed-up database's real size

    assert pg.restore(seeded.database_id, seeded.source).status_code == 200
    assert pg.status(seeded.database_id) == "ready"
    assert pg.data(seeded.database_id) == BACKED_UP


def test_closing_a_plane_drops_its_databases_and_roles() -> None:
    cluster = embedded_cluster()
    plane = PostgresDataPlane(cluster)
    plane.create_database("db_x")
    plane.create_login("db_x", "u_x", "secret")
    plane.snapshot("db_x")
    prefix = plane.namespace + "_%"
    count = (
        "SELECT (SELECT count(*) FROM pg_database WHERE datname LIKE %s),"
        " (SELECT count(*) FROM pg_roles WHERE rolname LIKE %s)"
    )
    with cluster.connect() as admin:
        assert admin.execute(count, [prefix, prefix]).fetchone() == (1, 2)  # database (a backup is rows); login, owner
        plane.shutdown()
        assert admin.execute(count, [prefix, prefix]).fetchone() == (0, 0)


def test_an_external_server_must_be_reachable_over_tcp_as_a_superuser() -> None:
    cluster = embedded_cluster()
    with pytest.raises(ClusterError, match="TCP host"):
        Cluster.external("host=/tmp user=postgres")
    with pytest.raises(ClusterError, match="not a PostgreSQL connection string"):
        Cluster.external("postgres://[broken")
    unreachable = "postgres://postgres@127.0.0.1:1/postgres?connect_timeout=2"
    with pytest.raises(ClusterError, match=r"cannot reach PostgreSQL at 127\.0\.0\.1:1\b"):
        Cluster.external(unreachable)
    plane = PostgresDataPlane(cluster)
    plane.create_database("db_y")
    user = plane.create_login("db_y", "u_y", "secret")
    try:
        not_superuser = plane.connection_string("db_y", user, "secret")
        with pytest.raises(ClusterError, match="superuser"):
            Cluster.external(not_superuser)
    finally:
        plane.shutdown()


def test_an_external_server_given_by_dsn_serves_the_emulator(make_api: MakeApi) -> None:
    """--postgres-dsn: any PostgreSQL where the DSN's user is a superuser (here the embedded one, over TCP)."""
    cluster = embedded_cluster()
    with cluster.connect() as admin:
        admin.execute("DROP ROLE IF EXISTS outside_admin")
        admin.execute("CREATE ROLE outside_admin LOGIN SUPERUSER PASSWORD 'outside-secret'")
    dsn = f"postgres://outside_admin:outside-secret@127.0.0.1:{cluster.endpoint.port}/postgres"
    api = make_api(EmulatorConfig(data_plane="postgres", postgres_dsn=dsn))
    project = api.project()
    seeded = api.seed(project, BACKED_UP)
    secret = str(new_connection(api, seeded.database_id)["connectionString"])
    api.write(seeded.database_id, WRITTEN_LATER)
    assert api.restore(seeded.database_id, seeded.source).status_code == 200
    assert api.status(seeded.database_id) == "ready"
    with psycopg.connect(secret) as session:
        assert read_tables(session) == BACKED_UP


def test_the_data_probe_holds_a_bounded_number_of_sessions(pg: Api) -> None:
    """The suite's data probe (targets/data.py) reads many databases, but keeps at most MAX_SESSIONS sessions
    open on the server at a time (staging databases have connection limits), and still reads each correctly."""
    from restore_contract.targets.data import MAX_SESSIONS, PostgresAccess

    project = pg.project()
    secrets = {}
    for index in range(MAX_SESSIONS + 3):
        database_id = pg.ready_database(project, name=f"probe-{index}")
        pg.write(database_id, {"items": [{"id": index}]})
        secrets[index] = str(new_connection(pg, database_id)["connectionString"])
    users = [urlsplit(secret).username for secret in secrets.values()]
    access = PostgresAccess()
    try:
        for _ in range(2):
            for index, secret in secrets.items():
                assert access.read(secret) == {"items": [{"id": index}]}
                assert _sessions_settle_at_most(secrets[0], users, MAX_SESSIONS)
    finally:
        access.close()


def _sessions_settle_at_most(secret: str, users: list[str | None], most: int) -> bool:
    """Whether the sessions of `users` come down to `most` within 2 s: a closed session's backend leaves
    pg_stat_activity only once it has exited, which on a loaded machine takes a moment (a probe holding more
    sessions would stay above it). Each look in a transaction of its own (autocommit): within one transaction
    pg_stat_activity is the snapshot of its first read, and the count could never come down."""
    deadline = time.monotonic() + 2
    with psycopg.connect(secret, autocommit=True) as watcher:
        while True:
            row = watcher.execute("SELECT count(*) FROM pg_stat_activity WHERE usename = ANY(%s)", (users,)).fetchone()
            assert row is not None
            if row[0] - 1 <= most or time.monotonic() > deadline:  # minus the watcher's own session
                return bool(row[0] - 1 <= most)
            time.sleep(0.05)


def test_only_the_process_that_started_the_cluster_stops_it(tmp_path: Path) -> None:
    """A forked child (the meta-tests' sessions) inherits the exit handler with the cluster it shares."""

    class Server:
        def __init__(self) -> None:
            self.signals: list[int] = []

        def poll(self) -> int | None:
            return None if not self.signals else 0

        def send_signal(self, number: int) -> None:
            self.signals.append(number)

        def wait(self, timeout: float | None = None) -> int:
            return 0

    server, home = Server(), tmp_path / "cluster"
    home.mkdir()
    _stop(server, home, os.getpid() + 1)  # type: ignore[arg-type]
    assert (server.signals, home.exists()) == ([], True)
    _stop(server, home, os.getpid())  # type: ignore[arg-type]
    assert (server.signals, home.exists()) == ([signal.SIGINT], False)
