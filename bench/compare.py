#!/usr/bin/env python3
"""Our restore contract suite against the plain schemathesis CLI, on this machine.

    .venv/bin/python bench/compare.py [--repeat R] [--faults all|name,name] [--quick] [--jobs 1|2]

Measures, each a median of R runs (default 3; ratios are between medians of this same invocation):

1. the default suite (`tests/contract`, in-process emulator, Hypothesis profile `ci`): wall time, requests
   sent (from the summary line `target: emulator; requests sent: N`), requests/s. It must pass: that is our
   suite's false-alarm check on the healthy emulator;
2. the same suite live over HTTP (`--target live`, profile `ci`) against
   `python -m emulator --no-control-plane --seed-golden`, and the committed cassette replayed
   (`--target replay`, profile `replay`);
3. per emulator fault, the suite with `-x --emulator-fault NAME`: detected (exit 1) or not, and the wall
   time until it stopped (the first failing test ends an `-x` run);
4. per fault, the plain CLI `st run contracts/openapi.yaml --checks all` configured as a competent new user
   would (see CLI_CONFIG below, and the Markdown), against `python -m emulator --seed-golden --fault NAME`,
   run to completion (bounded by --max-examples 50 and a 120 s timeout): detected or not, and time taken;
5. the CLI on the healthy emulator: the failures it reports there are false alarms. Since it reports some,
   a fault counts as detected by the CLI only when it reports a failure of a check (an `ST…` code) that it
   does not report on the healthy emulator; its bare exit code is in the JSON too.

The in-process, live and replay runs go one at a time with nothing else running; the fault runs (ours and
the CLI's, interleaved) and the CLI's healthy runs share a pool of --jobs workers (default 2, this machine's
core count), which the Markdown states. Every subprocess has a timeout and every server is stopped.

Prints one table and writes bench/results/compare.md and bench/results/compare.json. `--quick` is R=1 and
four faults, for fast iteration. Exit status 1 when our suite failed a healthy run or missed a fault.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere
from emulator import DEFAULT_TOKEN, DESCRIPTIONS, Fault
from harness.server import REPO as ROOT
from harness.server import seeded_settings, start_server

RESULTS = ROOT / "bench" / "results"
CONTRACT = ROOT / "contracts" / "openapi.yaml"
SUITE_TIMEOUT = 900.0  # seconds for one run of our suite
CLI_TIMEOUT = 120.0  # seconds for one `st run`
CLI_MAX_EXAMPLES = 50
CLI_SEED = 0
QUICK_FAULTS = (Fault.RESTORE_ANSWERS_READY, Fault.DATA_NOT_REPLACED, Fault.AUTH_IGNORED, Fault.RESPONSE_SCHEMA_WRONG)
RESTORE_OPERATION = "postV1DatabasesByTargetDatabaseIdRestore"
T = TypeVar("T")

REQUESTS_SENT = re.compile(r"^target: \S+; requests sent: (\d+)", re.MULTILINE)
FAILED_TEST = re.compile(r"^FAILED (\S+)", re.MULTILINE)
CLI_SECTION = re.compile(r"^=+ ([A-Z ]+) =+$")
CLI_OPERATION = re.compile(r"^_{3,} (.+?) _{3,}$")
CLI_FAILURE = re.compile(r"^- (ST\d+) (.+)$")
CLI_ANSWER_BODY = re.compile(r"^\s+`(.+)`$")
CLI_SUMMARY_FAILURE = re.compile(r"^\s*\S+ (ST\d+) (.+): (\d+)$")  # "  ❌ ST202 Schema-valid request rejected: 3"
CLI_TEST_CASES = re.compile(r"^\s*(\d+) generated", re.MULTILINE)

# What a competent new user writes into schemathesis.toml in their own (empty) directory: every id the paths
# take pinned to the seeded project and golden source (otherwise nearly every request is a 404), and, as the
# CLI's own "Missing test data … supply the identifiers … in your config file" hint says, the restore body's
# source pinned to that database's completed backup (looked up with one GET of its backups).
CLI_CONFIG = """\
[parameters]
"path.projectId" = "{project}"
"path.targetDatabaseId" = "{source}"
"path.databaseId" = "{source}"

