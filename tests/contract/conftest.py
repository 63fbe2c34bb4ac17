"""Fixtures of the contract suite: the target, the resources it owns there, and the driver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from checks.driver import Driver
from checks.report import REPORT
from emulator import EmulatorConfig
from emulator.clock import ClockConfig
from emulator.faults import parse_faults
from emulator.ids import IdStyle
from targets import Target, TargetConfigurationError, emulator_target, live_target
from targets.pool import Pool, emulator_pool


def _emulator_config(config: pytest.Config) -> EmulatorConfig:
    try:
        return EmulatorConfig(
            clock=ClockConfig.parse(config.getoption("--emulator-clock")),
            faults=parse_faults(config.getoption("--emulator-fault")),
            id_style=IdStyle(config.getoption("--emulator-id-style")),
            alias_unprefixed=not config.getoption("--emulator-no-alias"),
            backups_newest_first=not config.getoption("--emulator-backups-oldest-first"),
        )
    except ValueError as error:
        raise TargetConfigurationError(str(error)) from None


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Iterator[Target]:
    name = pytestconfig.getoption("--target")
    try:
        if name == "emulator":
            built = emulator_target(_emulator_config(pytestconfig))
        elif name == "live":
            built = live_target()
        else:
            raise TargetConfigurationError("--target replay needs recorded cassettes in cassettes/ (not yet recorded)")
    except TargetConfigurationError as error:
        pytest.exit(f"restore-contract: {error}", returncode=2)
    yield built
    pytestconfig.stash[SENT] = built.requests_sent
    built.close()


@pytest.fixture(scope="session")
def pool(target: Target) -> Pool:
    if target.control is None:
        pytest.skip("this target has no control plane to build databases in every state (live pool: issue 5)")
    return emulator_pool(target, target.control)


@pytest.fixture(scope="session")
def driver(target: Target, pool: Pool) -> Driver:
    return Driver(target, pool)


SENT = pytest.StashKey[int]()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    sent = config.stash.get(SENT, None)
    if sent is None:
        return
    terminalreporter.section("restore contract summary")
    terminalreporter.write_line(f"target: {config.getoption('--target')}; requests sent: {sent}")
    terminalreporter.write_line("properties checked:")
    for line in REPORT.render():
        terminalreporter.write_line(line)
