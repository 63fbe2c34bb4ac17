"""Fixtures of the contract suite: the target, the resources it owns there, and the driver."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator

import pytest
from hypothesis import settings

from checks.driver import Driver
from checks.profiles import PROFILE
from checks.report import REPORT
from emulator import EmulatorConfig
from emulator.clock import ClockConfig
from emulator.dataplane.cluster import ClusterError
from emulator.faults import parse_faults
from emulator.ids import IdStyle
from targets import Target, TargetConfigurationError, emulator_target, live_target
from targets.cassettes import Cassette, ReplayTransport, recording, replaying
from targets.live import LiveSettings
from targets.pool import Pool, emulator_pool, live_pool


def _emulator_config(config: pytest.Config) -> EmulatorConfig:
    try:
        return EmulatorConfig(
            clock=ClockConfig.parse(config.getoption("--emulator-clock")),
            faults=parse_faults(config.getoption("--emulator-fault")),
            id_style=IdStyle(config.getoption("--emulator-id-style")),
            alias_unprefixed=not config.getoption("--emulator-no-alias"),
            backups_newest_first=not config.getoption("--emulator-backups-oldest-first"),
            data_plane=config.getoption("--emulator-data"),
            postgres_dsn=config.getoption("--emulator-postgres-dsn"),
        )
    except ValueError as error:
        raise TargetConfigurationError(str(error)) from None


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Iterator[Target]:
    """The target, inside a cassette when recording or replaying; configuration errors end the run at once."""
    with contextlib.ExitStack() as stack:
        try:
            built = _build_target(pytestconfig, stack)
        except TargetConfigurationError as error:
            pytest.exit(f"restore-contract: {error}", returncode=2)
        stack.callback(_finish, built, pytestconfig)
        yield built


def _build_target(config: pytest.Config, stack: contextlib.ExitStack) -> Target:
    name, record = config.getoption("--target"), config.getoption("--record")
    if record and name != "live":
        raise TargetConfigurationError("--record records a --target live run (the emulator as a server counts)")
    if name == "emulator":
        try:
            return emulator_target(_emulator_config(config))
        except ClusterError as error:
            raise TargetConfigurationError(str(error)) from None
    if name == "replay":
        cassette = Cassette.named(config.getoption("--cassette"))
        metadata = cassette.metadata()
        if metadata["profile"] != PROFILE:
            raise TargetConfigurationError(
                f"cassette {cassette.name!r} was recorded with PRISMA_CONTRACT_PROFILE={metadata['profile']}; "
                f"replay it with the same profile (now {PROFILE}) so the same requests are generated"
            )
        settings = LiveSettings(**metadata["settings"], token="replay-has-no-token")
        stack.enter_context(replaying(cassette))
        config.stash[SETTINGS] = settings
        built = live_target(settings, name="replay")
        built.transport = ReplayTransport(built.transport, cassette)
        built.data = None  # a cassette holds HTTP only: nothing to log in to, so data checks are off
        return built
    settings = LiveSettings.from_env()
    if record:
        # A cassette holds HTTP only and a replay cannot log in anywhere; the recording does not log in either,
        # so both take the same paths and send the same requests.
        settings = dataclasses.replace(settings, run_id="recorded", data_probe=False)
        stack.enter_context(recording(Cassette.named(record), settings.public(), PROFILE))
    config.stash[SETTINGS] = settings
    return live_target(settings)


def _finish(built: Target, config: pytest.Config) -> None:
    built.close()
    config.stash[SENT] = built.requests_sent
    config.stash[REFUSED] = list(built.allowlist.refused) if built.allowlist is not None else []


@pytest.fixture(scope="session")
def pool(target: Target, pytestconfig: pytest.Config) -> Pool:
    """Databases and backups the run owns; scratch databases are deleted at the end, failures reported."""

    def clean_up() -> None:
        pytestconfig.stash[LEFTOVERS] = target.delete_scratch()

    target.on_close.append(clean_up)
    try:
        if target.control is not None:
            return emulator_pool(target, target.control)
        return live_pool(target, pytestconfig.stash[SETTINGS])
    except TargetConfigurationError as error:
        pytest.exit(f"restore-contract: {error}", returncode=2)


@pytest.fixture(scope="session")
def driver(target: Target, pool: Pool) -> Driver:
    return Driver(target, pool)


SENT = pytest.StashKey[int]()
SETTINGS = pytest.StashKey[LiveSettings]()
LEFTOVERS = pytest.StashKey[list[str]]()
REFUSED = pytest.StashKey[list[str]]()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    sent = config.stash.get(SENT, None)
    if sent is None:
        return
    terminalreporter.section("restore contract summary")
    terminalreporter.write_line(f"target: {config.getoption('--target')}; requests sent: {sent}")
    seed = config.getoption("hypothesis_seed", None)
    how = f"seed {seed}" if seed is not None else "derandomized" if settings().derandomize else "random seed"
    terminalreporter.write_line(f"hypothesis profile: {PROFILE} ({how}; a failure prints its seed or blob)")
    terminalreporter.write_line("properties checked:")
    for line in REPORT.render():
        terminalreporter.write_line(line)
    for refused in config.stash.get(REFUSED, []):
        terminalreporter.write_line(f"SAFETY GUARD refused (never sent): {refused}", red=True)
    leftovers = config.stash.get(LEFTOVERS, [])
    for leftover in leftovers:
        terminalreporter.write_line(f"scratch database NOT deleted, remove it by hand: {leftover}", red=True)