[[operations]]
include-operation-id = "{operation}"
parameters = {{ "body.source.databaseId" = "{source}", "body.source.backupId" = "{backup}" }}
"""
# With every databaseId pinned to the one seeded database, DELETE /v1/databases/{databaseId} deletes it in the
# first phase and every later request answers 404 (seen in a trial run), so the user excludes DELETE.
CLI_EXTRA = ("--exclude-method", "DELETE")


# --- running things --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timed:
    exit_code: int | None  # None: timed out (then killed) or could not be run
    seconds: float
    stdout: str
    stderr: str


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else ""


def run_timed(command: Sequence[str], *, cwd: Path, env: dict[str, str], timeout: float) -> Timed:
    """Run `command` to its end (killed after `timeout` s) and measure its wall time."""
    started = time.perf_counter()
    try:
        done = subprocess.run(
            list(command), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as expired:
        seconds = time.perf_counter() - started
        return Timed(None, seconds, _text(expired.stdout), _text(expired.stderr) + f"\n[timed out after {timeout} s]")
    return Timed(done.returncode, time.perf_counter() - started, done.stdout, done.stderr)


def base_env() -> dict[str, str]:
    """This environment without the suite's and pytest's settings; bytecode writing on (pytest caches rewrites)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRISMA_", "PYTEST_", "SCHEMATHESIS_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def shown(command: Sequence[str], env: dict[str, str] | None = None) -> str:
    """A command as one shell line, with the repository's paths relative where the run's cwd allows."""
    venv_python = str(ROOT / ".venv" / "bin" / "python")
    words = [".venv/bin/python" if word in (sys.executable, venv_python) else word for word in command]
    prefix = " ".join(f"{key}={shlex.quote(value)}" for key, value in (env or {}).items())
    return f"{prefix} {shlex.join(words)}".strip()


# --- our suite -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SuiteRun:
    exit_code: int | None
    seconds: float
    requests: int | None
    failed_test: str
    tail: str

    @property
    def requests_per_s(self) -> float | None:
        return self.requests / self.seconds if self.requests is not None and self.seconds > 0 else None


def suite_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "tests/contract", "-q", "-p", "no:cacheprovider", *args]


def run_suite(settings: dict[str, str], *args: str) -> SuiteRun:
    done = run_timed(suite_command(*args), cwd=ROOT, env={**base_env(), **settings}, timeout=SUITE_TIMEOUT)
    requests = REQUESTS_SENT.search(done.stdout)
    failed = FAILED_TEST.search(done.stdout)
    return SuiteRun(
        exit_code=done.exit_code,
        seconds=done.seconds,
        requests=int(requests.group(1)) if requests else None,
        failed_test=failed.group(1) if failed else "",
        tail=(done.stdout[-1500:] + done.stderr[-500:]) if done.exit_code not in (0, 1) else "",
    )


IN_PROCESS_ENV = {"PRISMA_CONTRACT_PROFILE": "ci"}
IN_PROCESS_ARGS = ("--target=emulator",)
REPLAY_ENV = {"PRISMA_CONTRACT_PROFILE": "replay"}
REPLAY_ARGS = ("--target=replay",)
LIVE_SERVER_ARGS = ("--no-control-plane", "--seed-golden")
LIVE_ARGS = ("--target=live",)


def fault_args(fault: str) -> tuple[str, ...]:
    return ("-x", "--target=emulator", f"--emulator-fault={fault}")


def live_env(url: str, settings: dict[str, str]) -> dict[str, str]:
    return {
        "PRISMA_API_URL": url,
        "PRISMA_API_TOKEN": DEFAULT_TOKEN,
        **settings,
        "PRISMA_CONTRACT_RESTORE_TIMEOUT": "10",
        "PRISMA_CONTRACT_PROFILE": "ci",
    }


