"""Suite-wide pytest configuration: Hypothesis profiles, the options every test layer shares, the summary."""

from __future__ import annotations

import os

import pytest

from emulator.config import add_options
from strategies.profiles import PROFILE


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
        choices=("emulator", "live", "replay"),
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
        "--summary-json",
        metavar="PATH",
        default=os.environ.get("PRISMA_CONTRACT_SUMMARY_JSON"),
        help="write the contract run's record as JSON: target, properties checked, restore answers, and how "
        "each test ended (a contract violation names its properties) (env PRISMA_CONTRACT_SUMMARY_JSON)",
    )
    add_options(group.addoption, suite=True)  # --emulator-clock, --emulator-fault, …: see emulator/config.py


def pytest_configure(config: pytest.Config) -> None:
    uses_embedded_postgres = (
        config.getoption("--target") == "emulator"
        and config.getoption("--emulator-data") == "postgres"
        and not config.getoption("--emulator-postgres-dsn")
    )
    if uses_embedded_postgres:
        # Start the emulator's PostgreSQL while pytest collects tests; it is ready by the time it is needed.
        from emulator.dataplane.cluster import start_in_background

        start_in_background()


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"restore-contract: target={config.getoption('--target')} hypothesis-profile={PROFILE}"]


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
