"""Run the emulator as an HTTP server: ``python -m emulator --port 8787``.

Prints the base URL and the token to use, and stops cleanly on Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import socket
import sys
import time

import uvicorn

from dataset.golden import GOLDEN_DATA, GOLDEN_NAME
from emulator import Emulator, resources
from emulator.config import add_options, config_from
from emulator.dataplane.cluster import ClusterError
from emulator.faults import DESCRIPTIONS


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8787, help="0 picks a free port")
    add_options(parser.add_argument, suite=False)
    parser.add_argument("--list-faults", action="store_true", help="print the fault catalogue and exit")
    golden = "create a project and a golden source database with backups, and print their ids as env settings"
    parser.add_argument("--seed-golden", action="store_true", help=golden)
    return parser.parse_args(argv)


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
    return {"PRISMA_CONTRACT_PROJECT_ID": project.id, "PRISMA_CONTRACT_SOURCE_DATABASE_ID": source.id}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list_faults:
        for fault, text in DESCRIPTIONS.items():
            print(f"{fault.value:36} {text}")
        return 0
    try:
        config = config_from(lambda flag: getattr(args, flag.removeprefix("--").replace("-", "_")), suite=False)
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
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # raises KeyboardInterrupt
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises Ctrl-C after its graceful shutdown
        server.run(sockets=[sock])
    emulator.close()
    print("emulator stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
