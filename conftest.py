"""Suite-wide pytest configuration: Hypothesis profiles, the options every test layer shares, the summary, and
how to rerun a failed contract test."""

from __future__ import annotations

import os
import sys
from collections.abc import Generator
from pathlib import Path

import pytest

from restore_contract.checks.configuration import RUN_SETTINGS, check_settings
from restore_contract.checks.repro import Invocation, reproduce, rerun_id
from restore_contract.emulator.config import OPTIONS, SUITE_PREFIX, add_options
from restore_contract.reporting.write import clear_reports, write_stopped
from restore_contract.strategies.profiles import UnknownProfile, profile_in_effect, use_profile
from restore_contract.targets.base import TargetConfigurationError

TARGETS = ("emulator", "live", "replay")
CONTRACT_SUITE = Path(__file__).resolve().parent / "tests" / "contract"
INVOCATION = pytest.StashKey[Invocation]()
REPLAY_IN_ONE_PROCESS = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("restore-contract")
    group.addoption(
        "--upstream-openapi",
        default=os.environ.get("PRISMA_UPSTREAM_OPENAPI"),
        help="upstream OpenAPI JSON for the drift test (env PRISMA_UPSTREAM_OPENAPI; "
        "default ../shared/reference/prisma-management-api.openapi.json)",
    )
    group.addoption(
        "--target",
        default=os.environ.get("PRISMA_CONTRACT_TARGET", "emulator"),
        choices=TARGETS,
        help="what the contract suite runs against (env PRISMA_CONTRACT_TARGET; default: the in-process emulator)",
    )
    group.addoption(
        "--record",
        metavar="NAME",
        default=os.environ.get("PRISMA_CONTRACT_RECORD"),
        help="record this --target live run into cassettes/NAME/ (run with PRISMA_CONTRACT_PROFILE=replay)",
    )
    group.addoption(
        "--cassette",
        metavar="NAME",
        default=os.environ.get("PRISMA_CONTRACT_CASSETTE", "emulator-http"),
        help="the cassette --target replay plays (default: emulator-http, committed)",
    )
    group.addoption(
        "--partial",
        action="store_true",
        default=os.environ.get("PRISMA_CONTRACT_PARTIAL", "").strip().lower() in ("1", "true", "yes", "on"),
        help="let a live run go on that cannot check a successful restore (no database to restore into, or no "
        "golden source): it checks what it can and says what it could not (env PRISMA_CONTRACT_PARTIAL=1)",
    )
    group.addoption(
        "--summary-json",
        metavar="PATH",
        default=os.environ.get("PRISMA_CONTRACT_SUMMARY_JSON"),
        help="write the contract run's record as JSON: target, properties checked, restore answers, and how "
        "each test ended (a contract violation names its properties) (env PRISMA_CONTRACT_SUMMARY_JSON)",
    )
    group.addoption(
        "--reports",
        metavar="DIR",
        default=os.environ.get("PRISMA_CONTRACT_REPORTS", str(Path(__file__).resolve().parent / "reports")),
        help="where a contract run writes summary.json, summary.md and its pictures (env PRISMA_CONTRACT_REPORTS; "
        "default: the project's reports/)",
    )
    group.addoption(
        "--budget",
        metavar="SECONDS",
        default=os.environ.get("PRISMA_CONTRACT_BUDGET"),
        help="the contract run's time budget: each test gets a share, the run ends inside it with every restore it "
        "started verified (env PRISMA_CONTRACT_BUDGET; default 1440 with the nightly profile, none otherwise)",
    )
    add_options(group.addoption, suite=True)  # --emulator-clock, --emulator-fault, …: see restore_contract/emulator/config.py


@pytest.hookimpl(tryfirst=True)  # before pytest configures anything, and before xdist starts its workers
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """Every setting is checked before the run starts or writes anything (restore_contract/checks/configuration.py): a mistake is one
    line and exit code 2, printed once, with or without xdist. A contract run's reports of an earlier run go first,
    so a run that stops here or is killed later never leaves the last one's "passed" behind."""
    if config.option.help or config.option.version or _is_xdist_worker(config):
        return None
    contract = _runs_contract_tests(config)
    reports, summary_json = Path(config.getoption("--reports")), config.getoption("--summary-json")
    if contract:
        clear_reports(reports, Path(summary_json) if summary_json else None)
    try:
        profile = _checked_profile(config)
        config.stash[RUN_SETTINGS] = check_settings(config.getoption, profile, preflight=not config.option.collectonly)
    except TargetConfigurationError as error:
        line = f"restore-contract: {error}"
        print(line, file=sys.stderr, flush=True)
        if contract:
            write_stopped(reports, Path(summary_json) if summary_json else None, line, 2)
        return 2
    return None


