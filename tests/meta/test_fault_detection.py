"""Mutation testing of the suite: with each emulator fault on, the contract suite must fail with a contract violation.

For each seed, the whole contract suite runs without faults (it must genuinely pass: no false alarm, nothing
skipped, successful restores reached) and once per fault with `-x` (it must fail with a contract violation that
names the broken property; any other exit 1, a harness error or a timeout of the model, detects nothing). Each run
writes its run record (`--summary-json`), which is what is read here; the table of which property caught which
fault is written to reports/fault-detection-seed-<seed>.md.

Faults of the data plane (data, passwords, roles) run on the embedded PostgreSQL, where the data probe logs
in for real, as it does by default and on staging; the others break only the HTTP layer and run on the
in-memory data plane, which is twice as fast. The healthy emulator runs on both (no false alarm on either).
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from emulator import DESCRIPTIONS, Fault
from emulator.faults import DATA_PLANE_FAULTS
from tests.meta.records import RunRecord, detection, pass_problems

ROOT = Path(__file__).resolve().parents[2]
REPORTS = ROOT / "reports"
SEEDS = (0, 1, 2)


@dataclass(frozen=True)
class Job:
    seed: int
    fault: Fault | None
    data_plane: str
    tests: str = "tests/contract"
    extra: tuple[str, ...] = ()


def jobs_for(seed: int) -> list[Job]:
    healthy = [Job(seed, None, "postgres"), Job(seed, None, "memory")]
    return healthy + [Job(seed, f, "postgres" if f in DATA_PLANE_FAULTS else "memory") for f in Fault]


# A run that exits 1 with no fault on: the lifecycle model cannot settle a database under a clock that never
# moves. It must not count as a detection (it did, when any exit 1 counted).
HARNESS_ERROR = Job(0, None, "memory", "tests/contract/test_lifecycle.py", ("--emulator-clock=manual",))


@dataclass(frozen=True)
class Run:
    job: Job
    result: RunRecord
    seconds: float


def _args(job: Job, record: Path) -> list[str]:
    args = [job.tests, "-x", "-q", "-p", "no:cacheprovider", f"--hypothesis-seed={job.seed}"]
    args += ["--target=emulator", f"--emulator-data={job.data_plane}", f"--summary-json={record}", *job.extra]
    return args + ([f"--emulator-fault={job.fault.value}"] if job.fault is not None else [])


def run_suites(jobs: list[Job], folder: Path) -> list[Run]:
    """Every job as its own pytest session, forked from one warmed-up process (tests/meta/forked.py)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PRISMA_", "PYTEST_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # lets pytest cache its assertion rewrites between the many runs
    env["PRISMA_CONTRACT_PROFILE"] = "meta"
    outputs = [folder / f"run-{index}.txt" for index in range(len(jobs))]
    records = [folder / f"run-{index}.json" for index in range(len(jobs))]
    plan, results = folder / "jobs.json", folder / "results.json"
    planned = zip(jobs, records, outputs, strict=True)
    plan.write_text(json.dumps([{"args": _args(job, rec), "output": str(out)} for job, rec, out in planned]))
    command = [sys.executable, "-m", "tests.meta.forked", str(plan), str(results)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    runs = []
    for job, output, record, result in zip(jobs, outputs, records, json.loads(results.read_text()), strict=True):
        tail = output.read_text(encoding="utf-8", errors="replace")[-3000:]
        read = dataclasses.replace(RunRecord.read(record, result["exit_code"]), output=tail)
        runs.append(Run(job, read, result["seconds"]))
    return runs


def _write_report(seed: int, runs: list[Run]) -> None:
    REPORTS.mkdir(exist_ok=True)
    lines = [
        f"# Fault detection, seed {seed}",
        "",
        "A fault is detected when the run fails with a contract violation; `caught by` names the test and the",
        "properties it broke, from the run record (`--summary-json`).",
        "",
        "| fault | breaks | data plane | detected | caught by (test: properties) | s |",
        "|---|---|---|---|---|---|",
    ]
    for run in runs:
        fault = run.job.fault
        found = detection(run.result)
        if fault is None:
            problems = pass_problems(run.result)
            name, breaks, verdict, by = "(none: must pass)", "", "pass" if not problems else "FAIL", "; ".join(problems)
        else:
            name, breaks, verdict = fault.value, DESCRIPTIONS[fault], "yes" if found.detected else "NO"
            by = found.caught_by or found.why
        lines.append(f"| {name} | {breaks} | {run.job.data_plane} | {verdict} | {by} | {run.seconds:.1f} |")
    (REPORTS / f"fault-detection-seed-{seed}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[int, list[Run]]:
    """Every (seed, fault) run and the harness-error control, at most two at a time so both cores stay busy."""
    jobs = [job for seed in SEEDS for job in jobs_for(seed)] + [HARNESS_ERROR]
    done = run_suites(jobs, tmp_path_factory.mktemp("fault-runs"))
    by_seed = {seed: [run for run in done if run.job.seed == seed and run.job is not HARNESS_ERROR] for seed in SEEDS}
    for seed, seed_runs in by_seed.items():
        _write_report(seed, seed_runs)
    return {**by_seed, -1: [run for run in done if run.job is HARNESS_ERROR]}


@pytest.mark.parametrize("seed", SEEDS)
def test_every_fault_is_detected_and_a_healthy_emulator_passes(seed: int, runs: dict[int, list[Run]]) -> None:
    healthy = [run for run in runs[seed] if run.job.fault is None]
    faulty = [run for run in runs[seed] if run.job.fault is not None]
    for run in healthy:
        problems = pass_problems(run.result, expected_target={"data_plane": run.job.data_plane, "faults": ""})
        assert not problems, f"healthy emulator ({run.job.data_plane}, seed {seed}): {problems}\n{run.result.output}"
    missed = [(run, detection(run.result)) for run in faulty]
    missed = [(run, found) for run, found in missed if not found.detected]
    assert not missed, "faults the suite did not detect with a contract violation:\n" + "\n".join(
        f"- {run.job.fault}: {found.why}\n{run.result.output[-800:]}" for run, found in missed
    )
    for run in faulty:  # the run really had the fault on (an ignored option would fail for another reason)
        assert run.job.fault is not None
        assert run.result.record["target"]["faults"] == run.job.fault.value


def test_a_harness_error_is_not_a_detection(runs: dict[int, list[Run]]) -> None:
    """Exit 1 without a contract violation (here: the model's own timeout under a clock that never moves)."""
    (run,) = runs[-1]
    assert run.result.exit_code == 1, run.result.output  # what the old meta-test counted as "detected"
    found = detection(run.result)
    assert not found.detected, found
    assert "no contract violation" in found.why
    assert "stays provisioning" in found.why, found.why  # the record names what really went wrong
