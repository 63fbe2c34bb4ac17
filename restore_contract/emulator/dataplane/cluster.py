"""A PostgreSQL cluster for the emulator's databases: embedded (pgserver's binaries) or external (a DSN).

The embedded cluster needs nothing but pip: the `pgserver` wheel carries PostgreSQL 16's binaries. It is
started once per process, the first time a Postgres data plane asks for it, in a temporary directory,
listening on 127.0.0.1 (TCP, password logins with SCRAM) and on a private unix socket (the emulator's own
administrative connection). Durability is switched off: these are test databases, and it makes creating
a database from a template ~20 ms. It stops when the process exits, or with its parent if that is killed.

PostgreSQL refuses to run as root; under root the server runs as an unprivileged system user (created
with `useradd` if missing, as pgserver itself does).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from restore_contract.emulator.dataplane.base import Endpoint
from restore_contract.redaction import scrub_text

SYSTEM_USER = "restore-contract-pg"  # who runs the embedded server when we are root
STARTUP_TIMEOUT = 30.0
SERVER_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
    # Logins hash once; the default 4096 rounds cost ~5 ms per connection for nothing in a test cluster.
    "scram_iterations": "1",
    "password_encryption": "scram-sha-256",
    "log_min_messages": "warning",
    # Shared memory segments as files in the data folder, so they go with it even if the server is killed.
    "dynamic_shared_memory_type": "mmap",
}
FOLDER_PREFIX = "restore-contract-pg-"
STALE_AFTER = 600.0  # seconds: a folder without a running server this old is a leftover


class ClusterError(RuntimeError):
    """The cluster could not be started or reached; the message says why and what to do."""


@dataclass(frozen=True)
class Cluster:
    """Where a PostgreSQL server is: the administrative conninfo, and the endpoint clients are given."""

    admin_conninfo: str
    endpoint: Endpoint

    def connect(self, database: str | None = None) -> psycopg.Connection[Any]:
        conninfo = psycopg.conninfo.make_conninfo(self.admin_conninfo, **({"dbname": database} if database else {}))
        try:
            return psycopg.connect(conninfo, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as error:
            where = f"{self.endpoint.host}:{self.endpoint.port}"
            raise ClusterError(f"cannot reach PostgreSQL at {where}: {scrub_text(str(error))}") from None

    @classmethod
    def external(cls, dsn: str) -> Cluster:
        """A server someone else runs; its DSN must name a superuser (the emulator creates databases and roles)."""
        try:
            info = psycopg.conninfo.conninfo_to_dict(dsn)
        except psycopg.ProgrammingError as error:
            raise ClusterError(f"--postgres-dsn is not a PostgreSQL connection string: {error}") from None
        host = str(info.get("host") or "127.0.0.1")
        if host.startswith("/"):
            raise ClusterError("--postgres-dsn must name a TCP host: clients of the emulator get that host and port")
        cluster = cls(dsn, Endpoint(host, int(info.get("port") or 5432)))
        with cluster.connect() as connection:
            superuser = connection.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
        if not superuser or not superuser[0]:
            raise ClusterError("--postgres-dsn must log in as a superuser (the emulator creates databases and roles)")
        return cluster


_LOCK = threading.Lock()
_EMBEDDED: Cluster | None = None


def embedded_cluster() -> Cluster:
    """The process's embedded cluster, started on first use (~1 s) and shared by every data plane."""
    global _EMBEDDED
    with _LOCK:
        if _EMBEDDED is None:
            _EMBEDDED = _start_embedded()
        return _EMBEDDED


def start_in_background() -> None:
    """Begin starting the embedded cluster now, in a thread: initdb and the server are processes of their
    own, so this overlaps with whatever the caller does next (e.g. pytest collecting tests, ~2 s). A failure
    here is not lost: `embedded_cluster()` then tries again and raises it."""
    threading.Thread(target=_quietly_start, name="embedded-postgres", daemon=True).start()


def _quietly_start() -> None:
    with contextlib.suppress(Exception):
        embedded_cluster()
    # The server's parent-death signal follows the *thread* that started it: this one stays (idle) until
    # the process ends, or the server would be told to stop as soon as it is ready.
    threading.Event().wait()