def _runs_contract_tests(config: pytest.Config) -> bool:
    """Whether the tests the run was given include the contract suite (or lie inside it)."""
    for arg in config.args or ["."]:
        path = (config.invocation_params.dir / arg.split("::", 1)[0]).resolve()
        if CONTRACT_SUITE.is_relative_to(path) or path.is_relative_to(CONTRACT_SUITE):
            return True
    return False


@pytest.hookimpl(tryfirst=True)  # before Hypothesis's plugin loads --hypothesis-profile (unknown: INTERNALERROR)
def pytest_configure(config: pytest.Config) -> None:
    try:  # checked already, except where pytest_cmdline_main does not check (--help, an xdist worker)
        use_profile(_checked_profile(config))
    except TargetConfigurationError as error:
        pytest.exit(f"restore-contract: {error}", 2)
    config.addinivalue_line("markers", "budget_weight(w): the test's weight in sharing the run's time budget (1)")
    invoked = config.invocation_params
    config.stash[INVOCATION] = Invocation.of(invoked.args, config.option.file_or_dir, invoked.dir, os.environ)
    xdist_controller = bool(config.getoption("numprocesses", None)) and not _is_xdist_worker(config)
    if xdist_controller and config.getoption("--target") == "replay":
        # A cassette is one conversation: a read of a URL answers what it answered at that point of the recording,
        # so it replays in the recorded order, in one process (xdist sets up its workers after this hook).
        config.option.dist = "no"
        config.stash[REPLAY_IN_ONE_PROCESS] = True
    uses_embedded_postgres = (
        not xdist_controller  # its workers run the tests, each with its own emulator
        and config.getoption("--target") == "emulator"
        and config.getoption("--emulator-data") == "postgres"
        and not config.getoption("--emulator-postgres-dsn")
    )
    if uses_embedded_postgres:
        # Start the emulator's PostgreSQL while pytest collects tests; it is ready by the time it is needed.
        from restore_contract.emulator.dataplane.cluster import start_in_background

        start_in_background()


def _checked_profile(config: pytest.Config) -> str:
    """The target checked, and the profile (returned). (`choices=` checks a value given on the command line, not one
    from the environment.)"""
    target = config.getoption("--target")
    if target not in TARGETS:
        raise TargetConfigurationError(
            f"PRISMA_CONTRACT_TARGET={target} is not a target: use one of {', '.join(TARGETS)}"
        )
    try:
        return profile_in_effect(config)
    except UnknownProfile as error:
        raise TargetConfigurationError(str(error)) from None


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_report_header(config: pytest.Config) -> list[str]:
    header = f"restore-contract: target={config.getoption('--target')} hypothesis-profile={profile_in_effect(config)}"
    if config.stash.get(REPLAY_IN_ONE_PROCESS, False):
        header += " (-n ignored: a cassette replays in the order it was recorded, in one process)"
    return [header]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed contract test says how to run it again, the same way, by pasting one command."""
    report = yield
    if report.failed and item.path.is_relative_to(CONTRACT_SUITE):
        config = item.config
        emulator = _emulator_server_options(config) if config.getoption("--target") == "emulator" else None
        test = rerun_id(item.nodeid, item.name)
        report.sections.append(
            ("reproduce", reproduce(test, config.stash[INVOCATION], profile_in_effect(config), emulator))
        )
    return report


def _emulator_server_options(config: pytest.Config) -> list[str]:
    """`python -m restore_contract.emulator` options for the emulator the suite's `--emulator-*` options (or their variables) made."""
    options: list[str] = []
    for option in OPTIONS.values():
        if not option.in_suite:
            continue
        value, flag = config.getoption(SUITE_PREFIX + option.name), f"--{option.name}"
        if option.flag.get("action") == "append":
            options += [part for item in value for part in (flag, str(item))]
        elif option.flag.get("action") == "store_true":
            options += [flag] if value else []
        elif value is not None and value != option.flag.get("default"):
            options += [flag, str(value)]
    return options


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Every skip in the summary, with its reason, not only under -ra: a skipped test is a check that did not
    run here (the drift comparison without an upstream document, a live run's tests that need the emulator)."""
    skipped = [report for report in terminalreporter.stats.get("skipped", []) if report.when in ("setup", "call")]
    if not skipped:
        return
    terminalreporter.section("checks not run here (skipped)", yellow=True)
    for report in skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        terminalreporter.write_line(f"{report.nodeid}: {reason.removeprefix('Skipped: ')}", yellow=True)
