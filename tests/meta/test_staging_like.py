"""The live mode against a server that behaves like a real staging, scaled down to fit CI: restores that take
time, provisioning that takes time, a rate limit (429 + Retry-After), transient 503s on reads, latency.

A correct server must pass (transient answers are retried, not judged: the summary counts them), and a server
with a contract fault must still be caught through all that noise."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from harness.server import seeded_settings
from tests.meta.conftest import Staging, live_env, run_recorded
from tests.meta.records import detection, pass_problems

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


def test_the_live_run_passes_against_a_staging_like_server(launch_server: StartServer, tmp_path: Path) -> None:
    server = launch_server(*STAGING_LIKE)
    env = live_env(Staging(server, seeded_settings(server)), **NIGHTLY, PRISMA_CONTRACT_PROGRESS_SECONDS="10")
    run = run_recorded(env, tmp_path, "--target=live")
    # Live runs skip what needs a control plane: judge the pass on everything else
    problems = [problem for problem in pass_problems(run) if " skipped: " not in problem]
    assert not problems, f"{problems}\n{run.output}"
    assert run.record["retries"] > 0, "the server's 429s and 503s were retried"
    assert "transient answers retried" in run.output
    # Restores were verified several at a time, the budget sized the run, and the run said where it was meanwhile.
    assert run.record["in_flight_most"] > 1, run.record
    assert run.record["verified_in_background"] >= 10, run.record
    assert run.record["elapsed_s"] < BUDGET + 30, run.record["elapsed_s"]
    progress = [line for line in run.output.splitlines() if line.startswith("[restore-contract ")]
    assert any("restores started" in line and "budget left" in line for line in progress), run.output


@pytest.mark.parametrize(
    "fault", ["restore-answers-ready", "no-conflict-while-recovering", "restore-rotates-credentials"]
)
def test_a_contract_fault_is_caught_through_the_noise(launch_server: StartServer, tmp_path: Path, fault: str) -> None:
    server = launch_server(*STAGING_LIKE, "--fault", fault)
    run = run_recorded(live_env(Staging(server, seeded_settings(server)), **NIGHTLY), tmp_path, "--target=live", "-x")
    found = detection(run)
    assert found.detected, f"{fault}: {found.why}\n{run.output}"
