"""One contract run's state, held in one place: the `Run` the plugin keeps in the pytest config's stash.

The fixtures fill it as the run goes (the target's facts when it closes, the pool's when it is filled and emptied,
the driver's budget and restores in flight), the hooks read it, and `record` turns it into the run's typed record.
One per pytest session: forked meta-test sessions and xdist workers each have their own.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import settings

from restore_contract.reporting.write import Destinations
from restore_contract.run.budget import Budget
from restore_contract.run.configuration import RunSettings
from restore_contract.run.coverage import coverage
from restore_contract.run.inflight import InFlight
from restore_contract.run.record import RunRecord
from restore_contract.run.report import RunReport
from restore_contract.run.repro import Invocation
from restore_contract.targets.live import LiveSettings


@dataclass
class Run:
    settings: RunSettings | None = None  # None until checked (an xdist worker checks its own copy)
    # When the run started (pytest reading its settings): its time budget counts from here, setup included.
    started: float = field(default_factory=time.monotonic)
    invocation: Invocation | None = None
    reports: Destinations | None = None  # where the reports go (the settings reports, summary_json, step_summary)
    report: RunReport = field(default_factory=RunReport)
    replay_in_one_process: bool = False
    stopped_early: bool = False  # by a signal or pytest.exit: what is in flight is dropped, the pool sweeps
    interrupted: str | None = None  # by which signal (SIGINT, SIGTERM), if one stopped it: the summary says so
    # Filled by the fixtures: the target (when it closes), the pool (when filled and emptied), the driver.
    target: dict[str, str] | None = None  # described; None: the contract suite's target was never built
    live: LiveSettings | None = None  # what a live target (or the recording a replay plays) was built from
    sent: int = 0
    retried: tuple[int, float] = (0, 0.0)
    refused: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)
    stale: tuple[list[str], list[str]] = ([], [])  # earlier runs' scratch databases: deleted, kept
    sacrificial: list[str] = field(default_factory=list)  # its lease: held by another run, a killed run's deleted
    capabilities: Mapping[str, bool] = field(default_factory=dict)
    setup_failed: str | None = None  # why the pool could not be filled: every coverage row says it
    budget: Budget | None = None
    inflight: InFlight | None = None
    worker_records: list[RunRecord] = field(default_factory=list)  # an xdist controller's, one per worker
    record: RunRecord | None = None  # the run's, once it is written
    written: list[Path] = field(default_factory=list)  # the report files it wrote, for the run's last line

    def checked(self) -> RunSettings:
        assert self.settings is not None, "the settings are checked when pytest starts (plugin/start.py)"
        return self.settings

    def to_record(self, exit_status: int, seed: object) -> RunRecord:
        settings_ = self.checked()
        report = self.report
        has = dict(self.capabilities)
        record = RunRecord(
            exit_status=int(exit_status),
            target=self.target or {"name": settings_.target},
            profile=settings_.profile,
            seed=seed if isinstance(seed, (int, str)) else None,
            generation="derandomized" if settings().derandomize else "random seed",
            partial=settings_.values.partial,
            requests=self.sent,
            retries=self.retried[0],
            waited_for_retries_s=round(self.retried[1], 3),
            restores_started=report.statuses[200],
            leftovers=list(self.leftovers),
            guard_refusals=list(self.refused),
            stale_scratch_deleted=list(self.stale[0]),
            stale_scratch_kept=list(self.stale[1]),
            sacrificial_lease=list(self.sacrificial),
            setup_failed=self.setup_failed,
            interrupted=self.interrupted,
            capabilities=has,
            causes=dict(report.causes),
            coverage=coverage(report.causes, has, self.setup_failed, self.interrupted),
            **report.as_dict(),
        )
        budget, inflight = self.budget, self.inflight
        if budget is not None and inflight is not None:
            record.elapsed_s = round(time.monotonic() - budget.started, 1)
            record.budget_s = budget.seconds
            record.budget_shares_s = dict(budget.shares)
            record.cut_short_by_budget = sorted(set(budget.cut_short))
            record.verified_in_background = inflight.counts.started
            record.in_flight_average = round(inflight.average, 2)
            record.in_flight_most = inflight.counts.most
            record.slowest_verification_s = round(budget.slowest_verification, 1)
            record.first_failure_after_s = report.first_failure_after
        return record


RUN = pytest.StashKey[Run]()


def run_of(config: pytest.Config) -> Run:
    """The session's run (made when first asked for: forked meta-test sessions do not share one)."""
    if RUN not in config.stash:
        config.stash[RUN] = Run()
    return config.stash[RUN]
