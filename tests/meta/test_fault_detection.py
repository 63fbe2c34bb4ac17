"""Mutation testing of the suite: with each emulator fault on, the contract suite must fail with a violation of the
property that fault breaks.

For each seed, the whole contract suite runs without faults (it must genuinely pass: no false alarm, nothing
skipped, successful restores reached) and once per fault with `-x`: it must fail with a contract violation naming
one of the properties the fault is declared to break (`emulator.faults.CAUGHT_BY`). A violation of another
property alone is a miss (when any violation counted, a suite whose data comparison was switched off still passed
here: another test noticed the stale data), and so is any other exit 1 (a harness error or a timeout of the model).
Each run writes its run record (`--summary-json`), which is what is read here; the table of which property caught
which fault is written to reports/fault-detection-seed-<seed>.md when every run of that seed ran.

One test per run: select with -k, e.g. `-k "seed0 and data-not-replaced"`, `-k "seed1 and healthy"`; the selected
runs (only those) go at once, two at a time. Under pytest-xdist (`python3 dev.py test` runs the project's tests with
it) the workers share this module's tests like any others, and each test's run goes when its test does, in the
worker that has it. Every run is a session forked from a warmed-up process (tests/meta/forked.py).

Faults of the data plane (data, passwords, roles) run on the embedded PostgreSQL, where the data probe logs
in for real, as it does by default and on staging; the others break only the HTTP layer and run on the
in-memory data plane, which is twice as fast. The healthy emulator runs on both (no false alarm on either).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from restore_contract.checks.builtin import DECISIONS
from restore_contract.checks.restore import RESTORE_CHECKS
from restore_contract.emulator import DESCRIPTIONS, Fault
from restore_contract.emulator.faults import CAUGHT_BY, DATA_PLANE_FAULTS
from tests.meta.forked import FORKS, WORKERS
from tests.meta.records import RunRecord, detection, pass_problems

ROOT = Path(__file__).resolve().parents[2]
REPORTS = ROOT / "reports"
SEEDS = (0, 1, 2)
TIMEOUT = 600  # seconds a run may take (a healthy one takes ~20), then it is killed and fails its test


@dataclass(frozen=True)
class Job:
    seed: int
    fault: Fault | None
    data_plane: str
    tests: str = "restore_contract/suite"
    extra: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        """The test id's part for this run, for -k."""
        return f"seed{self.seed}-{self.fault.value if self.fault is not None else f'healthy-{self.data_plane}'}"


def jobs_for(seed: int) -> list[Job]:
    healthy = [Job(seed, None, "postgres"), Job(seed, None, "memory")]
    return healthy + [Job(seed, f, "postgres" if f in DATA_PLANE_FAULTS else "memory") for f in Fault]


# A run that exits 1 with no fault on: the lifecycle model cannot settle a database under a clock that never
# moves. It must not count as a detection (it did, when any exit 1 counted).
HARNESS_ERROR = Job(0, None, "memory", "restore_contract/suite/test_lifecycle.py", ("--emulator-clock=manual",))


@dataclass(frozen=True)
class Run:
    job: Job
    result: RunRecord
    seconds: float


def _args(job: Job, record: Path) -> list[str]:
    args = [job.tests, "-x", "-q", "-p", "no:cacheprovider", f"--hypothesis-seed={job.seed}"]
    args += ["--target=emulator", f"--emulator-data={job.data_plane}", f"--summary-json={record}", *job.extra]
    return args + ([f"--emulator-fault={job.fault.value}"] if job.fault is not None else [])


def _key(job: Job) -> str:
    """A file name for the job's run (ids are not unique: the harness-error run has a healthy one's)."""
    return hashlib.sha256(repr(job).encode()).hexdigest()[:16]


