"""Our suite as a pytest process: in-process, live over HTTP, replayed, or with an emulator fault; timed."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import partial

from bench.comparison.processes import base_env, run_timed, shown
from restore_contract.emulator import DEFAULT_TOKEN, Fault
from restore_contract.harness.server import REPO, emulator_command, seeded_settings, start_server

SUITE_TIMEOUT = 900.0  # seconds for one run of our suite
REQUESTS_SENT = re.compile(r"^target: \S+; requests sent: (\d+)", re.MULTILINE)
FAILED_TEST = re.compile(r"^FAILED (\S+)", re.MULTILINE)

IN_PROCESS_ENV = {"PRISMA_CONTRACT_PROFILE": "ci"}
IN_PROCESS_ARGS = ("--target=emulator",)
REPLAY_ENV = {"PRISMA_CONTRACT_PROFILE": "replay"}
REPLAY_ARGS = ("--target=replay",)
LIVE_SERVER_ARGS = ("--no-control-plane", "--seed-golden")
LIVE_ARGS = ("--target=live",)


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

    def describe(self) -> str:
        return f"exit {self.exit_code} in {self.seconds:.1f} s, {self.requests} requests"


def suite_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "restore_contract/suite", "-q", "-p", "no:cacheprovider", *args]


def run_suite(settings: dict[str, str], *args: str) -> SuiteRun:
    done = run_timed(suite_command(*args), cwd=REPO, env={**base_env(), **settings}, timeout=SUITE_TIMEOUT)
    requests = REQUESTS_SENT.search(done.stdout)
    failed = FAILED_TEST.search(done.stdout)
    return SuiteRun(
        exit_code=done.exit_code,
        seconds=done.seconds,
        requests=int(requests.group(1)) if requests else None,
        failed_test=failed.group(1) if failed else "",
        tail=done.tail() if done.exit_code not in (0, 1) else "",
    )


run_in_process = partial(run_suite, IN_PROCESS_ENV, *IN_PROCESS_ARGS)
run_replay = partial(run_suite, REPLAY_ENV, *REPLAY_ARGS)


def fault_args(fault: str) -> tuple[str, ...]:
    return ("-x", "--target=emulator", f"--emulator-fault={fault}")


def live_env(url: str, settings: dict[str, str]) -> dict[str, str]:
    fixed = {"PRISMA_CONTRACT_RESTORE_TIMEOUT": "10", "PRISMA_CONTRACT_PROFILE": "ci"}
    return {"PRISMA_API_URL": url, "PRISMA_API_TOKEN": DEFAULT_TOKEN, **settings, **fixed}


def run_live() -> SuiteRun:
    server = start_server(*LIVE_SERVER_ARGS)
    try:
        return run_suite(live_env(server.url, seeded_settings(server)), *LIVE_ARGS)
    finally:
        server.stop()


def run_fault_suite(fault: Fault) -> SuiteRun:
    return run_suite(IN_PROCESS_ENV, *fault_args(fault.value))


def suite_commands(url: str, project: str, source: str) -> dict[str, str]:
    """The commands above as the Markdown shows them, with placeholders for what a run prints."""
    placeholders = {"PRISMA_CONTRACT_PROJECT_ID": project, "PRISMA_CONTRACT_SOURCE_DATABASE_ID": source}
    return {
        "in_process": shown(suite_command(*IN_PROCESS_ARGS), IN_PROCESS_ENV),
        "fault": shown(suite_command(*fault_args("NAME")), IN_PROCESS_ENV),
        "live_server": shown(emulator_command("--port", "0", *LIVE_SERVER_ARGS)),
        "live": shown(suite_command(*LIVE_ARGS), live_env(url, placeholders)),
        "replay": shown(suite_command(*REPLAY_ARGS), REPLAY_ENV),
    }