def run_in_process() -> SuiteRun:
    return run_suite(IN_PROCESS_ENV, *IN_PROCESS_ARGS)


def run_live() -> SuiteRun:
    server = start_server(*LIVE_SERVER_ARGS)
    try:
        return run_suite(live_env(server.url, seeded_settings(server)), *LIVE_ARGS)
    finally:
        server.stop()


def run_replay() -> SuiteRun:
    return run_suite(REPLAY_ENV, *REPLAY_ARGS)


def run_fault_suite(fault: Fault) -> SuiteRun:
    return run_suite(IN_PROCESS_ENV, *fault_args(fault.value))


# --- the plain schemathesis CLI --------------------------------------------------------------------------


@dataclass(frozen=True)
class CliFailure:
    operation: str  # "POST /v1/…", or "Stateful tests"
    check: str  # ST code, e.g. ST202
    title: str  # e.g. "Schema-valid request rejected"
    answer: str  # the first response body shown for it, shortened


@dataclass(frozen=True)
class CliRun:
    exit_code: int | None
    seconds: float
    failures: tuple[CliFailure, ...]
    summary: dict[str, int]  # the SUMMARY's failure counts per check code
    test_cases: int | None
    tail: str

    @property
    def checks(self) -> set[str]:
        """The check codes that failed: from the FAILURES section and, should that change format, the SUMMARY."""
        return {failure.check for failure in self.failures} | set(self.summary)


def st_executable() -> str:
    beside = Path(sys.executable).with_name("st")
    return str(beside) if beside.exists() else (shutil.which("st") or "st")


def cli_command(url: str, config: str = "schemathesis.toml") -> list[str]:
    return [
        st_executable(),
        "--config-file",
        config,
        "run",
        str(CONTRACT),
        "--url",
        url,
        "--header",
        f"Authorization: Bearer {DEFAULT_TOKEN}",
        "--checks",
        "all",
        "--max-examples",
        str(CLI_MAX_EXAMPLES),
        "--seed",
        str(CLI_SEED),
        *CLI_EXTRA,
        "--no-color",
    ]


def cli_config(project: str, source: str, backup: str) -> str:
    return CLI_CONFIG.format(project=project, source=source, backup=backup, operation=RESTORE_OPERATION)


def cli_server_args(fault: Fault | None) -> tuple[str, ...]:
    """With the control plane (a new user starts the emulator plainly), seeded with the golden source."""
    return ("--seed-golden", *(("--fault", fault.value) if fault else ()))


def completed_backup(url: str, database_id: str) -> str:
    """What the user looks up once with curl: the id of a completed backup of the seeded source."""
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}, timeout=10) as client:
        backups = client.get(f"/v1/databases/{database_id}/backups").json()["data"]
    return next(str(b["id"]) for b in backups if b.get("status") == "completed")


def parse_cli_failures(stdout: str) -> tuple[CliFailure, ...]:
    """The failures in the FAILURES section of `st run --no-color` output: operation, check code, first answer."""
    found: list[CliFailure] = []
    section, operation = "", ""
    pending: list[tuple[str, str]] = []  # failures of the current case waiting for the answer shown below them

    def flush(answer: str) -> None:
        found.extend(CliFailure(operation, check, title, answer[:160]) for check, title in pending)
        pending.clear()

    for line in stdout.splitlines():
        if header := CLI_SECTION.match(line):
            flush("")
            section = header.group(1).strip()
        elif section != "FAILURES":
            continue
        elif op := CLI_OPERATION.match(line):
            flush("")
            operation = op.group(1)
        elif failure := CLI_FAILURE.match(line):
            pending.append((failure.group(1), failure.group(2).strip()))
        elif pending and (body := CLI_ANSWER_BODY.match(line)):
            flush(body.group(1))
    flush("")
    return tuple(found)


