"""Around each contract test: its share of the run's time budget, the driver told which test is sending, a failed
verification made the test's failure, and how the test ended written into the run's report (with the command
that reruns a failed one)."""

from __future__ import annotations

from collections.abc import Callable, Generator

import pytest

from restore_contract import workspace
from restore_contract.checks.violation import ContractViolation, violations_in
from restore_contract.compat import distinct_node_ids
from restore_contract.emulator.config import server_args
from restore_contract.plugin.scope import runs_contract_tests
from restore_contract.plugin.session import run_of
from restore_contract.plugin.start import checked_settings
from restore_contract.run.budget import StopExamples
from restore_contract.run.driver import Driver, running
from restore_contract.run.keepbusy import OWNER, RESTORING, TARGET_FREE
from restore_contract.run.report import Outcome
from restore_contract.run.repro import reproduce, rerun_id
from restore_contract.targets.transient import RetriesExhausted
from restore_contract.workspace import CONTRACT_SUITE

RETRIES_EXHAUSTED = 75  # sysexits' EX_TEMPFAIL: the environment, not the contract, stopped the run


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The decisive probes (suite/test_first_answers.py: one request per documented answer) go first, so a broken
    server fails a `-x` run within seconds whichever answer it breaks; then file order, as always. Under a time
    budget the heaviest tests go first (the successful restores above all), so their shares come out of the whole
    budget rather than out of what earlier tests left (and a short budget, spent by a loaded machine's set-up, still
    starts them), then the probes, then the rest; but a run that stops at its first failure (`-x`, `--maxfail`) has
    the probes first whatever the budget: a second or two of it, and a live run against a broken server then stops
    within seconds instead of after the heaviest tests (~15 s). Each schemathesis operation gets a node id of its
    own (compat.distinct_node_ids)."""
    distinct_node_ids(items)
    if not runs_contract_tests(config):
        return
    settings = checked_settings(config)
    if settings.budget is None:
        items.sort(key=lambda item: not decisive(item))
        return
    probes_first = stops_at_first_failures(config)
    owner = next((item for item in items if _is(item, OWNER) and _uses_driver(item)), None)
    # Restores verified in the background (a live run, not a recording), one process: the OWNER property's restores
    # keep the targets busy while the other tests run (run/keepbusy.py), and are its to report, so it goes last; the
    # restoring tests go first, while every target is theirs.
    keeps_busy = owner is not None and settings.live is not None and not settings.values.record and workers(config) == 1
    run_of(config).keep_busy_owner = owner.nodeid if keeps_busy and owner is not None else None
    if keeps_busy:
        items.sort(
            key=lambda item: (
                item is owner,
                probes_first and not decisive(item),
                not restoring(item),
                -weight(item),
                not decisive(item),
            )
        )
    else:
        items.sort(key=lambda item: (probes_first and not decisive(item), -weight(item), not decisive(item)))


def stops_at_first_failures(config: pytest.Config) -> bool:
    """`-x` or `--maxfail N`: the run is after its first failures, not a whole verdict."""
    return int(config.option.maxfail or 0) > 0  # 0: no limit; None where no command line set it (a live run's)


def decisive(item: pytest.Item) -> bool:
    return item.get_closest_marker("decisive") is not None


def _is(item: pytest.Item, test: tuple[str, str]) -> bool:
    """`item` is the (file, function) `test` of the contract suite (any of its parameters)."""
    function = getattr(item, "originalname", item.name)
    return item.path.name == test[0] and function == test[1] and item.path.is_relative_to(CONTRACT_SUITE)


def restoring(item: pytest.Item) -> bool:
    """A test that restores into the pool's targets many at a time (run/keepbusy.py gives it every target)."""
    return any(_is(item, test) for test in RESTORING)