def run_suites(jobs: list[Job], folder: Path) -> list[Run]:
    """Every job as its own pytest session, forked from one warmed-up process (tests/meta/forked.py), at most two
    at a time; each run is also saved in `folder` (see `_save`)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PRISMA_", "PYTEST_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # lets pytest cache its assertion rewrites between the many runs
    env["PRISMA_CONTRACT_PROFILE"] = "meta"
    env["PRISMA_CONTRACT_REPORTS"] = str(folder / "reports")  # not the project's reports/: these runs are the tests'
    outputs = [folder / f"run-{_key(job)}.txt" for job in jobs]
    records = [folder / f"run-{_key(job)}.json" for job in jobs]
    planned = zip(jobs, records, outputs, strict=True)
    plan = [
        {"args": _args(job, rec), "output": str(out), "env": env, "cwd": str(ROOT), "timeout": TIMEOUT}
        for job, rec, out in planned
    ]
    results = FORKS.run(plan, workers=WORKERS)
    runs = []
    for job, output, record, result in zip(jobs, outputs, records, results, strict=True):
        tail = output.read_text(encoding="utf-8", errors="replace")[-3000:]
        read = dataclasses.replace(RunRecord.read(record, result["exit_code"]), output=tail)
        runs.append(_save(Run(job, read, result["seconds"]), folder))
    return runs


def _save(run: Run, folder: Path) -> Run:
    """Keep the run where the session's other runs are (under xdist: other workers' too), and write the table of
    its seed once every run of that seed is there."""
    saved = {"exit_code": run.result.exit_code, "record": run.result.record, "output": run.result.output}
    _write_atomically(folder / f"done-{_key(run.job)}.json", json.dumps(saved | {"seconds": run.seconds}))
    if run.job.seed in SEEDS and run.job in jobs_for(run.job.seed):
        done = [_saved(job, folder) for job in jobs_for(run.job.seed)]
        if all(done):
            _write_report(run.job.seed, [each for each in done if each is not None])
    return run


def _saved(job: Job, folder: Path) -> Run | None:
    path = folder / f"done-{_key(job)}.json"
    if not path.is_file():
        return None
    saved = json.loads(path.read_text(encoding="utf-8"))
    return Run(job, RunRecord(saved["exit_code"], saved["record"], saved["output"]), saved["seconds"])


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def _properties(fault: Fault) -> str:
    return ", ".join(sorted(CAUGHT_BY[fault]))


def _write_report(seed: int, runs: list[Run]) -> None:
    REPORTS.mkdir(exist_ok=True)
    lines = [
        f"# Fault detection, seed {seed}",
        "",
        "A fault is detected when the run fails with a contract violation of a property it must be caught by;",
        "`caught by` names the test and the properties it broke, from the run record (`--summary-json`).",
        "",
        "| fault | breaks | must be caught by | data plane | detected | caught by (test: properties) | s |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        fault = run.job.fault
        if fault is None:
            problems = pass_problems(run.result)
            name, breaks, must, verdict = "(none: must pass)", "", "", "pass" if not problems else "FAIL"
            by = "; ".join(problems)
        else:
            found = detection(run.result, CAUGHT_BY[fault])
            name, breaks, must = fault.value, DESCRIPTIONS[fault], _properties(fault)
            verdict, by = "yes" if found.detected else "NO", found.caught_by if found.detected else found.why
        row = (name, breaks, must, run.job.data_plane, verdict, by, f"{run.seconds:.1f}")
        lines.append("| " + " | ".join(row) + " |")
    _write_atomically(REPORTS / f"fault-detection-seed-{seed}.md", "\n".join(lines) + "\n")


def _selected_jobs(request: pytest.FixtureRequest) -> list[Job]:
    """The runs the selected tests of this module read (each test's `job` parameter), each once, in order."""
    jobs: dict[Job, None] = {}
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        job = callspec.params.get("job") if callspec is not None else None
        if isinstance(job, Job) and getattr(item, "module", None) is request.module:
            jobs[job] = None
    return list(jobs)


def _under_xdist() -> bool:
    return "PYTEST_XDIST_WORKER" in os.environ


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the session's runs are kept: under xdist, one folder for every worker of this session."""
    if not _under_xdist():
        return tmp_path_factory.mktemp("fault-runs")
    shared = tmp_path_factory.getbasetemp().parent / "fault-runs"
    shared.mkdir(exist_ok=True)
    return shared


@pytest.fixture(scope="module")
def runs(request: pytest.FixtureRequest, folder: Path) -> dict[Job, Run]:
    """Every run a selected test reads, at most two at a time so both cores stay busy. Under xdist none: this
    process runs only the tests xdist gives it, one at a time, and the other worker keeps the other core busy."""
    if _under_xdist():
        return {}
    return {run.job: run for run in run_suites(_selected_jobs(request), folder)}


@pytest.fixture
def run(job: Job, runs: dict[Job, Run], folder: Path) -> Run:
    if job not in runs:
        [runs[job]] = run_suites([job], folder)
    return runs[job]


def _params(jobs: list[Job]) -> list[object]:
    return [pytest.param(job, id=job.id) for job in jobs]


HEALTHY = [job for seed in SEEDS for job in jobs_for(seed) if job.fault is None]
FAULTY = [job for seed in SEEDS for job in jobs_for(seed) if job.fault is not None]


@pytest.mark.parametrize("job", _params(HEALTHY))
def test_a_healthy_emulator_passes(job: Job, run: Run) -> None:
    problems = pass_problems(run.result, expected_target={"data_plane": job.data_plane, "faults": ""})
    assert not problems, f"healthy emulator ({job.data_plane}, seed {job.seed}): {problems}\n{run.result.output}"


@pytest.mark.parametrize("job", _params(FAULTY))
def test_the_fault_is_caught_by_the_property_it_breaks(job: Job, run: Run) -> None:
    assert job.fault is not None
    # The run really had the fault on (an ignored option would fail for another reason).
    assert run.result.record.get("target", {}).get("faults") == job.fault.value, run.result.output
    found = detection(run.result, CAUGHT_BY[job.fault])
    assert found.detected, (
        f"fault {job.fault.value} (seed {job.seed}) was not caught by the property it breaks "
        f"(expected: {_properties(job.fault)}): {found.why}\n{run.result.output[-800:]}"
    )


@pytest.mark.parametrize("job", [pytest.param(HARNESS_ERROR, id="harness-error")])
def test_a_harness_error_is_not_a_detection(job: Job, run: Run) -> None:
    """Exit 1 without a contract violation (here: the model's own timeout under a clock that never moves)."""
    assert run.result.exit_code == 1, run.result.output  # what the old meta-test counted as "detected"
    found = detection(run.result)
    assert not found.detected, found
    assert "no contract violation" in found.why
    assert "stays provisioning" in found.why, found.why  # the record names what really went wrong


def test_every_fault_names_properties_the_suite_reports() -> None:
    """A name in CAUGHT_BY is a property a run record can name: a restore check, a built-in schemathesis check the
    suite runs, or one a probe, the driver or a test raises itself (a literal in checks/, run/ or
    restore_contract/suite/)."""
    named = {check.name for check in RESTORE_CHECKS} | {name for name, how in DECISIONS.items() if how.runs_on}
    sources = [
        *(ROOT / "restore_contract" / "checks").glob("*.py"),
        *(ROOT / "restore_contract" / "run").glob("*.py"),  # the driver
        *(ROOT / "restore_contract" / "suite").glob("*.py"),
    ]
    text = "\n".join(path.read_text(encoding="utf-8") for path in sources)
    unknown = {
        fault.value: sorted(prop for prop in props if prop not in named and f'"{prop}"' not in text)
        for fault, props in CAUGHT_BY.items()
    }
    assert not {fault: props for fault, props in unknown.items() if props}, unknown


def test_a_violation_of_another_property_is_a_miss() -> None:
    """The verdict the fault runs are read with, on records built here."""
    ended = {"outcome": "failed", "violated": ["lifecycle_read_matches_model"], "error": "", "skip_reason": ""}
    run = RunRecord(1, {"tests": {"restore_contract/suite/test_lifecycle.py::test_lifecycle": ended}})
    assert detection(run).detected  # any contract violation, when the caller names no property
    missed = detection(run, CAUGHT_BY[Fault.DATA_NOT_REPLACED])
    assert not missed.detected
    assert missed.why.startswith(
        "caught only by other properties: expected one of ['restore_finishes_with_backup_data'], "
        "seen ['lifecycle_read_matches_model']"
    ), missed.why
    both = {**ended, "violated": ["lifecycle_read_matches_model", "restore_finishes_with_backup_data"]}
    assert detection(RunRecord(1, {"tests": {"t": both}}), CAUGHT_BY[Fault.DATA_NOT_REPLACED]).detected
