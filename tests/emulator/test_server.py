"""`restore-emulator` (`restore-emulator`): what it prints, how it stops, and how it refuses a bad command line.

The sourcing of its export lines by a shell, and stdout holding nothing else: tests/unit/test_cli.py."""

from __future__ import annotations

import re
import signal
from typing import TYPE_CHECKING

import httpx

from restore_contract.emulator import DEFAULT_TOKEN, Fault
from restore_contract.harness.server import exports

if TYPE_CHECKING:
    from restore_contract.harness.server import Server
    from tests.conftest import StartServer
    from tests.emulator.conftest import RunCli

STOPPED = re.compile(r"^emulator stopped$")


def test_the_server_exports_its_url_and_token(server: Server) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
    assert exports(server) == {
        "PRISMA_API_TOKEN": DEFAULT_TOKEN,
        "RESTORE_EMULATOR_PID": str(server.process.pid),
        "PRISMA_API_URL": server.url,
    }
    assert server.lines[:3] == [  # no --seed-golden: no PRISMA_CONTRACT_* settings; the URL last
        f"export PRISMA_API_TOKEN={DEFAULT_TOKEN}",
        f"export RESTORE_EMULATOR_PID={server.process.pid}",
        f"export PRISMA_API_URL={server.url}",
    ]
    server.wait_for_line(re.compile(f"^emulator listening on {re.escape(server.url)}$"), timeout=5)  # stderr's prose
    token_line = server.wait_for_line(re.compile("^token: "), timeout=5).string
    assert f"Authorization: Bearer {DEFAULT_TOKEN}" in token_line
    assert httpx.get(server.url + "/_emulator/clock", timeout=5).json() == {"clock": "immediate"}


def test_sigint_stops_the_server_cleanly(launch_server: StartServer) -> None:
    server = launch_server("--clock", "manual", "--fault", Fault.AUTH_IGNORED.value)
    assert httpx.get(server.url + "/_emulator/clock", timeout=5).json() == {"clock": "manual"}
    server.wait_for_line(re.compile(f"^faults on: {Fault.AUTH_IGNORED}$"), timeout=5)

    server.process.send_signal(signal.SIGINT)

    assert server.wait_for_exit(timeout=10) == 0
    assert any(STOPPED.match(line) for line in server.lines), server.lines


def test_an_unknown_fault_exits_2_listing_the_valid_ones(run_cli: RunCli) -> None:
    finished = run_cli("--port", "0", "--fault", "nope")

    assert finished.returncode == 2
    assert "'nope'" in finished.stderr
    assert all(fault.value in finished.stderr for fault in Fault), finished.stderr


def test_a_busy_port_exits_2_with_a_clear_message(server: Server, run_cli: RunCli) -> None:
    port = server.url.rsplit(":", 1)[1]

    finished = run_cli("--port", port)

    assert finished.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in finished.stderr
    assert "in use" in finished.stderr.lower(), finished.stderr
