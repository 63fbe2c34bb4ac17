"""One contract run's plumbing, held in one place: the `Run` the plugin keeps in the pytest config's stash.

What the run found is its record (`record`, run/record.py), which the fixtures, hooks and driver write into as the run
goes; `Run` holds only what the plugin needs to drive it: the settings, how it was invoked, where the reports go,
the budget and restores in flight (read into the record at the end), and the files it wrote. One per pytest session:
forked meta-test sessions and xdist workers each have their own. (Named `session`, not `run`: `restore_contract.run`
is the run's machinery, which this wires into pytest.)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import settings

from restore_contract.reporting.write import Destinations
from restore_contract.run.budget import Budget
from restore_contract.run.configuration import RunSettings
from restore_contract.run.inflight import InFlight
from restore_contract.run.keepbusy import KeepBusy
from restore_contract.run.record import RunRecord
from restore_contract.run.repro import Invocation
from restore_contract.run.utilisation import Utilisation
from restore_contract.targets.live import LiveSettings


@dataclass
class Run:
    settings: RunSettings | None = None  # None until checked (an xdist worker checks its own copy)
    invocation: Invocation | None = None
    reports: Destinations | None = None  # where the reports go (the settings reports, summary_json, step_summary)
    # What the run did and found; made when pytest reads the settings, so the run's clock (its time budget, setup
    # included, and the restores' timeline) counts from here.
    record: RunRecord = field(default_factory=RunRecord)
    replay_in_one_process: bool = False
    stopped_early: bool = False  # by a signal or pytest.exit: what is in flight is dropped, the pool sweeps
    live: LiveSettings | None = None  # what a live target (or the recording a replay plays) was built from
    budget: Budget | None = None
    inflight: InFlight | None = None
    utilisation: Utilisation | None = None  # how busy the restore targets were kept (the driver's)
    keep_busy_owner: str | None = None  # the test whose restores keep the targets busy, if any (plugin/tests.py)
    keep_busy: KeepBusy | None = None
    worker_records: list[RunRecord] = field(default_factory=list)  # an xdist controller's, one per worker
    written: list[Path] = field(default_factory=list)  # the report files it wrote, for the run's last line

    def checked(self) -> RunSettings:
        assert self.settings is not None, "the settings are checked when pytest starts (plugin/start.py)"
        return self.settings

    @property
    def target_built(self) -> bool:
        """The contract suite's target was built (and closed, describing itself in the record): the run ran."""
        return bool(self.record.target)

    def finish(self, exit_status: int, seed: object) -> RunRecord:
        """The record as the run ends: how it ran (its settings), and how it used its time, from the budget and the
        restores in flight (None: no driver ran, so it has no time figures, the first failure's included)."""
        settings_ = self.checked()
        record = self.record
        record.exit_status = int(exit_status)
        record.profile = settings_.profile
        record.seed = seed if isinstance(seed, (int, str)) else None
        record.generation = "derandomized" if settings().derandomize else "random seed"
        record.partial = settings_.values.partial
        budget, inflight = self.budget, self.inflight
        if budget is None or inflight is None:
            record.first_failure_after_s = None
            return record
        record.elapsed_s = round(time.monotonic() - budget.started, 1)
        record.budget_s = budget.seconds
        record.budget_shares_s = dict(budget.shares)
        record.cut_short_by_budget = sorted(set(budget.cut_short))
        record.verified_in_background = inflight.counts.started
        record.in_flight_average = round(inflight.average, 2)
        record.in_flight_most = inflight.counts.most
        record.slowest_verification_s = round(budget.slowest_verification, 1)
        if self.utilisation is not None:
            used = self.utilisation
            record.restore_targets = used.targets
            record.target_seconds_used = round(used.seconds_used(), 1)
            record.target_seconds_available = round(used.seconds_available(), 1)
        record.restores_keeping_targets_busy = self.keep_busy.started if self.keep_busy is not None else 0
        return record


RUN = pytest.StashKey[Run]()


def run_of(config: pytest.Config) -> Run:
    """The session's run (made when first asked for: forked meta-test sessions do not share one)."""
    if RUN not in config.stash:
        config.stash[RUN] = Run()
    return config.stash[RUN]
