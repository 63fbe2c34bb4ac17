"""The live mode against a server that behaves like a real staging, scaled down to fit CI: restores that take
time, provisioning that takes time, a rate limit (429 + Retry-After), transient 503s on reads, latency.

A correct server must pass (transient answers are retried, not judged: the summary counts them), and a server
with a contract fault must still be caught through all that noise."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from restore_contract.harness.server import seeded_settings
from restore_contract.targets.transient import MAX_WAIT
from tests.meta.conftest import Staging, live_env, run_recorded
from tests.meta.records import detection, pass_problems, terminal_figures
from tests.meta.serving import serving

if TYPE_CHECKING:
    from tests.conftest import StartServer

STAGING_LIKE = (
    "--no-control-plane",
    "--seed-golden",
    *("--clock", "seconds:2", "--provisioning", "1"),
    *("--rate-limit", "20", "--transient-503", "0.05", "--latency", "0.01"),
)
# The nightly as the README runs it (profile nightly, sized by a time budget), scaled down with the server.
BUDGET = 60.0
NIGHTLY = {"PRISMA_CONTRACT_PROFILE": "nightly", "PRISMA_CONTRACT_BUDGET": f"{BUDGET:g}"}


TRANSIENT = frozenset({429, 503})  # what the staging-like server answers instead of executing a request
PREFLIGHT = "/v1/databases/db_preflight0/backups"  # the preflight's first read (restore_contract/targets/live.py)
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "host", "date", "server"})


@dataclass(frozen=True)
class Answer:
    connection: int  # which client connection it went back on, numbered as they were accepted
    method: str
    path: str
    status: int
    retry_after: float | None


@contextmanager
def counting_proxy(upstream: str) -> Iterator[tuple[str, list[Answer]]]:
    """An HTTP relay in front of `upstream`: its URL, and every answer the server gave through it, as it gave it.
    What the server said, counted on the wire, to hold the run's own count of retries against."""
    answers: list[Answer] = []
    numbers, lock = itertools.count(), threading.Lock()
    client = httpx.Client(base_url=upstream, timeout=120, transport=httpx.HTTPTransport(retries=1))

    class Relay(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the suite's clients expect

        def setup(self) -> None:
            super().setup()
            with lock:
                self.number = next(numbers)

        def relay(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = [(k, v) for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP]
            request = client.build_request(self.command, self.path, headers=headers, content=body)
            response = client.send(request, stream=True)
            try:
                raw = b"".join(response.iter_raw())  # as the server sent it (any content-encoding kept)
            finally:
                response.close()
            retry_after = response.headers.get("Retry-After")
            waits = float(retry_after) if retry_after else None
            with lock:
                answers.append(
                    Answer(self.number, self.command, self.path.partition("?")[0], response.status_code, waits)
                )
            self.send_response_only(response.status_code)
            for name, value in response.headers.multi_items():
                if name.lower() not in _HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = relay

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: the run's output is the suite's

    try:
        with serving(Relay) as url:
            yield url, answers
    finally:
        client.close()


@pytest.mark.waits(80)  # the budget, then the restores still in flight
def test_the_live_run_passes_against_a_staging_like_server(launch_server: StartServer, tmp_path: Path) -> None:
    server = launch_server(*STAGING_LIKE)
    with counting_proxy(server.url) as (url, answers):
        staging = Staging(server, seeded_settings(server))
        env = live_env(staging, **NIGHTLY, PRISMA_CONTRACT_PROGRESS_SECONDS="10", PRISMA_API_URL=url)
        run = run_recorded(env, tmp_path, "--target=live")
    # Live runs skip what needs a control plane: judge the pass on everything else
    problems = [problem for problem in pass_problems(run) if " skipped: " not in problem]
    assert not problems, f"{problems}\n{run.output}"

    # Every 429 and 503 the server answered the run was retried and waited out, and the run says so: its count of
    # retries and of seconds waited are the server's (the preflight, on a connection of its own, counts apart).
    preflight = {answer.connection for answer in answers if answer.path == PREFLIGHT}
    assert len(preflight) == 1, preflight
    ran = [answer for answer in answers if answer.connection not in preflight]
    transient = [answer for answer in ran if answer.status in TRANSIENT]
    assert transient, "the staging-like server answered no 429 or 503: the retries were not exercised"
    retries, waited = run.record["retries"], run.record["waited_for_retries_s"]
    assert retries == len(transient), f"the run retried {retries} times; the server answered {len(transient)} 429/503"
    told = sum(min(answer.retry_after or 0.0, MAX_WAIT) for answer in transient)
    assert told >= len(transient), "every 429 and 503 names a Retry-After of a second or more"
    assert waited == pytest.approx(told, abs=0.01), f"waited {waited} s; the server's Retry-After add up to {told} s"
    assert run.record["requests"] == len(ran) - len(transient), "a request is counted once, however often retried"
    terminal = terminal_figures(run.output)
    assert (terminal["retries"], terminal["waited_s"]) == (retries, f"{waited:.1f}"), terminal
    assert terminal["requests"] == run.record["requests"], terminal
    # The server's 429s set the run's pace (targets/pace.py), and the summary says which.
    if any(answer.status == 429 for answer in transient):
        assert run.record["paced_per_second"] is not None, run.record
        assert terminal["paced"] == f"{run.record['paced_per_second']:g}", terminal
    # Restores were verified several at a time, the budget sized the run, and the run said where it was meanwhile.
    assert run.record["in_flight_most"] > 1, run.record
    assert run.record["verified_in_background"] >= 10, run.record
    assert run.record["elapsed_s"] < BUDGET + 30, run.record["elapsed_s"]
    progress = [line for line in run.output.splitlines() if line.startswith("[restore-contract ")]
    assert any("restores started" in line and "budget left" in line for line in progress), run.output


@pytest.mark.waits(10)
@pytest.mark.parametrize(
    "fault", ["restore-answers-ready", "no-conflict-while-recovering", "restore-rotates-credentials"]
)
def test_a_contract_fault_is_caught_through_the_noise(launch_server: StartServer, tmp_path: Path, fault: str) -> None:
    server = launch_server(*STAGING_LIKE, "--fault", fault)
    run = run_recorded(live_env(Staging(server, seeded_settings(server)), **NIGHTLY), tmp_path, "--target=live", "-x")
    found = detection(run)
    assert found.detected, f"{fault}: {found.why}\n{run.output}"
