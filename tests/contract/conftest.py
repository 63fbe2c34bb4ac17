"""Fixtures of the contract suite: the target, the resources it owns there, and the driver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from checks.driver import Driver
from checks.profiles import PROFILE
from checks.report import REPORT
from emulator import EmulatorConfig
from emulator.clock import ClockConfig
from emulator.faults import parse_faults
from emulator.ids import IdStyle
from targets import Target, TargetConfigurationError, emulator_target, live_target
from targets.pool import Pool, emulator_pool, live_pool


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
    built.close()
    pytestconfig.stash[SENT] = built.requests_sent
    pytestconfig.stash[REFUSED] = list(built.allowlist.refused) if built.allowlist is not None else []


@pytest.fixture(scope="session")
def pool(target: Target, pytestconfig: pytest.Config) -> Pool:
    """Databases and backups the run owns; scratch databases are deleted at the end, failures reported."""

    def clean_up() -> None:
        pytestconfig.stash[LEFTOVERS] = target.delete_scratch()

    target.on_close.append(clean_up)
    try:
        if target.control is not None:
            return emulator_pool(target, target.control)
        return live_pool(target)
    except TargetConfigurationError as error:
        pytest.exit(f"restore-contract: {error}", returncode=2)


@pytest.fixture(scope="session")
def driver(target: Target, pool: Pool) -> Driver:
    return Driver(target, pool)


SENT = pytest.StashKey[int]()
LEFTOVERS = pytest.StashKey[list[str]]()
REFUSED = pytest.StashKey[list[str]]()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    sent = config.stash.get(SENT, None)
    if sent is None:
        return
    terminalreporter.section("restore contract summary")
    terminalreporter.write_line(f"target: {config.getoption('--target')}; requests sent: {sent}")
    terminalreporter.write_line(f"hypothesis profile: {PROFILE} (seed: see Hypothesis output of any failure)")
    terminalreporter.write_line("properties checked:")
    for line in REPORT.render():
        terminalreporter.write_line(line)
    for refused in config.stash.get(REFUSED, []):
        terminalreporter.write_line(f"SAFETY GUARD refused (never sent): {refused}", red=True)
    leftovers = config.stash.get(LEFTOVERS, [])
    for leftover in leftovers:
        terminalreporter.write_line(f"scratch database NOT deleted, remove it by hand: {leftover}", red=True)
