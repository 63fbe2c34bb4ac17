"""How a run starts: the suite's options (one table, restore_contract/settings.py), every setting checked before
anything is written, the Hypothesis profile loaded, and the header line."""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType

import pytest

from restore_contract.plugin.scope import is_xdist_worker, runs_contract_tests
from restore_contract.plugin.session import run_of
from restore_contract.plugin.stopping import begin, stop
from restore_contract.run.configuration import RunSettings, check_settings
from restore_contract.run.repro import Invocation
from restore_contract.settings import SettingError, given_options, read
from restore_contract.strategies.profiles import use_profile
from restore_contract.targets.base import TargetConfigurationError


def start(config: pytest.Config) -> int | None:
    """Every setting is checked before the run starts or writes anything: a mistake is one line and exit code 2,
    printed once, with or without xdist. A contract run's reports of an earlier run go first, so a run that stops
    here or is killed later never leaves the last one's "passed" behind. Called from the entry module's
    `pytest_cmdline_main`, before pytest configures anything and before xdist starts its workers; an xdist worker
    checks nothing here (its controller did)."""
    if is_xdist_worker(config):
        return None
    run = run_of(config)
    run.reports = begin(config)
    try:
        run.settings = settings_of(config, preflight=not config.option.collectonly)
    except TargetConfigurationError as error:
        return stop(f"restore-contract: {error}", run.reports)
    return None


def settings_of(config: pytest.Config, *, preflight: bool = True) -> RunSettings:
    """The run's settings, checked as a whole (TargetConfigurationError: one line)."""
    try:
        values = read(os.environ, given_options(config.getoption))
    except SettingError as error:
        raise TargetConfigurationError(str(error)) from None
    return check_settings(values, preflight=preflight)


def checked_settings(config: pytest.Config) -> RunSettings:
    """The settings the run started with; an xdist worker checks its own copy (no second preflight: its controller
    made it), and a mistake found only now still ends the run with one line."""
    run = run_of(config)
    if run.settings is None:
        try:
            run.settings = settings_of(config, preflight=False)
        except TargetConfigurationError as error:
            pytest.exit(f"restore-contract: {error}", returncode=2)
    return run.settings


@pytest.hookimpl(tryfirst=True)  # before Hypothesis's plugin loads --hypothesis-profile (unknown: INTERNALERROR)
def pytest_configure(config: pytest.Config) -> None:
    run, contract = run_of(config), runs_contract_tests(config)
    if is_xdist_worker(config) and contract:
        checked_settings(config)  # the controller checked them, with the preflight; the worker parses its copy
    if run.settings is not None:
        use_profile(run.settings.profile)
    invoked = config.invocation_params
    # Positional arguments as pytest parsed them: absent where pytest only configures for --help or --version.
    tests = getattr(config.option, "file_or_dir", None) or []
    run.invocation = Invocation.of(invoked.args, tests, invoked.dir, os.environ)
    config.pluginmanager.register(InterruptWatch(config), "restore-contract-interrupt")
    if contract:
        _terminate_as_interrupt(config)
    xdist_controller = bool(config.getoption("numprocesses", None)) and not is_xdist_worker(config)
    target = run.settings.target if run.settings is not None else None
    if xdist_controller and target == "replay":
        # A cassette is one conversation: a read of a URL answers what it answered at that point of the recording,
        # so it replays in the recorded order, in one process (xdist sets up its workers after this hook).
        config.option.dist = "no"
        run.replay_in_one_process = True
    emulator = run.settings.emulator if run.settings is not None else None
    if (
        not xdist_controller
        and emulator is not None
        and emulator.data_plane == "postgres"
        and not emulator.postgres_dsn
    ):
        # Start the emulator's PostgreSQL while pytest collects tests; it is ready by the time it is needed.
        from restore_contract.emulator.dataplane.cluster import start_in_background

        start_in_background()


class InterruptWatch:
    """pytest calls `pytest_keyboard_interrupt` before the session's fixtures are torn down, without the config:
    this object carries it, so the driver drops what is in flight and the pool deletes the run's databases while
    the user still waits."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        run = run_of(self.config)
        run.stopped_early = True  # a signal, or pytest.exit (the API unavailable, a set-up that failed)
        if isinstance(excinfo.value, KeyboardInterrupt):
            # SIGTERM comes as the KeyboardInterrupt _terminate_as_interrupt raises, naming it; Ctrl-C's names nothing.
            run.record.interrupted = str(excinfo.value).removeprefix("signal ") or "SIGINT (Ctrl-C)"


def _terminate_as_interrupt(config: pytest.Config) -> None:
    """SIGTERM ends the run as Ctrl-C does: in-flight verifications dropped, scratch databases deleted, the report
    saying it stopped. A CI job that is cancelled or times out, a container stopped, get SIGTERM, which by default
    ends Python at once and leaves the run's databases for the next run's stale sweep. Only where nobody chose what
    SIGTERM does (its default), and only in the main thread, where Python runs handlers; put back at the end."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")

    def put_back() -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    signal.signal(signal.SIGTERM, interrupt)
    config.add_cleanup(put_back)


def pytest_report_header(config: pytest.Config) -> list[str]:
    run = run_of(config)
    target = run.settings.target if run.settings is not None else "?"
    profile = run.settings.profile if run.settings is not None else "?"
    header = f"restore-contract: target={target} hypothesis-profile={profile}"
    if run.replay_in_one_process:
        header += " (-n ignored: a cassette replays in the order it was recorded, in one process)"
    return [header]
