"""Run the emulator as an HTTP server: ``python -m emulator --port 8787``.

Prints the base URL and the token to use, and stops cleanly on Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import sys
import time

import uvicorn

from dataset.golden import GOLDEN_DATA, GOLDEN_NAME
from emulator import DEFAULT_TOKEN, Emulator, EmulatorConfig
from emulator.clock import ClockConfig
from emulator.dataplane import DATA_PLANES, POSTGRES_DSN_ENV
from emulator.dataplane.cluster import ClusterError
from emulator.faults import DESCRIPTIONS, parse_faults
from emulator.ids import IdStyle


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8787, help="0 picks a free port")
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="the bearer token clients must send")
    parser.add_argument("--clock", default="immediate", help="immediate | manual | reads:N | seconds:T")
    parser.add_argument("--fault", action="append", default=[], metavar="NAME", help="turn a fault on (repeatable)")
    parser.add_argument("--id-style", choices=[s.value for s in IdStyle], default=IdStyle.CUID.value)
    parser.add_argument("--no-alias", action="store_true", help="unprefixed ids do not reach db_ databases")
    parser.add_argument("--backups-oldest-first", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--data",
        choices=DATA_PLANES,
        default="postgres",
        help="postgres: each database is a real PostgreSQL database (embedded cluster, ~1 s to start); "
        "memory: plain Python objects, no connection string works",
    )
    parser.add_argument(
        "--postgres-dsn",
        default=os.environ.get(POSTGRES_DSN_ENV),
        metavar="DSN",
        help="with --data postgres: use this server (a superuser DSN) instead of the embedded cluster "
        f"(env {POSTGRES_DSN_ENV})",
    )
    parser.add_argument("--no-control-plane", action="store_true", help="serve only the public /v1 API")
    parser.add_argument("--list-faults", action="store_true", help="print the fault catalogue and exit")
    parser.add_argument(
        "--seed-golden",
        action="store_true",
        help="create a project and a golden source database with backups, and print their ids as env settings",
    )
    return parser.parse_args(argv)


def seed_golden(emulator: Emulator) -> dict[str, str]:
    """A project and a golden source holding the golden fixture, with a completed, a running and a failed backup.

    Done in-process, so a live-mode run against this server never needs the control plane.
    """
    store = emulator.store
    project = store.create_project("contract-project")
    source, _ = store.create_database(project.id, GOLDEN_NAME)
    store.force_status(source.id, "ready")
    store.write_data(source.id, GOLDEN_DATA)
    for status in ("running", "failed", "completed"):
        store.create_backup(source.id, status)
    return {"PRISMA_CONTRACT_PROJECT_ID": project.id, "PRISMA_CONTRACT_SOURCE_DATABASE_ID": source.id}


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list_faults:
        for fault, text in DESCRIPTIONS.items():
            print(f"{fault.value:36} {text}")
        return 0
    try:
        config = EmulatorConfig(
            token=args.token,
            clock=ClockConfig.parse(args.clock),
            faults=parse_faults(args.fault),
            id_style=IdStyle(args.id_style),
            alias_unprefixed=not args.no_alias,
            backups_newest_first=not args.backups_oldest_first,
            seed=args.seed,
            control_plane=not args.no_control_plane,
            data_plane=args.data,
            postgres_dsn=args.postgres_dsn,
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
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
    started = time.perf_counter()
    try:
        emulator = Emulator(config)
    except ClusterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.seed_golden:  # printed before the URL line, so whoever waits for the URL has them
        for name, value in seed_golden(emulator).items():
            print(f"{name}={value}", flush=True)
    print(f"emulator listening on http://{args.host}:{port}", flush=True)
    print(f"token: {args.token}  (send 'Authorization: Bearer {args.token}')", flush=True)
    endpoint = emulator.store.data.endpoint
    where = f"PostgreSQL at {endpoint.host}:{endpoint.port}" if args.data == "postgres" else "in memory"
    print(f"data: {where} (ready in {time.perf_counter() - started:.2f} s)", flush=True)
    if config.faults:
        print(f"faults on: {', '.join(sorted(config.faults))}", flush=True)
    server = uvicorn.Server(uvicorn.Config(emulator, log_level="warning"))
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal; without a handler SIGTERM
    # would then kill the process before the data plane is given back (and its folder removed).
    signal.signal(signal.SIGTERM, _interrupt)
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises Ctrl-C after its graceful shutdown
        server.run(sockets=[sock])
    emulator.close()
    print("emulator stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