def _binaries() -> Path:
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise ClusterError(
            "the embedded PostgreSQL needs the `pgserver` package (pip install pgserver); "
            "or give --postgres-dsn, or use --data memory"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _start_embedded() -> Cluster:
    binaries = _binaries()
    parent = _memory_backed_folder()
    _remove_leftovers(Path(parent or tempfile.gettempdir()))
    home = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX, dir=parent))
    run_as = _unprivileged_user(home, binaries) if os.geteuid() == 0 else None
    data = home / "data"
    _run([str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "-E", "UTF8", "--no-sync", "--no-instructions",
          "--auth-local=trust", "--auth-host=scram-sha-256"], run_as)  # fmt: skip
    port = _free_port()
    command = [str(binaries / "postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(port), "-k", str(home)]
    for name, value in SERVER_SETTINGS.items():
        command += ["-c", f"{name}={value}"]
    log = (home / "server.log").open("wb")
    server = subprocess.Popen(
        command,
        **_as_user(run_as),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # a Ctrl-C meant for the emulator must not stop the server under it
        preexec_fn=_die_with_parent,
    )
    atexit.register(_stop, server, home, os.getpid())
    cluster = Cluster(f"host={home} port={port} user=postgres dbname=postgres", Endpoint("127.0.0.1", port))
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        try:
            psycopg.connect(cluster.admin_conninfo, connect_timeout=2).close()
            return cluster
        except psycopg.OperationalError:
            if server.poll() is not None or time.monotonic() > deadline:
                tail = (home / "server.log").read_text(errors="replace")[-2000:]
                raise ClusterError(f"the embedded PostgreSQL did not start; its log ends with:\n{tail}") from None
            time.sleep(0.02)


def _memory_backed_folder() -> str | None:
    """/dev/shm where there is one: every restore drops and copies a ~8 MB database, and on a disk (ext4 with
    `discard`, as here) that churn soon makes each copy ~10x slower; in memory it stays ~25 ms."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None


def _remove_leftovers(parent: Path) -> None:
    """Folders of clusters whose process was killed (SIGKILL skips every clean-up): old, and no server runs.

    Only old ones: a young folder may be another process's cluster in the middle of initdb, whose
    short-lived bootstrap backends come and go (their pid file would say "not running" for a moment).
    """
    for folder in parent.glob(FOLDER_PREFIX + "*"):
        try:
            if time.time() - folder.stat().st_mtime < STALE_AFTER:
                continue
            pid_file = folder / "data" / "postmaster.pid"
            if pid_file.exists():
                os.kill(int(pid_file.read_text().split()[0]), 0)
                continue  # its server still runs
        except ProcessLookupError:
            pass  # its server is gone
        except (OSError, ValueError, IndexError):
            continue
        shutil.rmtree(folder, ignore_errors=True)


def _as_user(user: str | None) -> dict[str, Any]:
    """subprocess arguments to run as `user`, with its own group and no others: `user=` alone keeps root's
    groups, and a folder that is rwx for root's group but not for others (mktemp -d's 0700) then stays shut
    even after the traversal bit for others is added."""
    if user is None:
        return {}
    return {"user": user, "group": pwd.getpwnam(user).pw_gid, "extra_groups": []}


def _run(command: list[str], user: str | None) -> None:
    result = subprocess.run(command, **_as_user(user), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ClusterError(f"{Path(command[0]).name} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")


def _unprivileged_user(home: Path, binaries: Path) -> str:
    """As root: a system user that owns `home` and can reach the binaries (PostgreSQL will not run as root)."""
    try:
        entry = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        _run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER], None)
        entry = pwd.getpwnam(SYSTEM_USER)
    os.chown(home, entry.pw_uid, entry.pw_gid)
    install = binaries.parent
    for folder in [*install.parents, install]:  # traversable up to the installation, then readable inside it
        _add_mode(folder, stat.S_IXOTH)
    for root, folders, files in os.walk(install):
        for name in folders:
            _add_mode(Path(root) / name, stat.S_IROTH | stat.S_IXOTH)
        for name in files:
            _add_mode(Path(root) / name, stat.S_IROTH)
    return SYSTEM_USER


def _add_mode(path: Path, bits: int) -> None:
    mode = path.stat().st_mode
    if mode & bits != bits:
        path.chmod(mode | bits)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _die_with_parent() -> None:
    """Linux: the server gets SIGINT (fast shutdown) when the emulator's process dies, even by SIGKILL."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGINT)  # PR_SET_PDEATHSIG


def _stop(server: subprocess.Popen[bytes], home: Path, owner: int) -> None:
    """Stop the server, in the process that started it only: a forked child inherits the exit handler and the
    cluster (its databases under a namespace of their own), and must leave both to its parent and its siblings."""
    if os.getpid() != owner:
        return
    if server.poll() is None:
        server.send_signal(signal.SIGINT)  # fast shutdown: disconnect clients, stop cleanly
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    shutil.rmtree(home, ignore_errors=True)
