"""Mutation testing of the suite: with each emulator fault on, the contract suite must fail.

For each seed, the whole contract suite runs without faults (it must pass: no false alarm) and once per
fault with `-x` (it must fail, i.e. pytest exits 1). The table of which test caught which fault is written
to reports/fault-detection-seed-<seed>.md.

Faults of the data plane (data, passwords, roles) run on the embedded PostgreSQL, where the data probe logs
in for real, as it does by default and on staging; the others break only the HTTP layer and run on the
in-memory data plane, which is twice as fast. The healthy emulator runs on both (no false alarm on either).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from emulator import DESCRIPTIONS, Fault
from emulator.faults import DATA_PLANE_FAULTS

ROOT = Path(__file__).resolve().parents[2]
REPORTS = ROOT / "reports"
SEEDS = (0, 1, 2)
WORKERS = max(2, os.cpu_count() or 2)
FAILED_LINE = re.compile(r"^FAILED (\S+)(?: - (.*))?$", re.MULTILINE)


@dataclass(frozen=True)
class Job:
    seed: int
    fault: Fault | None
    data_plane: str


def jobs_for(seed: int) -> list[Job]:
    healthy = [Job(seed, None, "postgres"), Job(seed, None, "memory")]
    return healthy + [Job(seed, f, "postgres" if f in DATA_PLANE_FAULTS else "memory") for f in Fault]


@dataclass(frozen=True)
class Run:
    fault: Fault | None
    data_plane: str
    exit_code: int
    caught_by: str
    seconds: float
    tail: str


def run_suite(job: Job) -> Run:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PRISMA_", "PYTEST_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # lets pytest cache its assertion rewrites between the many runs
    env["PRISMA_CONTRACT_PROFILE"] = "meta"
    command = [sys.executable, "-m", "pytest", "tests/contract", "-x", "-q", "-p", "no:cacheprovider"]
    command += [f"--hypothesis-seed={job.seed}", "--target=emulator", f"--emulator-data={job.data_plane}"]
    if job.fault is not None:
        command.append(f"--emulator-fault={job.fault.value}")
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    seconds = time.monotonic() - started
    match = FAILED_LINE.search(done.stdout)
    caught_by = ""
    if match:
        check = re.search(r"`(\w+)`", match.group(2) or "")
        caught_by = match.group(1).split("::", 1)[-1] + (f" ({check.group(1)})" if check else "")
    return Run(job.fault, job.data_plane, done.returncode, caught_by, seconds, (done.stdout + done.stderr)[-3000:])


def _write_report(seed: int, runs: list[Run]) -> None:
    REPORTS.mkdir(exist_ok=True)
    lines = [
        f"# Fault detection, seed {seed}",
        "",
        "| fault | breaks | data plane | detected | caught by | s |",
        "|---|---|---|---|---|---|",
    ]
    for run in runs:
        name = run.fault.value if run.fault else "(none: must pass)"
        breaks = DESCRIPTIONS[run.fault] if run.fault else ""
        verdict = ("yes" if run.exit_code == 1 else "NO") if run.fault else ("pass" if run.exit_code == 0 else "FAIL")
        lines.append(f"| {name} | {breaks} | {run.data_plane} | {verdict} | {run.caught_by} | {run.seconds:.1f} |")
    (REPORTS / f"fault-detection-seed-{seed}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def runs() -> dict[int, list[Run]]:
    """Every (seed, fault) run, in one worker pool so both cores stay busy to the end."""
    jobs = [job for seed in SEEDS for job in jobs_for(seed)]
    with ThreadPoolExecutor(WORKERS) as pool:
        done = list(pool.map(run_suite, jobs))
    by_seed = {seed: [run for job, run in zip(jobs, done, strict=True) if job.seed == seed] for seed in SEEDS}
    for seed, seed_runs in by_seed.items():
        _write_report(seed, seed_runs)
    return by_seed


@pytest.mark.parametrize("seed", SEEDS)
def test_every_fault_is_detected_and_a_healthy_emulator_passes(seed: int, runs: dict[int, list[Run]]) -> None:
    healthy = [run for run in runs[seed] if run.fault is None]
    faulty = [run for run in runs[seed] if run.fault is not None]
    assert {run.data_plane for run in healthy} == {"postgres", "memory"}
    for run in healthy:
        assert run.exit_code == 0, f"false alarm on a healthy emulator ({run.data_plane}, seed {seed}):\n{run.tail}"
    assert {run.fault for run in faulty} == set(Fault)
    missed = [run for run in faulty if run.exit_code != 1]
    assert not missed, "faults the suite did not detect:\n" + "\n".join(
        f"- {run.fault} (exit {run.exit_code}):\n{run.tail[-800:]}" for run in missed
    )
