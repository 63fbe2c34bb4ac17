"""Fixtures of the contract suite: the target, the resources it owns there, and the driver."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from restore_contract.checks.budget import Budget, StopExamples
from restore_contract.checks.configuration import RunSettings, run_settings
from restore_contract.checks.coverage import capabilities, coverage
from restore_contract.checks.driver import Driver, current_test
from restore_contract.checks.inflight import InFlight
from restore_contract.checks.progress import Progress, clock
from restore_contract.checks.record import Record, merge, render
from restore_contract.checks.report import Outcome, RunReport
from restore_contract.checks.violation import ContractViolation, violations_in
from restore_contract.compat import tear_down_session_fixtures, terminal_fd, xml_key
from restore_contract.emulator.dataplane.cluster import ClusterError
from restore_contract.reporting.write import junit_properties, write_json, write_reports
from restore_contract.strategies.profiles import profile_in_effect
from restore_contract.targets import Target, TargetConfigurationError, emulator_target, live_target
from restore_contract.targets.cassettes import Cassette, recording, replay_target
from restore_contract.targets.guard import UnsafeRequestRefused
from restore_contract.targets.live import LiveSettings
from restore_contract.targets.pool import Pool, fill_emulator_pool, fill_live_pool
from restore_contract.targets.transient import RetriesExhausted


def _settings(config: pytest.Config) -> RunSettings:
    """The run's settings, checked before the session started (restore_contract/checks/configuration.py); an xdist worker checks its
    own copy here, and a mistake found only now still ends the run with one line."""
    try:
        return run_settings(config, profile_in_effect(config))
    except TargetConfigurationError as error:
        pytest.exit(f"restore-contract: {error}", returncode=2)


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Iterator[Target]:
    """The target its builder made; configuration errors end the run at once with one line."""
    try:
        built, live = _build_target(pytestconfig, _settings(pytestconfig))
    except TargetConfigurationError as error:
        pytest.exit(f"restore-contract: {error}", returncode=2)
    pytestconfig.stash[SETTINGS] = live
    try:
        yield built
    finally:
        built.close()
        pytestconfig.stash[DESCRIBED] = {"name": built.name, **built.described}
        pytestconfig.stash[SENT] = built.traffic.sent
        pytestconfig.stash[RETRIED] = (built.traffic.retries, built.traffic.waited)
        pytestconfig.stash[REFUSED] = list(built.guard.refused) if built.guard is not None else []


def _build_target(config: pytest.Config, settings: RunSettings) -> tuple[Target, LiveSettings | None]:
    record = config.getoption("--record")
    if settings.emulator is not None:
        try:
            return emulator_target(settings.emulator), None
        except ClusterError as error:
            raise TargetConfigurationError(str(error)) from None
    if settings.live is None:
        return replay_target(Cassette.named(config.getoption("--cassette")), profile_in_effect(config))
    # Checked against the server before the session started (restore_contract/checks/configuration.py): no second preflight.
    if not record:
        return live_target(settings.live, preflight=False), settings.live
    recorder = recording(Cassette.named(record), settings.live.public(), profile_in_effect(config))
    return live_target(settings.live, preflight=False, recorder=recorder), settings.live


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
    except BaseException as error:  # an interrupt included: whatever the run created so far goes
        pytestconfig.stash[LEFTOVERS] = owned.delete_scratch(sweep=True)
        why = str(error).strip().partition("\n")[0][:300] or type(error).__name__
        pytestconfig.stash[SETUP_FAILED] = why
        report_of(pytestconfig).failed("setting up the run's databases", why)
        if isinstance(error, (TargetConfigurationError, UnsafeRequestRefused)):
            pytest.exit(f"restore-contract: {error}", returncode=2)
        if isinstance(error, Exception):  # one line, not the same error once per test
            pytest.exit(f"restore-contract: setting up the run's databases failed: {str(error).strip()}", returncode=1)
        raise
    pytestconfig.stash[STALE] = (owned.stale, owned.stale_kept)
    pytestconfig.stash[HAS] = capabilities(owned)
    try:
        yield owned
    finally:
        pytestconfig.stash[LEFTOVERS] = owned.delete_scratch(sweep=_interrupted[0])


@pytest.fixture(scope="session")
def driver(target: Target, pool: Pool, pytestconfig: pytest.Config) -> Iterator[Driver]:
    """The driver, with the run's time budget and the restores it verifies in the background (one per restore
    target at a time, on a live target); everything still in flight is verified before the pool cleans up."""
    settings = _settings(pytestconfig)
    inflight = InFlight(workers=len(pool.ready) if target.concurrent else 1)
    budget = pytestconfig.stash[BUDGET] = Budget(settings.budget)
    made = Driver(target, pool, report_of(pytestconfig), inflight, budget)
    pytestconfig.stash[INFLIGHT] = inflight
    try:
        with Progress(settings.progress, lambda: _progress(made), _terminal_line(pytestconfig)):
            yield made
    finally:
        # Interrupted: what is in flight is dropped, so the pool deletes its databases at once (a verification
        # still polling then ends on the deleted database, unreported).
        for left in inflight.close(abandon=_interrupted[0]):  # only a test that never ended leaves any
            report_of(pytestconfig).failed("in flight at the end of the run", str(left).partition("\n")[0])


def _terminal_line(config: pytest.Config) -> Callable[[str], None]:
    """Where progress goes: the terminal (and so the CI log), past pytest's output capture, which holds everything
    written during a test, the terminal reporter's lines included. pytest keeps the terminal's file descriptor while
    it captures (compat.terminal_fd); without capture (-s) the terminal reporter writes straight
    through; an xdist worker has neither, its controller reports."""
    saved = terminal_fd(config)
    if saved is not None:
        stream = os.fdopen(os.dup(saved), "w", encoding="utf-8", errors="replace")

        def write(line: str) -> None:
            stream.write(f"\n{line}\n")  # on a line of its own, whatever pytest's dots were doing
            stream.flush()

        return write
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    if terminal is None:
        return lambda line: None
    return lambda line: terminal.write_line(line, flush=True)


def _progress(driver: Driver) -> str | None:
    """The line, while a contract test runs (the session's driver outlives them when other tests follow)."""
    if not current_test().startswith(CONTRACT_TESTS):
        return None
    report, budget, traffic = driver.report, driver.budget, driver.target.traffic
    verified = report.causes["started: verified end to end"] + report.causes["started: no data probe"]
    left = budget.left
    return (
        f"{current_test().rsplit('/', 1)[-1]} | restores started {report.statuses[200]}, in flight "
        f"{driver.inflight.now}, verified {verified}, failed {driver.inflight.counts.failed} | requests "
        f"{traffic.sent}, retries {traffic.retries} ({traffic.waited:.0f} s waited) | "
        + (f"budget left {clock(max(left, 0))}" if left is not None else "no time budget")
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under a time budget the heaviest tests go first (the successful restores above all), so their shares come
    out of the whole budget rather than out of what earlier tests left; otherwise file order, as always."""
    try:
        budgeted = run_settings(config, profile_in_effect(config)).budget is not None
    except TargetConfigurationError:
        return  # reported once, by the target fixture
    if budgeted:
        items.sort(key=lambda item: -_weight(item))


def _fixtures(item: pytest.Item) -> list[str]:
    return list(getattr(item, "fixturenames", []))


def _weight(item: pytest.Item) -> float:
    marker = item.get_closest_marker("budget_weight")
    return float(marker.args[0]) if marker else 1.0


@pytest.hookimpl(wrapper=True, trylast=True)  # innermost: it sees the test's own exceptions, Hypothesis's included
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Generator[None, object, object]:
    """A test of the driver gets its share of the time budget, ends early when the share is spent (it passes on
    what it checked), and ends only once every restore it started is verified: a restore that failed verification
    fails the test that sent it."""
    driver = pyfuncitem.funcargs.get("driver")
    if not isinstance(driver, Driver):
        return (yield)
    budget = driver.budget
    items = pyfuncitem.session.items
    later = items[items.index(pyfuncitem) :] if pyfuncitem in items else [pyfuncitem]
    budget.begin(_weight(pyfuncitem), sum(_weight(item) for item in later if "driver" in _fixtures(item)))
    test = pyfuncitem.nodeid
    try:
        result = yield
    except StopExamples:
        if test in driver.violated:  # never a pass, whatever stopped it
            raise driver.violated[test] from None
        result = True
    except BaseException as error:
        found = driver.inflight.finish(test)
        if found:
            failed = "the test failed, and restores it started failed verification"
            raise BaseExceptionGroup(failed, [error, _one(found)]) from None
        raise
    found = driver.inflight.finish(test)
    if found:
        raise _one(found)
    return result


def _one(found: list[ContractViolation]) -> ContractViolation:
    properties = tuple(dict.fromkeys(p for violation in found for p in violation.properties))
    note = f"{len(found)} restore(s) this test started failed verification after it moved on:\n\n"
    return ContractViolation(note + "\n\n".join(str(violation) for violation in found), properties)


SENT = pytest.StashKey[int]()
SETTINGS = pytest.StashKey[LiveSettings | None]()
LEFTOVERS = pytest.StashKey[list[str]]()
REFUSED = pytest.StashKey[list[str]]()
DESCRIBED = pytest.StashKey[dict[str, str]]()
REPORT = pytest.StashKey[RunReport]()
STALE = pytest.StashKey[tuple[list[str], list[str]]]()  # earlier runs' scratch databases: deleted, kept
RETRIED = pytest.StashKey[tuple[int, float]]()
RETRIES_EXHAUSTED = 75  # sysexits' EX_TEMPFAIL: the environment, not the contract, stopped the run
HAS = pytest.StashKey[Mapping[str, bool]]()
SETUP_FAILED = pytest.StashKey[str]()  # why the pool could not be filled: every row of the coverage table says it
BUDGET = pytest.StashKey[Budget]()
CONTRACT_TESTS = "tests/contract/"
INFLIGHT = pytest.StashKey[InFlight]()
RECORD = pytest.StashKey[Record]()
WORKER_RECORDS = pytest.StashKey[list[Record]]()
WORKER_RECORD = "restore_contract_record"  # the key a worker's record travels under (xdist's workeroutput)


def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo[BaseException]) -> None:
    """Called before the session's fixtures are torn down (pytest_sessionfinish): the driver then drops what is in
    flight instead of waiting for it, and the pool deletes the run's databases while the user still waits."""
    _interrupted[0] = True


_interrupted = [False]  # the hook gets no config; one pytest session per process runs the contract suite


def pytest_sessionstart(session: pytest.Session) -> None:
    report_of(session.config)  # made now: its clock (the first failure's time) starts with the session


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
    again = dict(report.sections).get("reproduce", "")  # the root conftest's, a hook closer to the test
    if report.when != "call":
        return Outcome("error", error=described, reproduce=again)
    return Outcome("failed", violated=violated, error="" if violated else described, reproduce=again)


@pytest.hookimpl(tryfirst=True)  # before the JUnit plugin writes its file, so the record's figures are in it
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The run's record: built by every session that ran the suite; under pytest-xdist each worker sends its own to
    the controller, which merges them. Written to --summary-json by whoever prints the summary."""
    config = session.config
    # A run stopped by pytest.exit or an interrupt tears its session fixtures down only after this hook: done here
    # first, the pool has deleted its databases and the target has counted its requests before the record is written.
    tear_down_session_fixtures(session)
    if _is_xdist_worker(config):
        if SENT in config.stash:
            config.workeroutput[WORKER_RECORD] = json.dumps(_record(config, exitstatus))  # type: ignore[attr-defined]
        return
    parts = config.stash.get(WORKER_RECORDS, [])
    if parts:
        record = merge(parts)
        record["exit_status"] = int(exitstatus)
    elif SENT in config.stash:
        record = _record(config, exitstatus)
    else:
        return
    config.stash[RECORD] = record
    write_reports(Path(config.getoption("--reports")), record)
    path = config.getoption("--summary-json")
    if path:
        write_json(Path(path), record)
    junit = config.stash.get(xml_key, None)  # pytest's own JUnit report, written after this hook
    if junit is not None:
        for name, value in junit_properties(record).items():
            junit.add_global_property(name, value)


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: the controller, when a worker has finished
def pytest_testnodedown(node: Any, error: object) -> None:
    shipped = getattr(node, "workeroutput", {}).get(WORKER_RECORD)
    if shipped:
        config: pytest.Config = node.config
        config.stash.setdefault(WORKER_RECORDS, []).append(json.loads(shipped))


def _record(config: pytest.Config, exitstatus: int) -> Record:
    retried = config.stash.get(RETRIED, (0, 0.0))
    seed = config.getoption("hypothesis_seed", None)
    report = report_of(config)
    met: Mapping[str, bool] = config.stash.get(HAS, {})
    has = dict(met)
    return {
        "exit_status": int(exitstatus),
        "target": config.stash.get(DESCRIBED, {"name": config.getoption("--target")}),
        "profile": profile_in_effect(config),
        "seed": seed,
        "generation": "derandomized" if settings().derandomize else "random seed",
        "requests": config.stash.get(SENT, 0),
        "retries": retried[0],
        "waited_for_retries_s": round(retried[1], 3),
        "leftovers": config.stash.get(LEFTOVERS, []),
        "guard_refusals": config.stash.get(REFUSED, []),
        "stale_scratch_deleted": config.stash.get(STALE, ([], []))[0],
        "stale_scratch_kept": config.stash.get(STALE, ([], []))[1],
        "partial": bool(config.getoption("--partial")),
        "capabilities": has,
        "causes": dict(report.causes),
        "coverage": coverage(report.causes, has, stopped=config.stash.get(SETUP_FAILED, None)),
        "restores_started": report.statuses[200],
        **_timing(config),
        **report.as_dict(),
    }


def _timing(config: pytest.Config) -> dict[str, object]:
    """How the run used its time: the budget, tests it cut short, and the restores verified in the background."""
    budget, inflight = config.stash.get(BUDGET, None), config.stash.get(INFLIGHT, None)
    if budget is None or inflight is None:
        return {}
    return {
        "elapsed_s": round(time.monotonic() - budget.started, 1),
        "budget_s": budget.seconds,
        "cut_short_by_budget": sorted(set(budget.cut_short)),
        "verified_in_background": inflight.counts.started,
        "in_flight_average": round(inflight.average, 2),
        "in_flight_most": inflight.counts.most,
        "slowest_verification_s": round(budget.slowest_verification, 1),
        "first_failure_after_s": report_of(config).first_failure_after,
    }


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    record = config.stash.get(RECORD, None)
    if record is None:
        return
    terminalreporter.section("restore contract summary")
    for line, colour in render(record):
        terminalreporter.write_line(line, **({colour: True} if colour else {}))