def parse_cli_summary(stdout: str) -> dict[str, int]:
    """Failure counts per check code from the SUMMARY section's "Failures:" list."""
    _, _, summary = stdout.rpartition("Failures:")
    counts: dict[str, int] = {}
    for line in summary.splitlines()[1:] if summary else []:
        if not (found := CLI_SUMMARY_FAILURE.match(line)):
            break
        counts[found.group(1)] = int(found.group(3))
    return counts


def run_cli(fault: Fault | None) -> CliRun:
    server = start_server(*cli_server_args(fault))
    try:
        settings = seeded_settings(server)
        source = settings["PRISMA_CONTRACT_SOURCE_DATABASE_ID"]
        config = cli_config(settings["PRISMA_CONTRACT_PROJECT_ID"], source, completed_backup(server.url, source))
        # A fresh directory, as a new user's: our schemathesis.toml is not found, nor any example database.
        with tempfile.TemporaryDirectory(prefix="st-new-user-") as workdir:
            (Path(workdir) / "schemathesis.toml").write_text(config, encoding="utf-8")
            done = run_timed(cli_command(server.url), cwd=Path(workdir), env=base_env(), timeout=CLI_TIMEOUT)
    finally:
        server.stop()
    cases = CLI_TEST_CASES.search(done.stdout)
    failures = parse_cli_failures(done.stdout)
    summary = parse_cli_summary(done.stdout)
    unexplained = done.exit_code != 0 and not (failures or summary)
    return CliRun(
        exit_code=done.exit_code,
        seconds=done.seconds,
        failures=failures,
        summary=summary,
        test_cases=int(cases.group(1)) if cases else None,
        tail=(done.stdout[-1500:] + done.stderr[-500:]) if unexplained else "",
    )


# --- the measurement -------------------------------------------------------------------------------------


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def sequential(name: str, repeat: int, run: Callable[[], T], describe: Callable[[T], str]) -> list[T]:
    results = []
    for n in range(repeat):
        result = run()
        log(f"  {name} {n + 1}/{repeat}: {describe(result)}")
        results.append(result)
    return results


def describe_suite(run: SuiteRun) -> str:
    return f"exit {run.exit_code} in {run.seconds:.1f} s, {run.requests} requests"


def describe_cli(run: CliRun) -> str:
    return f"exit {run.exit_code} in {run.seconds:.1f} s, failing checks {sorted(run.checks)}"


