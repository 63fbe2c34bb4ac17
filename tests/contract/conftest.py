"""Fixtures of the contract suite: the target, the resources it owns there, and the driver."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Generator, Iterator, Mapping
from pathlib import Path

import pytest
from hypothesis import settings

from checks.coverage import NEEDS, capabilities, coverage
from checks.coverage import render as render_coverage
from checks.driver import Driver
from checks.report import Outcome, RunReport
from checks.violation import violations_in
from emulator.config import EmulatorConfig, config_from
from emulator.dataplane.cluster import ClusterError
from strategies.profiles import profile_in_effect
from targets import Target, TargetConfigurationError, emulator_target, live_target
from targets.cassettes import Cassette, recording, replay_target
from targets.live import LiveSettings
from targets.pool import Pool, fill_emulator_pool, fill_live_pool
from targets.transient import RetriesExhausted


def _emulator_config(config: pytest.Config) -> EmulatorConfig:
    try:
        return config_from(config.getoption, suite=True)
    except ValueError as error:
        raise TargetConfigurationError(str(error)) from None


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Iterator[Target]:
    """The target its builder made; configuration errors end the run at once with one line."""
    try:
        built, settings = _build_target(pytestconfig)
    except TargetConfigurationError as error:
        pytest.exit(f"restore-contract: {error}", returncode=2)
    pytestconfig.stash[SETTINGS] = settings
    try:
        yield built
    finally:
        built.close()
        pytestconfig.stash[DESCRIBED] = {"name": built.name, **built.described}
        pytestconfig.stash[SENT] = built.traffic.sent
        pytestconfig.stash[RETRIED] = (built.traffic.retries, built.traffic.waited)
        pytestconfig.stash[REFUSED] = list(built.guard.refused) if built.guard is not None else []


def _build_target(config: pytest.Config) -> tuple[Target, LiveSettings | None]:
    name, record = config.getoption("--target"), config.getoption("--record")
    if record and name != "live":
        raise TargetConfigurationError("--record records a --target live run (the emulator as a server counts)")
    if name == "emulator":
        try:
            return emulator_target(_emulator_config(config)), None
        except ClusterError as error:
            raise TargetConfigurationError(str(error)) from None
    if name == "replay":
        return replay_target(Cassette.named(config.getoption("--cassette")), profile_in_effect(config))
    settings = LiveSettings.from_env()
    if not record:
        return live_target(settings), settings
    # A cassette holds HTTP only and a replay cannot log in anywhere; the recording does not log in either,
    # so both take the same paths and send the same requests.
    settings = dataclasses.replace(settings, run_id="recorded", data_probe=False)
    recorder = recording(Cassette.named(record), settings.public(), profile_in_effect(config))
    return live_target(settings, recorder=recorder), settings


@pytest.fixture(scope="session")
def pool(target: Target, pytestconfig: pytest.Config) -> Iterator[Pool]:
    """Databases and backups the run owns; its scratch databases are deleted at the end, failures reported."""
    settings = pytestconfig.stash[SETTINGS]
    owned = Pool(target, run_id=settings.run_id[:8] if settings else "")
    try:
        if target.control is not None:
            fill_emulator_pool(owned, target.control)
        else:
            assert settings is not None, "a target without a control plane is built from live settings"
            fill_live_pool(owned, settings)
        pytestconfig.stash[STALE] = owned.stale
        pytestconfig.stash[HAS] = capabilities(owned)
        _refuse_a_run_that_cannot_restore(pytestconfig, target, pytestconfig.stash[HAS])
    except TargetConfigurationError as error:
        pytestconfig.stash[LEFTOVERS] = owned.delete_scratch()
        pytest.exit(f"restore-contract: {error}", returncode=2)
    try:
        yield owned
    finally:
        pytestconfig.stash[LEFTOVERS] = owned.delete_scratch()


def _refuse_a_run_that_cannot_restore(config: pytest.Config, target: Target, has: Mapping[str, bool]) -> None:
    """A live run that could not exercise a successful restore would look green having checked nothing of what
    matters: it stops, naming what is missing, unless a partial run was asked for."""
    missing = [NEEDS[need] for need in ("target", "backup") if not has[need]]
    if target.name == "live" and missing and not config.getoption("--partial"):
        raise TargetConfigurationError(
            f"this live run could not check a single restore; missing {'; and '.join(missing)} "
            "(or ask for a partial run: --partial, PRISMA_CONTRACT_PARTIAL=1)"
        )


@pytest.fixture(scope="session")
def driver(target: Target, pool: Pool, pytestconfig: pytest.Config) -> Driver:
    return Driver(target, pool, report_of(pytestconfig))


SENT = pytest.StashKey[int]()
SETTINGS = pytest.StashKey[LiveSettings | None]()
LEFTOVERS = pytest.StashKey[list[str]]()
REFUSED = pytest.StashKey[list[str]]()
DESCRIBED = pytest.StashKey[dict[str, str]]()
REPORT = pytest.StashKey[RunReport]()
STALE = pytest.StashKey[list[str]]()
RETRIED = pytest.StashKey[tuple[int, float]]()
RETRIES_EXHAUSTED = 75  # sysexits' EX_TEMPFAIL: the environment, not the contract, stopped the run
HAS = pytest.StashKey[Mapping[str, bool]]()


def report_of(config: pytest.Config) -> RunReport:
    """The session's run report (one per pytest session: forked meta-test sessions do not share one)."""
    if REPORT not in config.stash:
        config.stash[REPORT] = RunReport()
    return config.stash[REPORT]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Record how each test ended, from the exception itself: a ContractViolation names the broken properties;
    anything else (a harness error, a setup failure, a model's own timeout) is not a verdict on the server."""
    report = yield
    if call.excinfo is not None and call.excinfo.errisinstance(RetriesExhausted):
        pytest.exit(f"restore-contract: {call.excinfo.value}", returncode=RETRIES_EXHAUSTED)
    outcome = _outcome(report, call)
    # schemathesis gives one node id to every operation of a test; its item name tells them apart
    if outcome is not None:
        report_of(item.config).ended(f"{item.nodeid.rsplit('::', 1)[0]}::{item.name}", outcome)
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
        "profile": profile_in_effect(config),
        "seed": seed,
        "requests": config.stash.get(SENT, 0),
        "retries": config.stash.get(RETRIED, (0, 0.0))[0],
        "waited_for_retries_s": round(config.stash.get(RETRIED, (0, 0.0))[1], 3),
        "leftovers": config.stash.get(LEFTOVERS, []),
        "guard_refusals": config.stash.get(REFUSED, []),
        "stale_scratch_deleted": config.stash.get(STALE, []),
        "partial": bool(config.getoption("--partial")),
        "coverage": coverage(report_of(config).causes, config.stash.get(HAS, {})),
        **report_of(config).as_dict(),
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    sent = config.stash.get(SENT, None)
    if sent is None:
        return
    terminalreporter.section("restore contract summary")
    retries, waited = config.stash.get(RETRIED, (0, 0.0))
    terminalreporter.write_line(
        f"target: {config.getoption('--target')}; requests sent: {sent}; transient answers retried: {retries} "
        f"({waited:.1f} s waited)"
    )
    seed = config.getoption("hypothesis_seed", None)
    how = f"seed {seed}" if seed is not None else "derandomized" if settings().derandomize else "random seed"
    profile = profile_in_effect(config)
    terminalreporter.write_line(f"hypothesis profile: {profile} ({how}; a failure prints its seed or blob)")
    if config.getoption("--partial"):
        terminalreporter.write_line("PARTIAL run (--partial): what it could not reach is listed below", yellow=True)
    for line in render_coverage(coverage(report_of(config).causes, config.stash.get(HAS, {}))):
        terminalreporter.write_line(line, yellow="NOT CHECKED" in line)
    for stale in config.stash.get(STALE, []):
        terminalreporter.write_line(f"scratch database an earlier run left, deleted: {stale}")
    terminalreporter.write_line("properties checked:")
    for line in report_of(config).render():
        terminalreporter.write_line(line)
    for refused in config.stash.get(REFUSED, []):
        terminalreporter.write_line(f"SAFETY GUARD refused (never sent): {refused}", red=True)
    leftovers = config.stash.get(LEFTOVERS, [])
    for leftover in leftovers:
        terminalreporter.write_line(f"scratch database NOT deleted, remove it by hand: {leftover}", red=True)
