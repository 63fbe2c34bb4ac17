"""Fixtures of the contract suite: the target, the resources it owns there, and the driver."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from checks.driver import Driver
from checks.report import REPORT, Outcome
from checks.violation import violations_in
from emulator import EmulatorConfig
from emulator.clock import ClockConfig
from emulator.dataplane.cluster import ClusterError
from emulator.faults import parse_faults
from emulator.ids import IdStyle
from strategies.profiles import PROFILE
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
    config.stash[DESCRIBED] = {"name": config.getoption("--target"), **built.described}
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
DESCRIBED = pytest.StashKey[dict[str, str]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Record how each test ended, from the exception itself: a ContractViolation names the broken properties;
    anything else (a harness error, a setup failure, a model's own timeout) is not a verdict on the server."""
    report = yield
    outcome = _outcome(report, call)
    # schemathesis gives one node id to every operation of a test; its item name tells them apart
    test = f"{item.nodeid.rsplit('::', 1)[0]}::{item.name}"
    if outcome is not None and (test not in REPORT.tests or outcome.outcome != "passed"):
        REPORT.tests[test] = outcome
    return report


def _outcome(report: pytest.TestReport, call: pytest.CallInfo[None]) -> Outcome | None:
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        return Outcome("skipped", skip_reason=reason.removeprefix("Skipped: "))
    if report.passed:
        return Outcome("passed") if report.when == "call" else None
    error = call.excinfo.value if call.excinfo is not None else None
    violated = tuple(dict.fromkeys(p for v in violations_in(error) for p in v.properties)) if error else ()
    described = f"{type(error).__name__}: {str(error).strip().partition(chr(10))[0][:300]}" if error else ""
    if report.when != "call":
        return Outcome("error", error=described)
    return Outcome("failed", violated=violated, error="" if violated else described)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = session.config.getoption("--summary-json")
    if not path:
        return
    config = session.config
    seed = config.getoption("hypothesis_seed", None)
    record = {
        "exit_status": int(exitstatus),
        "target": config.stash.get(DESCRIBED, {"name": config.getoption("--target")}),
        "profile": PROFILE,
        "seed": seed,
        "requests": config.stash.get(SENT, 0),
        "leftovers": config.stash.get(LEFTOVERS, []),
        "guard_refusals": config.stash.get(REFUSED, []),
        **REPORT.as_dict(),
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")


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
