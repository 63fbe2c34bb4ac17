"""Mutation testing of the suite: with each emulator fault on, the contract suite must fail.

For each seed, the whole contract suite runs without faults (it must pass: no false alarm) and once per
fault with `-x` (it must fail, i.e. pytest exits 1). The table of which test caught which fault is written
to reports/fault-detection-seed-<seed>.md.

Faults of the data plane (data, passwords, roles) run on the embedded PostgreSQL, where the data probe logs
in for real, as it does by default and on staging; the others break only the HTTP layer and run on the
in-memory data plane, which is twice as fast. The healthy emulator runs on both (no false alarm on either).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from emulator import DESCRIPTIONS, Fault
from emulator.faults import DATA_PLANE_FAULTS

ROOT = Path(__file__).resolve().parents[2]
REPORTS = ROOT / "reports"
SEEDS = (0, 1, 2)
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


def _args(job: Job) -> list[str]:
    args = ["tests/contract", "-x", "-q", "-p", "no:cacheprovider", f"--hypothesis-seed={job.seed}"]
    args += ["--target=emulator", f"--emulator-data={job.data_plane}"]
    return args + ([f"--emulator-fault={job.fault.value}"] if job.fault is not None else [])


def run_suites(jobs: list[Job], folder: Path) -> list[Run]:
    """Every job as its own pytest session, forked from one warmed-up process (tests/meta/forked.py)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PRISMA_", "PYTEST_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # lets pytest cache its assertion rewrites between the many runs
    env["PRISMA_CONTRACT_PROFILE"] = "meta"
    outputs = [folder / f"run-{index}.txt" for index in range(len(jobs))]
    plan, results = folder / "jobs.json", folder / "results.json"
    plan.write_text(
        json.dumps([{"args": _args(job), "output": str(out)} for job, out in zip(jobs, outputs, strict=True)])
    )
    command = [sys.executable, "-m", "tests.meta.forked", str(plan), str(results)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    runs = []
    for job, output, result in zip(jobs, outputs, json.loads(results.read_text()), strict=True):
        text = output.read_text(encoding="utf-8", errors="replace")
        match = FAILED_LINE.search(text)
        caught_by = ""
        if match:
            check = re.search(r"`(\w+)`", match.group(2) or "")
            caught_by = match.group(1).split("::", 1)[-1] + (f" ({check.group(1)})" if check else "")
        runs.append(Run(job.fault, job.data_plane, result["exit_code"], caught_by, result["seconds"], text[-3000:]))
    return runs


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
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[int, list[Run]]:
    """Every (seed, fault) run, at most two at a time so both cores stay busy to the end."""
    jobs = [job for seed in SEEDS for job in jobs_for(seed)]
    done = run_suites(jobs, tmp_path_factory.mktemp("fault-runs"))
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