@pytest.hookimpl(tryfirst=True)  # before the test's fixtures are set up: they may create databases and wait
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Once the run's time budget is spent, a test of the driver that has not started is skipped, saying so: a run
    ends within its budget plus the restores still in flight (run/budget.py), and a test that checked nothing
    is no pass."""
    run = run_of(item.config)
    budget = run.budget
    kept = run.keep_busy is not None and item.nodeid == run.keep_busy.owner and run.keep_busy.started > 0
    if budget is not None and budget.spent and _uses_driver(item) and not kept:  # kept: it reports restores made
        pytest.skip(budget.not_started())


def weight(item: pytest.Item) -> float:
    marker = item.get_closest_marker("budget_weight")
    return float(marker.args[0]) if marker else 1.0


def _uses_driver(item: pytest.Item) -> bool:
    """A contract test that sends through the driver. Only the suite's own: `dev.py test` runs the project's tests in
    the same session, and those may have a `driver` fixture of their own, which the budget must leave alone."""
    return "driver" in getattr(item, "fixturenames", []) and item.path.is_relative_to(CONTRACT_SUITE)


def workers(config: pytest.Config) -> int:
    """How many processes share the run's tests (pytest-xdist's workers; 1 without it)."""
    workerinput = getattr(config, "workerinput", None)
    return int(workerinput["workercount"]) if workerinput else 1


def weights_left(item: pytest.Function) -> float:
    """The weight of the tests this process still has to run, this one's included. A process runs its share of the
    collection: all of it alone, about 1/N of what is left under N xdist workers, which hand tests out in the
    collection's order, so the rest of the collection divided among them estimates this worker's own."""
    items = item.session.items
    later = items[items.index(item) :] if item in items else [item]
    total = sum(weight(other) for other in later if _uses_driver(other))
    return max(total / workers(item.config), weight(item))


@pytest.hookimpl(wrapper=True, trylast=True)  # innermost: it sees the test's own exceptions, Hypothesis's included
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Generator[None, object, object]:
    """A test of the driver gets its share of the time budget, ends early when the share is spent (it passes on
    what it checked), and ends only once every restore it started is verified: a restore that failed verification
    fails the test that sent it."""
    driver = pyfuncitem.funcargs.get("driver")
    if not isinstance(driver, Driver) or not _uses_driver(pyfuncitem):
        return (yield)
    test = pyfuncitem.nodeid
    keep_busy = driver.keep_busy
    if keep_busy is not None:  # before its share starts: it may wait for a target to be given back
        needs_targets = not any(_is(pyfuncitem, free) for free in TARGET_FREE)
        keep_busy.test_starts(test, restoring(pyfuncitem), needs_targets)
    driver.budget.begin(test, weight(pyfuncitem), weights_left(pyfuncitem), last=_last(pyfuncitem))
    try:
        with running(test):
            result = yield from _verified(driver, test, lambda: _sent_all(pyfuncitem, driver))
    finally:
        driver.budget.end()
    if keep_busy is not None and test == keep_busy.owner and keep_busy.error is not None:
        raise keep_busy.error  # what stopped the restores it was reporting (a run that stayed rate-limited)
    return result


def _last(item: pytest.Function) -> bool:
    """No test of the driver comes after `item` in this process (one process alone: a worker's tests are not known)."""
    items = item.session.items
    if workers(item.config) > 1 or item not in items:
        return False
    return not any(_uses_driver(other) for other in items[items.index(item) + 1 :])


def _sent_all(item: pytest.Function, driver: Driver) -> None:
    """The test sends nothing more (it waits for its restores): the targets they free may keep busy meanwhile."""
    keep_busy = driver.keep_busy
    if keep_busy is None:
        return
    items = item.session.items
    later = items[items.index(item) + 1 :] if item in items else []
    keep_busy.test_stopped_sending(next_restoring=bool(later) and restoring(later[0]))


def _verified(
    driver: Driver, test: str, sent_all: Callable[[], None] = lambda: None
) -> Generator[None, object, object]:
    try:
        result = yield
    except StopExamples:
        if test in driver.violated:  # never a pass, whatever stopped it
            raise driver.violated[test] from None
        result = True
    except KeyboardInterrupt:
        raise  # the run is stopping: its restores in flight are dropped (the driver's teardown), not waited for
    except BaseException as error:
        sent_all()
        found = driver.inflight.finish(test)
        if found:
            failed = "the test failed, and restores it started failed verification"
            raise BaseExceptionGroup(failed, [error, _one(found)]) from None
        raise
    sent_all()
    found = driver.inflight.finish(test)
    if found:
        raise _one(found)
    return result


def _one(found: list[ContractViolation]) -> ContractViolation:
    properties = tuple(dict.fromkeys(p for violation in found for p in violation.properties))
    note = f"{len(found)} restore(s) this test started failed verification after it moved on:\n\n"
    return ContractViolation(note + "\n\n".join(str(violation) for violation in found), properties)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed contract test says how to run it again by pasting one command; how each test ended goes into the
    run's report, from the exception itself: a ContractViolation names the broken properties, anything else (a
    harness error, a setup failure, a model's own timeout) is not a verdict on the server."""
    report = yield
    if not item.path.is_relative_to(CONTRACT_SUITE):
        return report
    if call.excinfo is not None and call.excinfo.errisinstance(RetriesExhausted):
        pytest.exit(f"restore-contract: {call.excinfo.value}", returncode=RETRIES_EXHAUSTED)
    run = run_of(item.config)
    again = ""
    if report.failed and run.invocation is not None:
        settings = checked_settings(item.config)
        emulator = server_args(settings.emulator) if settings.emulator is not None else None
        again = reproduce(rerun_id(_rerun_node(item), item.name), run.invocation, settings.profile, emulator)
        report.sections.append(("reproduce", again))
    outcome = _outcome(report, call, again)
    if outcome is not None:
        run.record.ended(f"{item.nodeid.rsplit('::', 1)[0]}::{item.name}", outcome)
    return report


def _rerun_node(item: pytest.Item) -> str:
    """The test's node id as a rerun finds it: a checkout's (dev.py runs pytest from the project), or, from an
    install, with the test file's full path (its node id is relative to a suite in site-packages)."""
    if workspace.CHECKOUT is not None:
        return item.nodeid
    return f"{item.path}::{item.nodeid.partition('::')[2]}"


def _outcome(report: pytest.TestReport, call: pytest.CallInfo[None], again: str) -> Outcome | None:
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        return Outcome("skipped", skip_reason=reason.removeprefix("Skipped: "))
    if report.passed:
        return Outcome("passed") if report.when == "call" else None
    error = call.excinfo.value if call.excinfo is not None else None
    violated = tuple(dict.fromkeys(p for v in violations_in(error) for p in v.properties)) if error else ()
    described = f"{type(error).__name__}: {str(error).strip().partition(chr(10))[0][:300]}" if error else ""
    if report.when != "call":
        return Outcome("error", error=described, reproduce=again)
    return Outcome("failed", violated=violated, error="" if violated else described, reproduce=again)
