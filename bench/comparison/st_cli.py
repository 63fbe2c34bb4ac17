"""The plain CLI (`st run`) configured as a competent new user would, run on a seeded emulator, its output read."""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.comparison.processes import base_env, run_timed, shown
from restore_contract.emulator import DEFAULT_TOKEN, Fault
from restore_contract.harness.server import REPO, emulator_command, seeded_settings, start_server

CONTRACT = REPO / "restore_contract" / "contracts" / "openapi.yaml"
CLI_TIMEOUT = 120.0  # seconds for one `st run`
CLI_MAX_EXAMPLES = 50
CLI_SEED = 0
RESTORE_OPERATION = "postV1DatabasesByTargetDatabaseIdRestore"
AUTH = f"Authorization: Bearer {DEFAULT_TOKEN}"

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

# Its `--no-color` output, read back: the FAILURES section (per operation and case), then the SUMMARY.
SECTION = re.compile(r"^=+ ([A-Z ]+) =+$")
OPERATION = re.compile(r"^_{3,} (.+?) _{3,}$")
FAILURE = re.compile(r"^- (ST\d+) (.+)$")
ANSWER_BODY = re.compile(r"^\s+`(.+)`$")
SUMMARY_FAILURE = re.compile(r"^\s*\S+ (ST\d+) (.+): (\d+)$")  # "  ❌ ST202 Schema-valid request rejected: 3"
TEST_CASES = re.compile(r"^\s*(\d+) generated", re.MULTILINE)


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

    def describe(self) -> str:
        return f"exit {self.exit_code} in {self.seconds:.1f} s, failing checks {sorted(self.checks)}"


def st_executable() -> str:
    beside = Path(sys.executable).with_name("st")
    return str(beside) if beside.exists() else (shutil.which("st") or "st")


def cli_command(url: str, config: str = "schemathesis.toml") -> list[str]:
    target = ("run", str(CONTRACT), "--url", url, "--header", AUTH)
    options = ("--checks", "all", "--max-examples", str(CLI_MAX_EXAMPLES), "--seed", str(CLI_SEED), *CLI_EXTRA)
    return [st_executable(), "--config-file", config, *target, *options, "--no-color"]


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


def parse_failures(stdout: str) -> tuple[CliFailure, ...]:
    """The failures in the FAILURES section: operation, check code, first answer."""
    found: list[CliFailure] = []
    section, operation = "", ""
    pending: list[tuple[str, str]] = []  # failures of the current case waiting for the answer shown below them

    def flush(answer: str) -> None:
        found.extend(CliFailure(operation, check, title, answer[:160]) for check, title in pending)
        pending.clear()

    for line in stdout.splitlines():
        if header := SECTION.match(line):
            flush("")
            section = header.group(1).strip()
        elif section != "FAILURES":
            continue
        elif op := OPERATION.match(line):
            flush("")
            operation = op.group(1)
        elif failure := FAILURE.match(line):
            pending.append((failure.group(1), failure.group(2).strip()))
        elif pending and (body := ANSWER_BODY.match(line)):
            flush(body.group(1))
    flush("")
    return tuple(found)


def parse_summary(stdout: str) -> dict[str, int]:
    """Failure counts per check code from the SUMMARY section's "Failures:" list."""
    _, _, summary = stdout.rpartition("Failures:")
    counts: dict[str, int] = {}
    for line in summary.splitlines()[1:] if summary else []:
        if not (found := SUMMARY_FAILURE.match(line)):
            break
        counts[found.group(1)] = int(found.group(3))
    return counts


def parse_test_cases(stdout: str) -> int | None:
    cases = TEST_CASES.search(stdout)
    return int(cases.group(1)) if cases else None


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
    failures, summary = parse_failures(done.stdout), parse_summary(done.stdout)
    unexplained = done.exit_code != 0 and not (failures or summary)
    return CliRun(
        exit_code=done.exit_code,
        seconds=done.seconds,
        failures=failures,
        summary=summary,
        test_cases=parse_test_cases(done.stdout),
        tail=done.tail() if unexplained else "",
    )


def cli_commands(url: str, project: str, source: str, backup: str) -> dict[str, str]:
    """The CLI's commands and config as the Markdown shows them, with placeholders for what a run prints."""
    return {
        "cli_server": shown(emulator_command("--port", "0", *cli_server_args(None))) + " [--fault NAME]",
        "cli_backup_lookup": f"curl -H '{AUTH}' {url}/v1/databases/{source}/backups"
        "   # take the id of the one with status completed",
        "cli": shown(cli_command(url)) + f"   # timeout {CLI_TIMEOUT:.0f} s",
        "cli_config": cli_config(project, source, backup),
    }
