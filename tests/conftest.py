"""Fixtures every test layer may use: emulator servers started for one test, Ctrl-C as in a terminal."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Generator, Iterator

import pytest

from restore_contract.harness.server import Server, start_server
from restore_contract.run.budget import StopExamples
from restore_contract.settings import SettingError, given_options, read
from restore_contract.strategies.profiles import use_profile

StartServer = Callable[..., Server]


def pytest_configure(config: pytest.Config) -> None:
    """The project's own Hypothesis tests run under the suite's profile too (ci unless chosen: derandomized, no
    example database), as the contract suite does; the plugin loads it only for runs of the suite."""
    try:
        profile = read(os.environ, given_options(config.getoption), only=("profile",)).profile
    except SettingError as error:
        pytest.exit(f"restore-contract: {error}", 2)
    use_profile(profile)


# Set by tests/test_bodies_run.py's body: a pass without it is a pass of a body that never ran.
BODY_RAN = pytest.StashKey[bool]()
CANARY = "test_bodies_run.py"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """The canary test passes only if its body ran. A pytest_pyfunc_call hook that answers for a test without calling
    it (the suite's plugin's, its decorator lost) made every test of the session pass without running, this file's
    checks with them: 1,181 passed in the mutation benchmark. It lives here, not in the plugin, to outlast that."""
    report = yield
    if call.when == "call" and report.passed and item.path.name == CANARY and not item.stash.get(BODY_RAN, False):
        report.outcome = "failed"
        report.longrepr = (
            "the test's body never ran: a pytest_pyfunc_call hook answered for it (every test's pass is void)"
        )
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """A driver that stops a test raises StopExamples, a skip (in a contract run the suite's plugin makes it the end of
    the test). Escaping one of the project's own tests it would read as a skip: a driver broken to stop every test
    passed them all. Here it fails the test; a test that expects a stop says so with pytest.raises."""
    try:
        return (yield)
    except StopExamples as stopped:
        raise AssertionError(f"the driver stopped this test: {stopped}") from None


@pytest.fixture
def launch_server() -> Iterator[StartServer]:
    """Start a server for one test (e.g. with a fault on); stopped at the end of the test, whatever happens."""
    started: list[Server] = []

    def launch(*args: str) -> Server:
        started.append(start_server(*args))
        return started[-1]

    try:
        yield launch
    finally:
        for each in started:
            each.stop()


@pytest.fixture
def ctrl_c() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt in this process and in those the test starts, as in a terminal. A process
    started in the background by a non-interactive shell (`cmd &` in a script, `nohup`) inherits SIGINT ignored, and
    Python keeps it so; there a test of what Ctrl-C does failed, though the code under test was right."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)
