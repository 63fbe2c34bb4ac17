"""Around each contract test (restore_contract/plugin/tests.py), in process: how a test ended is what the run record
says (a contract violation names its properties, anything else is no verdict on the server, a skip says why); a
test of the driver ends only once the restores it started are verified, and never passes when one failed; a run still
rate-limited after its retries ends with exit code 75 (README); once the budget is spent no test of the driver starts.

The same promises are kept by whole runs in tests/meta (test_reports, test_rate_limited, test_budget_verdicts), which
the mutation benchmark's coverage map cannot see into; these drive the hooks with pytest's own report objects.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from restore_contract import workspace
from restore_contract.checks.violation import ContractViolation
from restore_contract.plugin import tests as hooks
from restore_contract.plugin.session import run_of
from restore_contract.run.budget import Budget, StopExamples
from restore_contract.run.configuration import RunSettings
from restore_contract.run.driver import NO_TEST, running
from restore_contract.run.inflight import InFlight
from restore_contract.run.report import Outcome
from restore_contract.run.repro import Invocation, reproduce
from restore_contract.settings import Settings
from restore_contract.targets.transient import RetriesExhausted
from restore_contract.workspace import CONTRACT_SUITE
from tests.unit.emulated import emulated_driver

NODE = "restore_contract/suite/test_properties.py::test_busy_target_is_409"


def _call(when: str, raised: BaseException | None = None) -> pytest.CallInfo[None]:
    def run() -> None:
        if raised is not None:
            raise raised

    return pytest.CallInfo.from_call(run, cast(Any, when), reraise=(KeyboardInterrupt,))


def _report(call: pytest.CallInfo[None], outcome: str, longrepr: Any = None) -> pytest.TestReport:
    return pytest.TestReport(NODE, (NODE, 0, "x"), {}, cast(Any, outcome), longrepr, cast(Any, call.when))


def _item(path: Path = CONTRACT_SUITE / "test_properties.py", **extra: Any) -> Any:
    config = SimpleNamespace(stash=pytest.Stash())
    return SimpleNamespace(path=path, config=config, nodeid=NODE, name="test_busy_target_is_409", **extra)


def _made_report(item: Any, call: pytest.CallInfo[None], report: pytest.TestReport) -> pytest.TestReport:
    """What the plugin's wrapper of pytest_runtest_makereport makes of pytest's own report."""
    wrapper = hooks.pytest_runtest_makereport(item, call)
    next(wrapper)
    with pytest.raises(StopIteration) as done:
        wrapper.send(report)
    return cast(pytest.TestReport, done.value.value)


def test_a_contract_violation_is_recorded_as_failed_naming_its_properties() -> None:
    item = _item()
    both = ExceptionGroup("two", [ContractViolation("a", ("p1", "p2")), ContractViolation("b", ("p2", "p3"))])
    call = _call("call", both)
    _made_report(item, call, _report(call, "failed"))
    assert run_of(item.config).record.tests == {NODE: Outcome("failed", violated=("p1", "p2", "p3"))}


def test_any_other_failure_is_recorded_with_its_first_line_and_no_property() -> None:
    item = _item()
    call = _call("call", ValueError("the model gave up\nmore lines"))
    _made_report(item, call, _report(call, "failed"))
    assert run_of(item.config).record.tests[NODE] == Outcome("failed", error="ValueError: the model gave up")


def test_a_failed_setup_is_an_error_and_a_later_pass_does_not_hide_it() -> None:
    item = _item()
    setup = _call("setup", RuntimeError("no pool"))
    _made_report(item, setup, _report(setup, "failed"))
    passed = _call("call")
    _made_report(item, passed, _report(passed, "passed"))
    assert run_of(item.config).record.tests[NODE] == Outcome("error", error="RuntimeError: no pool")


def test_a_pass_is_recorded_for_the_call_alone() -> None:
    item = _item()
    setup = _call("setup")
    _made_report(item, setup, _report(setup, "passed"))
    assert run_of(item.config).record.tests == {}
    call = _call("call")
    _made_report(item, call, _report(call, "passed"))
    assert run_of(item.config).record.tests == {NODE: Outcome("passed")}


def test_a_skip_is_recorded_with_its_reason() -> None:
    item = _item()
    setup = _call("setup")
    longrepr = (str(CONTRACT_SUITE / "test_properties.py"), 1, "Skipped: not started: the run's time budget was spent")
    _made_report(item, setup, _report(setup, "skipped", longrepr))
    expected = Outcome("skipped", skip_reason="not started: the run's time budget was spent")
    assert run_of(item.config).record.tests == {NODE: expected}


def test_tests_outside_the_contract_suite_are_not_the_runs() -> None:
    item = _item(Path(__file__))
    call = _call("call", RetriesExhausted("rate-limited"))
    _made_report(item, call, _report(call, "failed"))
    assert run_of(item.config).record.tests == {}


def test_a_run_still_rate_limited_after_its_retries_ends_with_exit_code_75_and_one_line() -> None:
    assert hooks.RETRIES_EXHAUSTED == 75  # sysexits' EX_TEMPFAIL, as the README says
    item = _item()
    call = _call("call", RetriesExhausted("rate-limited for 600 s on POST /v1/databases/db_c1/restore"))
    with pytest.raises(pytest.exit.Exception) as ended:
        _made_report(item, call, _report(call, "failed"))
    assert ended.value.returncode == 75
    assert str(ended.value.msg) == "restore-contract: rate-limited for 600 s on POST /v1/databases/db_c1/restore"


class Driver:
    """What `_verified` asks of the driver: the first violation of each test, and its restores in flight."""

    def __init__(self) -> None:
        self.violated: dict[str, ContractViolation] = {}
        self.inflight = InFlight(workers=2)


@pytest.fixture
def driver() -> Iterator[Driver]:
    made = Driver()
    yield made
    made.inflight.close(abandon=True)


def _verifying(driver: Driver, found: list[ContractViolation | None]) -> None:
    """Restores the test started, each verified in the background with what it `found`."""
    for index, violation in enumerate(found):
        driver.inflight.start(NODE, f"db_c{index}", lambda violation=violation: violation)  # type: ignore[misc]


def _end(driver: Driver, ending: Callable[[Generator[None, object, object]], object]) -> object:
    verified = hooks._verified(cast(Any, driver), NODE)
    next(verified)
    return ending(verified)


def _returns(value: object) -> Callable[[Generator[None, object, object]], object]:
    def send(verified: Generator[None, object, object]) -> object:
        with pytest.raises(StopIteration) as done:
            verified.send(value)
        return done.value.value

    return send


def _raises(error: BaseException) -> Callable[[Generator[None, object, object]], object]:
    def throw(verified: Generator[None, object, object]) -> object:
        with pytest.raises(StopIteration) as done:
            verified.throw(error)
        return done.value.value

    return throw


def test_a_test_passes_once_every_restore_it_started_is_verified(driver: Driver) -> None:
    _verifying(driver, [None, None])
    assert _end(driver, _returns("result")) == "result"
    assert driver.inflight.counts.verified == 2


def test_a_test_whose_restores_failed_verification_after_it_moved_on_fails_naming_them(driver: Driver) -> None:
    _verifying(driver, [ContractViolation("one", ("p1",)), None, ContractViolation("two", ("p1", "p2"))])
    with pytest.raises(ContractViolation) as failed:
        _end(driver, _returns(None))
    assert failed.value.properties == ("p1", "p2")
    assert str(failed.value).startswith("2 restore(s) this test started failed verification after it moved on:\n\n")
    assert "one" in str(failed.value)
    assert "two" in str(failed.value)


def test_a_test_cut_short_by_its_share_passes_on_what_it_checked(driver: Driver) -> None:
    _verifying(driver, [None])
    assert _end(driver, _raises(StopExamples("its share of the run's time budget is spent"))) is True


def test_a_test_that_failed_never_passes_whatever_stopped_it(driver: Driver) -> None:
    driver.violated[NODE] = ContractViolation("broken", ("p1",))
    with pytest.raises(ContractViolation) as failed:
        _end(driver, _raises(StopExamples("it failed, and its share of the run's time budget is spent")))
    assert failed.value is driver.violated[NODE]


def test_a_failed_test_with_failed_restores_reports_both(driver: Driver) -> None:
    _verifying(driver, [ContractViolation("later", ("p2",))])
    error = AssertionError("the test's own")
    with pytest.raises(BaseExceptionGroup) as both:
        _end(driver, _raises(error))
    assert both.value.message == "the test failed, and restores it started failed verification"
    first, second = both.value.exceptions
    assert first is error
    assert isinstance(second, ContractViolation)
    assert second.properties == ("p2",)


def test_a_failed_test_whose_restores_held_fails_with_its_own_error(driver: Driver) -> None:
    _verifying(driver, [None])
    error = AssertionError("the test's own")
    with pytest.raises(AssertionError) as failed:
        _end(driver, _raises(error))
    assert failed.value is error


def test_an_interrupted_test_waits_for_nothing(driver: Driver) -> None:
    _verifying(driver, [None])
    with pytest.raises(KeyboardInterrupt):
        _end(driver, _raises(KeyboardInterrupt()))
    assert NODE in driver.inflight._tests, "its restores were waited for (finished)"


def test_once_the_budget_is_spent_no_test_of_the_driver_starts() -> None:
    uses_driver = _item(fixturenames=["driver", "pool"])
    other = _item(fixturenames=["pool"])
    run_of(uses_driver.config).budget = Budget(seconds=5.0, started=time.monotonic() - 6)
    run_of(other.config).budget = Budget(seconds=5.0, started=time.monotonic() - 6)
    with pytest.raises(pytest.skip.Exception, match=r"^not started: the run's time budget \(5 s\) was spent"):
        hooks.pytest_runtest_setup(uses_driver)
    _starts(other)
    run_of(uses_driver.config).budget = Budget(seconds=5.0)
    _starts(uses_driver)
    run_of(uses_driver.config).budget = None
    _starts(uses_driver)


def _starts(item: Any) -> None:
    """The test is not skipped (a skip escaping this test would read as this test's own skip, not a failure)."""
    try:
        hooks.pytest_runtest_setup(item)
    except pytest.skip.Exception as skipped:
        pytest.fail(f"skipped: {skipped}")


class Marked:
    """A collected item as the ordering and the share read it: its node id, its budget_weight marker and whether it is
    one of the decisive probes (suite/test_first_answers.py)."""

    def __init__(self, nodeid: str, weight: float | None = None, decisive: bool = False) -> None:
        self.nodeid, self.name, self.fixturenames = nodeid, nodeid.rsplit("::", 1)[-1], ["driver"]
        self.path = CONTRACT_SUITE / nodeid.split("::", 1)[0]
        self._weight, self._decisive = weight, decisive

    def get_closest_marker(self, name: str) -> Any:
        assert name in ("budget_weight", "decisive")
        if name == "decisive":
            return SimpleNamespace(args=()) if self._decisive else None
        return None if self._weight is None else SimpleNamespace(args=(self._weight,))


def _contract_config(budget: float | None, maxfail: int = 0) -> Any:
    config = SimpleNamespace(
        args=[str(CONTRACT_SUITE)],
        invocation_params=SimpleNamespace(dir=Path.cwd()),
        option=SimpleNamespace(maxfail=maxfail),
    )
    config.stash = pytest.Stash()
    run_of(cast(Any, config)).settings = RunSettings(Settings(target="replay", profile="replay"), budget)
    return config


def test_under_a_budget_the_heaviest_tests_go_first_and_otherwise_file_order() -> None:
    names = ["a", "b", "c", "d"]
    weights = {"b": 20.0, "d": 3.0}
    items = [Marked(f"t.py::{name}", weights.get(name)) for name in names]
    hooks.pytest_collection_modifyitems(_contract_config(600.0), cast(Any, items))
    assert [item.name for item in items] == ["b", "d", "a", "c"]
    unordered = [Marked(f"t.py::{name}", weights.get(name)) for name in names]
    hooks.pytest_collection_modifyitems(_contract_config(None), cast(Any, unordered))
    assert [item.name for item in unordered] == names


def test_the_decisive_probes_go_first_and_under_a_budget_right_after_the_heaviest() -> None:
    names, weights = ["a", "b", "probe", "c"], {"b": 20.0}
    for budget, expected in ((None, ["probe", "a", "b", "c"]), (600.0, ["b", "probe", "a", "c"])):
        items = [Marked(f"t.py::{name}", weights.get(name), decisive=name == "probe") for name in names]
        hooks.pytest_collection_modifyitems(_contract_config(budget), cast(Any, items))
        assert [item.name for item in items] == expected, budget


def test_a_run_whose_maxfail_is_unset_keeps_the_budget_order() -> None:
    """pytest leaves maxfail None where no command line set it (a live run's session): no limit, not a crash."""
    names, weights = ["a", "b", "probe", "c"], {"b": 20.0}
    items = [Marked(f"t.py::{name}", weights.get(name), decisive=name == "probe") for name in names]
    hooks.pytest_collection_modifyitems(_contract_config(600.0, cast(Any, None)), cast(Any, items))
    assert [item.name for item in items] == ["b", "probe", "a", "c"]


@pytest.mark.parametrize("maxfail", [1, 3], ids=["-x", "--maxfail 3"])
def test_a_run_that_stops_at_its_first_failures_has_the_probes_first_whatever_the_budget(maxfail: int) -> None:
    names, weights = ["a", "b", "probe", "c"], {"b": 20.0}
    items = [Marked(f"t.py::{name}", weights.get(name), decisive=name == "probe") for name in names]
    hooks.pytest_collection_modifyitems(_contract_config(600.0, maxfail), cast(Any, items))
    assert [item.name for item in items] == ["probe", "b", "a", "c"]


def _driver_test(driver: Any, item: Marked, *later: Marked) -> SimpleNamespace:
    """The contract test `item` as pytest_pyfunc_call sees it: it uses `driver`, and `later` run after it."""
    pyfunc = SimpleNamespace(
        funcargs={"driver": driver},
        nodeid=item.nodeid,
        get_closest_marker=item.get_closest_marker,
        fixturenames=["driver"],
        path=item.path,
        config=SimpleNamespace(),
    )
    pyfunc.session = SimpleNamespace(items=[pyfunc, *later])
    return pyfunc


def test_a_test_of_the_driver_gets_its_share_and_is_the_drivers_test_while_it_runs() -> None:
    with emulated_driver(budget=Budget(seconds=100.0)) as driver:
        pyfunc = _driver_test(driver, Marked(NODE, 3.0), Marked("t.py::later"))
        wrapper = hooks.pytest_pyfunc_call(cast(Any, pyfunc))
        next(wrapper)
        assert driver.test == NODE
        assert driver.budget.running == NODE  # what the progress line, in its own thread, names
        # Weight 3 of the 4 still to run: about three quarters of what is left.
        assert 70.0 < driver.budget.shares[NODE] <= 75.0
        with pytest.raises(StopIteration) as done:
            wrapper.send("result")
        assert done.value.value == "result"
        assert driver.test == NO_TEST
        assert driver.budget.running is None


def test_the_last_test_of_the_driver_gets_all_that_is_left_with_nothing_set_aside_for_later_ones() -> None:
    with emulated_driver(budget=Budget(seconds=100.0)) as driver:
        driver.budget.verified_in(40.0)
        pyfunc = _driver_test(driver, Marked(NODE, 3.0))
        wrapper = hooks.pytest_pyfunc_call(cast(Any, pyfunc))
        next(wrapper)
        assert 95.0 < driver.budget.shares[NODE] <= 100.0, "its own verifications are the run's last"
        with pytest.raises(StopIteration):
            wrapper.send("result")


def test_a_project_test_with_a_driver_fixture_of_its_own_is_left_alone() -> None:
    """`dev.py test` runs the project's tests beside the suite in one session: tests/unit/test_driver.py's own
    `driver` fixture must keep the test it set, and get no share of a budget."""
    with emulated_driver(budget=Budget(seconds=100.0)) as driver, running("mine"):
        project = Path(__file__)
        item = SimpleNamespace(funcargs={"driver": driver}, fixturenames=["driver"], path=project, nodeid="t::own")
        wrapper = hooks.pytest_pyfunc_call(cast(Any, item))
        next(wrapper)
        assert driver.test == "mine"
        with pytest.raises(StopIteration):
            wrapper.send("result")
        assert driver.test == "mine"
        assert driver.budget.shares == {}
        assert not hooks._uses_driver(cast(Any, item))


def test_a_test_without_the_driver_is_left_alone() -> None:
    item = SimpleNamespace(funcargs={"pool": object()})
    wrapper = hooks.pytest_pyfunc_call(cast(Any, item))
    next(wrapper)
    with pytest.raises(StopIteration) as done:
        wrapper.send("result")
    assert done.value.value == "result"


def test_a_failed_contract_test_says_how_to_run_it_again() -> None:
    item = _item()
    run = run_of(item.config)
    run.settings = RunSettings(Settings(target="replay", profile="replay"), None)
    run.invocation = Invocation.of(["-x", NODE], [NODE], Path.cwd(), {"PRISMA_CONTRACT_TARGET": "replay"})
    call = _call("call", ContractViolation("broken", ("p1",)))
    report = _made_report(item, call, _report(call, "failed"))
    (section,) = [text for title, text in report.sections if title == "reproduce"]
    assert section == reproduce(NODE, run.invocation, "replay", None)
    assert NODE in section
    assert run.record.tests[NODE].reproduce == section
    passed = _call("call")
    assert [title for title, _ in _made_report(item, passed, _report(passed, "passed")).sections] == []


def test_from_an_install_the_rerun_names_the_test_file_by_its_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Installed, the suite's node ids are relative to site-packages: the rerun command names the file in full."""
    item = _item()
    assert hooks._rerun_node(item) == NODE  # a checkout: dev.py runs pytest from the project
    monkeypatch.setattr(workspace, "CHECKOUT", None)
    assert hooks._rerun_node(item) == f"{item.path}::test_busy_target_is_409"


def test_each_schemathesis_operation_is_its_own_entry_in_the_record() -> None:
    """schemathesis makes an item per operation under the test's id; the record keys each by its name."""
    item = _item()
    item.nodeid = "restore_contract/suite/test_schemathesis.py::test_restore::test_restore[POST /v1/x]"
    item.name = "test_restore[POST /v1/x]"
    call = _call("call")
    _made_report(item, call, _report(call, "passed"))
    key = "restore_contract/suite/test_schemathesis.py::test_restore::test_restore[POST /v1/x]"
    assert list(run_of(item.config).record.tests) == [key]