@dataclass
class Pool:
    """Fault runs (ours and the CLI's) and the CLI's healthy runs, `jobs` at a time."""

    jobs: int
    suite: dict[Fault, list[SuiteRun]] = field(default_factory=dict)
    cli: dict[Fault | None, list[CliRun]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # runs that could not be made (not counted in any median)

    def run(self, faults: list[Fault], repeat: int) -> None:
        work: list[tuple[str, Fault | None]] = [("cli", None)] * repeat
        for _ in range(repeat):
            work += [(kind, fault) for fault in faults for kind in ("suite", "cli")]
        with ThreadPoolExecutor(self.jobs) as pool:
            futures = {pool.submit(self._one, kind, fault): (kind, fault) for kind, fault in work}
            for done, future in enumerate(as_completed(futures), 1):
                kind, which = futures[future]
                log(f"  [{done}/{len(work)}] {kind} {which.value if which else '(no fault)'}: {future.result()}")

    def _one(self, kind: str, fault: Fault | None) -> str:
        try:
            return self._measure(kind, fault)
        except Exception as error:  # a server that did not start, a lookup that failed: recorded, not fatal
            self.errors.append(f"{kind} {fault.value if fault else '(no fault)'}: {error!r}")
            return f"ERROR {error!r}"

    def _measure(self, kind: str, fault: Fault | None) -> str:
        if kind == "suite":
            assert fault is not None
            suite_run = run_fault_suite(fault)
            self.suite.setdefault(fault, []).append(suite_run)
            return describe_suite(suite_run)
        cli_run = run_cli(fault)
        self.cli.setdefault(fault, []).append(cli_run)
        return describe_cli(cli_run)


def median(values: Sequence[float | int | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(statistics.median(present)) if present else None


def suite_summary(runs: list[SuiteRun], expected_exit: int) -> dict[str, Any]:
    return {
        "ok": sum(run.exit_code == expected_exit for run in runs),
        "runs": len(runs),
        "exit_codes": [run.exit_code for run in runs],
        "seconds_median": median([run.seconds for run in runs]),
        "requests_median": median([run.requests for run in runs]),
        "requests_per_s_median": median([run.requests_per_s for run in runs]),
        "failed_tests": sorted({run.failed_test for run in runs if run.failed_test}),
        "each": [asdict(run) for run in runs],
    }


def cli_summary(runs: list[CliRun], healthy_checks: set[str]) -> dict[str, Any]:
    new = [sorted(run.checks - healthy_checks) for run in runs]
    return {
        "detected": sum(bool(checks) and run.exit_code != 0 for checks, run in zip(new, runs, strict=True)),
        "runs": len(runs),
        "exit_codes": [run.exit_code for run in runs],
        "seconds_median": median([run.seconds for run in runs]),
        "test_cases_median": median([run.test_cases for run in runs]),
        "checks_not_seen_when_healthy": sorted({check for checks in new for check in checks}),
        "failures": sorted({f"{f.operation}: {f.check} {f.title}" for run in runs for f in run.failures}),
        "each": [asdict(run) for run in runs],
    }


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    return numerator / denominator if numerator is not None and denominator else None


# --- the report ------------------------------------------------------------------------------------------

COLUMNS = ("run", "our suite", "s", "requests", "req/s", "st run (plain CLI)", "s", "ratio")


def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def fmt_ratio(value: float | None, what: str) -> str:
    return "-" if value is None else f"{value:.2f}x {what}"


def verdict(hits: int, runs: int, yes: str, no: str) -> str:
    if runs == 0:
        return "not run"
    if hits == runs:
        return yes
    return no if hits == 0 else f"{yes} {hits}/{runs}"


def timeouts(summary: dict[str, Any]) -> str:
    killed = summary["exit_codes"].count(None)
    return f" (timed out {killed}/{summary['runs']})" if killed else ""


def table_rows(figures: dict[str, Any]) -> list[tuple[str, ...]]:
    suite, healthy_cli = figures["suite"], figures["healthy"]["cli"]
    in_process = suite["in_process"]
    alarms = healthy_cli["false_alarm_checks"]
    cli_healthy = "no failures"
    if alarms:  # e.g. "false alarms: ST202 on 4 operations"
        cli_healthy = "false alarms: " + ", ".join(f"{c} on {n} op(s)" if n else c for c, n in alarms.items())
    if not healthy_cli["runs"]:
        cli_healthy = "not run"
    rows: list[tuple[str, ...]] = []

    def suite_cells(summary: dict[str, Any], yes: str, no: str) -> tuple[str, ...]:
        return (
            verdict(summary["ok"], summary["runs"], yes, no) + timeouts(summary),
            fmt(summary["seconds_median"]),
            fmt(summary["requests_median"], 0),
            fmt(summary["requests_per_s_median"], 0),
        )

    rows.append(
        (
            "no fault: in-process emulator (ci)",
            *suite_cells(in_process, "pass", "FAIL"),
            cli_healthy,
            fmt(healthy_cli["seconds_median"]),
            fmt_ratio(ratio(healthy_cli["seconds_median"], in_process["seconds_median"]), "st/ours"),
        )
    )
    for key, label in (("live", "no fault: live over HTTP (ci)"), ("replay", "no fault: cassette replay (replay)")):
        summary = suite[key]
        speed = fmt_ratio(ratio(summary["seconds_median"], in_process["seconds_median"]), "in-process time")
        rows.append((label, *suite_cells(summary, "pass", "FAIL"), "", "", speed))
    for entry in figures["faults"]:
        ours, cli = entry["suite"], entry["cli"]
        new = ", ".join(cli["checks_not_seen_when_healthy"])
        cli_verdict = verdict(cli["detected"], cli["runs"], f"caught ({new})" if new else "caught", "missed")
        cli_verdict += timeouts(cli)
        rows.append(
            (
                f"fault: {entry['fault']}",
                *suite_cells(ours, "caught", "MISSED"),
                cli_verdict,
                fmt(cli["seconds_median"]),
                fmt_ratio(entry["cli_over_suite"], "st/ours"),
            )
        )
    return rows


def text_table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in [COLUMNS, *rows]) for i in range(len(COLUMNS))]
    numeric = {2, 3, 4, 6}
    lines = []
    for row in [COLUMNS, *rows]:
        cells = [
            cell.rjust(w) if i in numeric else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if row is COLUMNS:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(figures: dict[str, Any], rows: list[tuple[str, ...]]) -> str:
    machine, commands = figures["machine"], figures["commands"]
    parallel = (
        f"the fault runs (ours and the CLI's, interleaved) and the CLI's healthy runs were measured with "
        f"{figures['jobs']} jobs in parallel on {machine['cpu_count']} cores, so they compete for CPU; "
        if figures["jobs"] > 1
        else "every run was measured alone (sequentially); "
    )
    lines = [
        "# Our restore contract suite vs the plain schemathesis CLI",
        "",
        f"Measured {figures['date']} with `{figures['command']}`"
        f"{' (quick: a subset of faults, one run each)' if figures['quick'] else ''}.",
        f"Machine: {machine['platform']}, {machine['cpu_count']} CPUs, Python {machine['python']}, "
        f"schemathesis {figures['schemathesis']}, repository at {figures['git']}.",
        "",
        f"Timings are medians of {figures['repeat']} run(s), wall time of the whole process (start-up included). "
        f"The in-process, live and replay runs ran alone, one at a time; {parallel}"
        "ratios compare medians of this same invocation. Another process may have been using the machine.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---:" if i in (2, 3, 4, 6) else "---" for i in range(len(COLUMNS))) + "|",
        *("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows),
        "",
        "- **our suite**: `pass` = exit 0 on the healthy emulator (no false alarm); for a fault, `caught` = exit 1 "
        "with `-x`, and `s` is the time until that run stopped (the first failing test; the `ci` profile "
        "reports it without shrinking).",
        "- **st run**: run to completion (bounded by `--max-examples "
        f"{CLI_MAX_EXAMPLES}` and a {CLI_TIMEOUT:.0f} s timeout). It reports failures on the healthy emulator "
        "(false alarms, below), so its exit code is 1 with or without a fault; a fault counts as `caught` only "
        "when the CLI reports a check (`ST…` code) it does not report on the healthy emulator (listed).",
        "- **ratio**: for faults and the healthy row, CLI median time / our median time; for live and replay, "
        "their median time / the in-process median time.",
        "",
        "## Commands",
        "",
        "Our suite (from the repository root):",
        "",
        "```sh",
        "# no fault, in-process",
        commands["in_process"],
        "# per fault, in-process",
        commands["fault"],
        "# live over HTTP: this server prints the project and source ids",
        commands["live_server"],
        commands["live"],
        "# the committed cassette",
        commands["replay"],
        "```",
        "",
        "The plain schemathesis CLI, as a competent new user would run it: the emulator started plainly (with its "
        "control plane) and seeded with `--seed-golden`, the ids it prints pinned in a `schemathesis.toml` in a "
        "fresh empty directory (so the repository's own `schemathesis.toml` does not apply), the completed "
        "backup's id looked up once, all checks, bounded examples, a fixed seed:",
        "",
        "```sh",
        f"{commands['cli_server']}",
        f"{commands['cli_backup_lookup']}",
        'cd "$(mktemp -d)"   # then write schemathesis.toml:',
        "```",
        "",
        "```toml",
        figures["cli_config"].rstrip(),
        "```",
        "",
        "```sh",
        commands["cli"],
        "```",
        "",
        "Why this configuration: without pinned ids nearly every request answers 404 (random ids), and the CLI "
        "itself says so and advises supplying the identifiers in the config file, hence the path ids and the "
        "restore body's source. `--exclude-method DELETE`: with `databaseId` pinned to the one seeded database, "
        "`DELETE /v1/databases/{databaseId}` deletes it in the first phase and every later request answers 404 "
        "(seen in a trial run), so a user who pins ids keeps DELETE away from them. Pinning has a cost: a pinned "
        "path parameter has that value in every case, so the CLI never sends other ids there, such as the "
        "non-ASCII ids `unicode-id-500` needs (a trial run without any config file caught that fault with ST101 "
        "Server error, but sent nearly every other request to unknown ids).",
        "",
        "## False alarms on the healthy emulator",
        "",
        "Our suite (exit 0 = pass, no false alarm): "
        + "; ".join(
            f"{name} exit codes {', '.join(str(code) for code in figures['suite'][key]['exit_codes'])}"
            for key, name in (("in_process", "in-process"), ("live", "live"), ("replay", "replay"))
        )
        + ".",
        "",
        "The CLI (failures it reported in any healthy run; the emulator is correct there, so each is a false "
        "alarm of the CLI):",
        "",
        *(f"- {item}" for item in figures["healthy"]["cli"]["failure_details"] or ["none"]),
        "",
        *(
            ["## Runs that could not be made", "", *(f"- {e}" for e in figures["errors"]), ""]
            if figures["errors"]
            else []
        ),
    ]
    return "\n".join(lines)


def static_commands() -> dict[str, str]:
    url, project, source, backup = "<url>", "<printed project id>", "<printed source id>", "<completed backup id>"
    placeholders = {"PRISMA_CONTRACT_PROJECT_ID": project, "PRISMA_CONTRACT_SOURCE_DATABASE_ID": source}
    server = [".venv/bin/python", "-m", "emulator", "--port", "0"]
    return {
        "in_process": shown(suite_command(*IN_PROCESS_ARGS), IN_PROCESS_ENV),
        "fault": shown(suite_command(*fault_args("NAME")), IN_PROCESS_ENV),
        "live_server": shlex.join([*server, *LIVE_SERVER_ARGS]),
        "live": shown(suite_command(*LIVE_ARGS), live_env(url, placeholders)),
        "replay": shown(suite_command(*REPLAY_ARGS), REPLAY_ENV),
        "cli_server": shlex.join([*server, "--seed-golden"]) + " [--fault NAME]",
        "cli_backup_lookup": f"curl -H 'Authorization: Bearer {DEFAULT_TOKEN}' {url}/v1/databases/{source}/backups"
        "   # take the id of the one with status completed",
        "cli": shown(cli_command(url)) + f"   # timeout {CLI_TIMEOUT:.0f} s",
        "cli_config": cli_config(project, source, backup),
    }


def git_state() -> str:
    done = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True, timeout=10, check=False
    )
    return done.stdout.strip() or "unknown"


# --- main ------------------------------------------------------------------------------------------------


def parse_faults(text: str) -> list[Fault]:
    if text == "all":
        return list(Fault)
    try:
        return [Fault(name.strip()) for name in text.split(",") if name.strip()]
    except ValueError as error:
        known = ", ".join(f.value for f in Fault)
        raise argparse.ArgumentTypeError(f"{error}; known faults: {known}") from None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=None, help="runs per measurement, medians reported (default 3)")
    parser.add_argument("--faults", type=parse_faults, default=None, help="all (default) or name,name,…")
    parser.add_argument("--quick", action="store_true", help=f"R=1 and faults {','.join(QUICK_FAULTS)}")
    parser.add_argument("--jobs", type=int, choices=(1, 2), default=2, help="concurrent fault runs (default 2)")
    args = parser.parse_args(argv)
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.faults is None:
        args.faults = list(QUICK_FAULTS) if args.quick else list(Fault)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    repeat: int = args.repeat
    faults: list[Fault] = args.faults
    log(f"compare: R={repeat}, {len(faults)} fault(s), {args.jobs} job(s) for the fault runs")
    log("our suite alone, one run at a time:")
    in_process = sequential("in-process", repeat, run_in_process, describe_suite)
    live = sequential("live", repeat, run_live, describe_suite)
    replay = sequential("replay", repeat, run_replay, describe_suite)
    log(f"fault runs and the CLI's healthy runs, {args.jobs} at a time:")
    pool = Pool(args.jobs)
    pool.run(faults, repeat)

    healthy_runs = pool.cli.get(None, [])
    healthy_checks = {check for run in healthy_runs for check in run.checks}
    alarms = {(f.operation, f.check): f for run in healthy_runs for f in run.failures}  # any healthy run
    alarm_counts = Counter(check for _, check in alarms)  # check -> operations it fails on
    alarm_counts.update(dict.fromkeys(healthy_checks - set(alarm_counts), 0))  # only in the SUMMARY
    details = [
        f"`{f.operation}`: {f.check} {f.title}" + (f"; the emulator answered `{f.answer}`" if f.answer else "")
        for _, f in sorted(alarms.items())
    ]
    fault_entries: list[dict[str, Any]] = []
    for fault in faults:
        ours = suite_summary(pool.suite.get(fault, []), expected_exit=1)
        cli = cli_summary(pool.cli.get(fault, []), healthy_checks)
        fault_entries.append(
            {
                "fault": fault.value,
                "breaks": DESCRIPTIONS[fault],
                "suite": ours,
                "cli": cli,
                "cli_over_suite": ratio(cli["seconds_median"], ours["seconds_median"]),
            }
        )
    healthy_cli = cli_summary(healthy_runs, set())
    healthy_cli["runs_with_failures"] = healthy_cli.pop("detected")  # on the healthy emulator: false alarms
    del healthy_cli["checks_not_seen_when_healthy"]
    suite_summaries = {
        "in_process": suite_summary(in_process, expected_exit=0),
        "live": suite_summary(live, expected_exit=0),
        "replay": suite_summary(replay, expected_exit=0),
    }
    command = shown([sys.executable, "bench/compare.py", *(argv if argv is not None else sys.argv[1:])])
    commands = static_commands()
    figures: dict[str, Any] = {
        "benchmark": "restore contract suite vs the plain schemathesis CLI (st run), per emulator fault",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "quick": args.quick,
        "repeat": repeat,
        "jobs": args.jobs,
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(), "python": platform.python_version()},
        "schemathesis": importlib.metadata.version("schemathesis"),
        "git": git_state(),
        "commands": {k: v for k, v in commands.items() if k != "cli_config"},
        "cli_config": commands["cli_config"],
        "cli_detection_rule": "caught = exit != 0 and a failing check (ST code) not reported on the healthy emulator",
        "suite": suite_summaries,
        "healthy": {
            "suite_exit_codes": [run.exit_code for run in in_process],
            "cli": {
                **healthy_cli,
                "false_alarm_checks": dict(sorted(alarm_counts.items())),
                "failure_details": details,
            },
        },
        "faults": fault_entries,
        "errors": pool.errors,
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    rows = table_rows(figures)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "compare.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    (RESULTS / "compare.md").write_text(markdown(figures, rows), encoding="utf-8")
    print(text_table(rows))
    print(f"\nst run command: {commands['cli']}")
    print(f"total {figures['total_seconds']:.0f} s; written to {RESULTS / 'compare.md'} and {RESULTS / 'compare.json'}")
    healthy_ok = all(s["ok"] == s["runs"] for s in suite_summaries.values())
    all_caught = all(entry["suite"]["ok"] == entry["suite"]["runs"] for entry in fault_entries)
    return 0 if healthy_ok and all_caught else 1


if __name__ == "__main__":
    sys.exit(main())
