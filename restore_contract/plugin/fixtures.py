"""The contract suite's fixtures: the target, the resources the run owns there (the pool), and the driver; each
fills its part of the run's state (plugin/session.py) as it is set up and torn down."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from restore_contract.compat import terminal_fd
from restore_contract.emulator.dataplane.cluster import ClusterError
from restore_contract.plugin.session import run_of
from restore_contract.plugin.start import checked_settings
from restore_contract.run.budget import Budget
from restore_contract.run.configuration import RunSettings
from restore_contract.run.coverage import capabilities
from restore_contract.run.driver import Driver
from restore_contract.run.inflight import InFlight
from restore_contract.run.keepbusy import KeepBusy
from restore_contract.run.progress import Progress, clock
from restore_contract.run.record import busy_percent
from restore_contract.run.utilisation import Utilisation
from restore_contract.targets import Target, TargetConfigurationError, emulator_target, live_target
from restore_contract.targets.cassettes import Cassette, recording, replay_target
from restore_contract.targets.guard import UnsafeRequestRefused
from restore_contract.targets.lease import Terms, lease_seconds
from restore_contract.targets.live import LiveSettings
from restore_contract.targets.pool import Pool, fill_emulator_pool, fill_live_pool


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Iterator[Target]:
    """The target its builder made; configuration errors end the run at once with one line."""
    try:
        built, live = _build_target(checked_settings(pytestconfig))
    except TargetConfigurationError as error:
        pytest.exit(f"restore-contract: {error}", returncode=2)
    run = run_of(pytestconfig)
    run.live = live
    try:
        yield built
    finally:
        built.close()
        record = run.record
        record.target = {"name": built.name, **built.described}
        record.requests = built.traffic.sent
        record.retries, record.waited_for_retries_s = built.traffic.retries, round(built.traffic.waited, 3)
        record.paced_per_second = built.traffic.paced_per_second
        record.guard_refusals = list(built.guard.refused) if built.guard is not None else []


def _build_target(settings: RunSettings) -> tuple[Target, LiveSettings | None]:
    """The target, and the live settings it was built from (a replay's are the recording's)."""
    values = settings.values
    if settings.emulator is not None:
        try:
            return emulator_target(settings.emulator), None
        except ClusterError as error:
            raise TargetConfigurationError(str(error)) from None
    if settings.live is None:
        return replay_target(Cassette.named(values.cassette), settings.profile)
    # Checked against the server before the session started (run/configuration.py): no second preflight.
    if not values.record:
        return live_target(settings.live, preflight=False), settings.live
    recorder = recording(
        Cassette.named(values.record), settings.live.public(), settings.profile, force=values.record_force
    )
    return live_target(settings.live, preflight=False, recorder=recorder), settings.live


@pytest.fixture(scope="session")
def pool(target: Target, pytestconfig: pytest.Config) -> Iterator[Pool]:
    """Databases and backups the run owns; its scratch databases are deleted at the end, failures reported."""
    run = run_of(pytestconfig)
    live = run.live
    owned = Pool(target, run_id=live.run_id[:8] if live else "")
    try:
        if target.control is not None:
            fill_emulator_pool(owned, target.control)
        else:
            assert live is not None, "a target without a control plane is built from live settings"
            fill_live_pool(owned, live, _lease_terms(pytestconfig, live))
    except BaseException as error:  # an interrupt included: whatever the run created so far goes
        run.record.leftovers = owned.release() + owned.delete_scratch(sweep=True)
        if isinstance(error, KeyboardInterrupt):  # not a failure: the summary says the run was interrupted
            raise
        why = str(error).strip().partition("\n")[0][:300] or type(error).__name__
        run.record.setup_failed = why
        run.record.failed("setting up the run's databases", why)
        if isinstance(error, (TargetConfigurationError, UnsafeRequestRefused)):
            pytest.exit(f"restore-contract: {error}", returncode=2)
        if isinstance(error, Exception):  # one line, not the same error once per test
            pytest.exit(f"restore-contract: setting up the run's databases failed: {str(error).strip()}", returncode=1)
        raise
    record = run.record
    record.stale_scratch_deleted, record.stale_scratch_kept = list(owned.stale), list(owned.stale_kept)
    record.sacrificial_lease = owned.leased_by_other + owned.expired_leases
    record.capabilities = capabilities(owned)
    try:
        yield owned
    finally:
        record.leftovers = owned.release() + owned.delete_scratch(sweep=run.stopped_early)


def _lease_terms(config: pytest.Config, live: LiveSettings) -> Terms:
    """The run's id in its lease on the sacrificial database: an xdist run's workers share theirs (one of them holds
    it, the others restore into their scratch databases), and the lease lasts as long as the run may."""
    worker = getattr(config, "workerinput", None)
    run = str(worker["testrunuid"])[:8] if worker else live.run_id[:8]
    settings = checked_settings(config)
    return Terms(run, lease_seconds(settings.budget, live.restore_timeout), settings.values.partial)


@pytest.fixture(scope="session")
def driver(target: Target, pool: Pool, pytestconfig: pytest.Config) -> Iterator[Driver]:
    """The driver, with the run's time budget and the restores it verifies in the background (one per restore
    target at a time, on a live target); everything still in flight is verified before the pool cleans up."""
    settings, run = checked_settings(pytestconfig), run_of(pytestconfig)
    run.inflight = InFlight(workers=len(pool.ready) if target.concurrent else 1)
    run.budget = Budget(settings.budget, started=run.record.started_at)
    run.utilisation = Utilisation.of(pool.ready)  # the restoring phase starts: the targets are ready
    made = Driver(target, pool, run.record, run.inflight, run.budget, run.utilisation)
    if run.keep_busy_owner is not None and target.concurrent and run.budget.seconds is not None and pool.backups:
        run.keep_busy = made.keep_busy = KeepBusy(made, run.keep_busy_owner)
        run.keep_busy.start()
    try:
        with Progress(settings.values.progress_seconds, lambda: _progress(made), _terminal_line(pytestconfig)):
            yield made
    finally:
        if run.keep_busy is not None:
            run.keep_busy.close()
        # Interrupted: what is in flight is dropped, so the pool deletes its databases at once (a verification
        # still polling then ends on the deleted database, unreported).
        for left in run.inflight.close(abandon=run.stopped_early):  # only a test that never ended leaves any
            run.record.failed("in flight at the end of the run", str(left).partition("\n")[0])
        run.utilisation.end()  # every restore verified: the restoring phase is over


def _terminal_line(config: pytest.Config) -> Callable[[str], None]:
    """Where progress goes: the terminal (and so the CI log), past pytest's output capture, which holds everything
    written during a test, the terminal reporter's lines included. pytest keeps the terminal's file descriptor while
    it captures (compat.terminal_fd); without capture (-s) the terminal reporter writes straight through; an xdist
    worker has neither, its controller reports."""
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
    report, budget, traffic = driver.report, driver.budget, driver.target.traffic
    if budget.running is None:
        return None
    verified = report.causes["started: verified end to end"] + report.causes["started: no data probe"]
    left = budget.left
    return (
        f"{budget.running.rsplit('/', 1)[-1]} | restores started {report.statuses[200]}, in flight "
        f"{driver.inflight.now}, verified {verified}, failed {driver.inflight.counts.failed}, targets "
        f"{busy_percent(driver.utilisation.busy())} busy | requests "
        f"{traffic.sent}, retries {traffic.retries} ({traffic.waited:.0f} s waited) | "
        + (f"budget left {clock(max(left, 0))}" if left is not None else "no time budget")
    )
