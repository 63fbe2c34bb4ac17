"""Run the emulator as an HTTP server: ``restore-emulator --port 8787`` (or ``python -m restore_contract.emulator``).

Stdout carries only lines a shell can source, ``export NAME=VALUE`` (values shell-quoted): PRISMA_API_TOKEN,
with ``--seed-golden`` the PRISMA_CONTRACT_* ids and the other principals' tokens (one of the workspace without
workspace:admin, an admin one of a second workspace, and a project there), RESTORE_EMULATOR_PID, and last
PRISMA_API_URL (so whoever waits for the URL line has them all). Everything else (where it listens, the data plane,
the faults on, "emulator stopped") goes to stderr. The settings a live run needs, in a shell (bash, zsh, sh):

    rm -f /tmp/emu.env
    restore-emulator --seed-golden --env-file /tmp/emu.env &           # written once it is ready
    until [ -e /tmp/emu.env ]; do sleep 0.1; done
    . /tmp/emu.env && restore-contract run --target live
    kill "$RESTORE_EMULATOR_PID"

or in one line, with the server left running in the background (its log in a file named on stderr):

    eval "$(restore-emulator --seed-golden --print-env)"   # ...; then: kill "$RESTORE_EMULATOR_PID"

Stops cleanly on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uvicorn

from restore_contract import installed_version
from restore_contract.dataset.golden import GOLDEN_DATA, GOLDEN_NAME
from restore_contract.emulator import Emulator, resources
from restore_contract.emulator.config import add_options, config_from
from restore_contract.emulator.dataplane.cluster import ClusterError
from restore_contract.emulator.faults import DESCRIPTIONS

URL_SETTING = "PRISMA_API_URL"


def build_parser() -> argparse.ArgumentParser:
    """The server's command line (docs/configuration.md lists it: restore_contract/commands/reference.py)."""
    parser = argparse.ArgumentParser(
        prog="restore-emulator", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {installed_version()}")
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    parser.add_argument("--port", type=int, default=8787, help="0 picks a free port")
    add_options(parser.add_argument, suite=False)
    parser.add_argument("--list-faults", action="store_true", help="print the fault catalogue and exit")
    golden = (
        "create a project and a golden source database with backups, and export their ids; and the other principals: "
        "a token without workspace:admin, an admin token of a second workspace and a project there"
    )
    parser.add_argument("--seed-golden", action="store_true", help=golden)
    parser.add_argument(
        "--env-file",
        type=Path,
        metavar="PATH",
        help="also write the export lines to PATH (atomically, mode 0600) once the server is ready, for `. PATH`",
    )
    parser.add_argument(
        "--print-env",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="start the server in the background, print its export lines once it is ready, and exit: for eval "
        '"$(restore-emulator --print-env ...)"; stop it with kill "$RESTORE_EMULATOR_PID"',
    )
    return parser


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    return build_parser().parse_args(argv)


def seed_golden(emulator: Emulator) -> dict[str, str]:
    """A project and a golden source holding the golden fixture, with a completed, a running and a failed backup.

    Done in-process, so a live-mode run against this server never needs the control plane.
    """
    store = emulator.store
    project = resources.create_project(store, "contract-project")
    source, _ = resources.create_database(store, project.id, GOLDEN_NAME, region="us-east-1", is_default=False)
    resources.force_status(store, source.id, "ready")
    resources.write_data(store, source.id, GOLDEN_DATA)
    for status in ("running", "failed", "completed"):
        resources.create_backup(store, source.id, status)
    # Last, so the ids above are those they were before there were workspaces (the committed snapshots name them).
    other = resources.create_workspace(store, "contract-other-workspace")
    other_project = resources.create_project(store, "contract-other-project", other)
    return {
        "PRISMA_CONTRACT_PROJECT_ID": project.id,
        "PRISMA_CONTRACT_SOURCE_DATABASE_ID": source.id,
        "PRISMA_CONTRACT_NO_ADMIN_TOKEN": resources.mint_token(store, scopes=frozenset({"offline_access"})),
        "PRISMA_CONTRACT_OTHER_WORKSPACE_TOKEN": resources.mint_token(store, other),
        "PRISMA_CONTRACT_OTHER_WORKSPACE_PROJECT_ID": other_project.id,
    }


def export_lines(settings: dict[str, str]) -> list[str]:
    return [f"export {name}={shlex.quote(value)}" for name, value in settings.items()]


def write_env_file(path: Path, lines: list[str]) -> None:
    """Write-then-rename in PATH's folder, so a script waiting for PATH never reads half of it."""
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600: it holds the token
    try:
        with os.fdopen(fd, "w") as file:
            file.write("".join(line + "\n" for line in lines))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def ready_lines(server: subprocess.Popen[str]) -> list[str] | None:
    """The server's export lines, up to its URL line (the last); None if it ends its output before that."""
    assert server.stdout is not None
    lines = []
    with server.stdout:  # closed once read: the server prints nothing more on stdout
        for line in server.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith(f"export {URL_SETTING}="):
                return lines
    return None


def detach(argv: list[str]) -> int:
    """`--print-env`: the same command without it, in a new session; relays its export lines once it is ready.

    `eval "$(...)"` waits for the end of stdout, so the server must neither be this process nor hold this stdout
    (or stderr, which a caller may be reading too): its stderr goes to a log file.
    """
    fd, log_path = tempfile.mkstemp(prefix="restore-emulator-", suffix=".log")
    command = [sys.executable, "-m", "restore_contract.emulator", *argv, "--no-print-env"]
    with os.fdopen(fd, "w") as log:  # the server has its own copy of it
        server = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, start_new_session=True, text=True
        )
    try:
        lines = ready_lines(server)
    except KeyboardInterrupt:
        server.terminate()
        return 130
    if lines is None:  # it exited before it was ready: its error is in the log
        code = server.wait()
        sys.stderr.write(Path(log_path).read_text())
        Path(log_path).unlink(missing_ok=True)
        return code or 1
    print("\n".join(lines), flush=True)
    print(f"emulator running in the background (stop: kill {server.pid}), log {log_path}", file=sys.stderr, flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.list_faults:
        for fault, text in DESCRIPTIONS.items():
            print(f"{fault.value:36} {text}")
        return 0
    if args.print_env:
        return detach(argv)
    try:
        config = config_from(
            lambda flag: getattr(args, flag.removeprefix("--").replace("-", "_")), os.environ, suite=False
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.env_file is not None:
        with contextlib.suppress(OSError):  # a stale file would pass for this server's; the write reports errors
            args.env_file.unlink(missing_ok=True)
    # Bind first, so the printed URL is right even for --port 0, and a busy port is a clear error.
    # IPPROTO_TCP, not the default 0: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and without
    # it every answer on a kept-alive connection waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
        # Listening now, not when uvicorn starts: a client that reads the URL line and connects at once is
        # queued in the backlog instead of refused in the moment before uvicorn accepts.
        sock.listen(2048)
    except OSError as error:
        print(f"error: cannot listen on {args.host}:{args.port}: {error.strerror}", file=sys.stderr)
        return 2
    port = sock.getsockname()[1]
    url = f"http://{args.host}:{port}"
    started = time.perf_counter()
    try:
        emulator = Emulator(config)
    except ClusterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    settings = {"PRISMA_API_TOKEN": args.token}
    if args.seed_golden:
        settings |= seed_golden(emulator)
    settings |= {"RESTORE_EMULATOR_PID": str(os.getpid()), URL_SETTING: url}  # the URL last: the lines are complete
    lines = export_lines(settings)
    if args.env_file is not None:  # before stdout, so whoever sees the URL line can read the file too
        try:
            write_env_file(args.env_file, lines)
        except OSError as error:
            print(f"error: cannot write --env-file {args.env_file}: {error.strerror}", file=sys.stderr)
            emulator.close()
            return 2
    print("\n".join(lines), flush=True)
    say = sys.stderr
    print(f"emulator listening on {url}", file=say, flush=True)
    print(f"token: {args.token}  (send 'Authorization: Bearer {args.token}')", file=say, flush=True)
    endpoint = emulator.store.data.endpoint
    where = f"PostgreSQL at {endpoint.host}:{endpoint.port}" if args.data == "postgres" else "in memory"
    print(f"data: {where} (ready in {time.perf_counter() - started:.2f} s)", file=say, flush=True)
    if config.faults:
        print(f"faults on: {', '.join(sorted(config.faults))}", file=say, flush=True)
    server = uvicorn.Server(uvicorn.Config(emulator, log_level="warning"))
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal; without a handler SIGTERM
    # would then kill the process before the data plane is given back (and its folder removed).
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # raises KeyboardInterrupt
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises Ctrl-C after its graceful shutdown
        server.run(sockets=[sock])
    emulator.close()
    print("emulator stopped", file=say, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
