"""The run record: what a contract run did and found, typed, and the one place the run accumulates it.

One record per pytest session, held by the plugin's `Run` (plugin/session.py): the fixtures, hooks and driver write
into it as the run goes, background verification threads too (`merge`, `restored`, `failed`, `reached` and `ended`
take its lock); each request's checks fill a `Tally` of their own, merged in one step. Under pytest-xdist each worker
sends its own to the controller (`to_json` / `from_json`), which merges them field by field (`merge`: each field
names its rule) and prints one summary (`render`) and writes one record, as a single process would. The terminal
summary, summary.json, summary.md, the pictures and the JUnit properties are all made from this one record.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import InitVar, dataclass, field
from typing import Any

from restore_contract.checks.tally import Tally
from restore_contract.run.coverage import Covered, coverage
from restore_contract.run.coverage import render as render_coverage
from restore_contract.run.report import Outcome, Restore

Line = tuple[str, str | None]  # text, and its colour (None, yellow, red)
Rule = Callable[[list[Any]], Any]  # the workers' values of a field → the run's


def _first(values: list[Any]) -> Any:
    """The same in every worker (the run's settings): the first worker's."""
    return values[0]


def _first_set(values: list[Any]) -> Any:
    return next((value for value in values if value is not None), None)


def _sum(values: list[Any]) -> Any:
    return round(sum(values), 3)


def _least(values: list[Any]) -> Any:
    """The smallest of the workers' values that are set (None: none is)."""
    return min((value for value in values if value is not None), default=None)


def _most(values: list[Any]) -> Any:
    """The largest of the workers' values; None (a worker that ran no driver test: no time of its own) is none."""
    return max((value for value in values if value is not None), default=None)


def _earliest(values: list[Any]) -> Any:
    """The first failure of the run: the earliest of any worker's (None: no worker failed)."""
    found = [value for value in values if value is not None]
    return min(found) if found else None


def _counted(values: list[Any]) -> Any:
    total: Counter[Any] = Counter()
    for value in values:
        total.update(value)
    return total


def _joined(values: list[Any]) -> Any:
    return [item for value in values for item in value]


def _keyed(values: list[Any]) -> Any:
    return {key: item for value in values for key, item in value.items()}


def _met_by_any(values: list[Any]) -> Any:
    """A need is met when any worker met it."""
    return {need: any(value.get(need, False) for value in values) for need in values[0]}


def _on_one_timeline(values: list[Any]) -> Any:
    return sorted(_joined(values), key=lambda restore: restore.started_s)


def _merged_by(rule: Rule, default: Any = None, factory: Callable[[], Any] | None = None) -> Any:
    if factory is not None:
        return field(default_factory=factory, metadata={"merge": rule})
    return field(default=default, metadata={"merge": rule})


@dataclass
class RunRecord:
    exit_status: int = _merged_by(_most, 0)
    target: dict[str, str] = _merged_by(_first, factory=dict)  # described when it closes; empty: never built
    profile: str = _merged_by(_first, "")
    seed: int | str | None = _merged_by(_first)
    generation: str = _merged_by(_first, "")
    partial: bool = _merged_by(_first, False)
    requests: int = _merged_by(_sum, 0)
    retries: int = _merged_by(_sum, 0)
    waited_for_retries_s: float = _merged_by(_sum, 0.0)
    paced_per_second: float | None = _merged_by(_least)  # the pace held to after the server's 429s; None: never
    leftovers: list[str] = _merged_by(_joined, factory=list)
    guard_refusals: list[str] = _merged_by(_joined, factory=list)
    stale_scratch_deleted: list[str] = _merged_by(_joined, factory=list)
    stale_scratch_kept: list[str] = _merged_by(_joined, factory=list)
    sacrificial_lease: list[str] = _merged_by(_joined, factory=list)  # not used (another run's lease), a stale one gone
    setup_failed: str | None = _merged_by(_first_set)
    interrupted: str | None = _merged_by(_first_set)  # by what (SIGINT, SIGTERM), when the run was stopped early
    capabilities: dict[str, bool] = _merged_by(_met_by_any, factory=dict)
    # What the requests' checks counted (Tally's figures, merged in): documented causes exercised, properties
    # evaluated, restore answers, tolerated documentation deviations; and what the lifecycle state machine reached.
    causes: Counter[str] = _merged_by(_counted, factory=Counter)
    checked: Counter[str] = _merged_by(_counted, factory=Counter)
    statuses: Counter[int] = _merged_by(_counted, factory=Counter)
    deviations: Counter[str] = _merged_by(_counted, factory=Counter)
    lifecycle: Counter[str] = _merged_by(_counted, factory=Counter)
    # Broken properties with their curl reproduction, one per test: the last one is the example Hypothesis
    # reports (it replays the failing example last).
    failures: dict[str, str] = _merged_by(_keyed, factory=dict)
    tests: dict[str, Outcome] = _merged_by(_keyed, factory=dict)  # test → how it ended
    restores: list[Restore] = _merged_by(_on_one_timeline, factory=list)  # each 200, in the order verified
    # How the run used its time (None: no driver ran). Workers run side by side: the run lasted as long as the
    # longest; its budget is the same for all; their in-flight figures add up, as they were in flight at once.
    elapsed_s: float | None = _merged_by(_most)
    budget_s: float | None = _merged_by(_first)
    budget_shares_s: dict[str, float] = _merged_by(_keyed, factory=dict)  # test → the share of the budget it got
    cut_short_by_budget: list[str] = _merged_by(_joined, factory=list)
    verified_in_background: int = _merged_by(_sum, 0)
    in_flight_average: float = _merged_by(_sum, 0.0)
    in_flight_most: int = _merged_by(_sum, 0)
    slowest_verification_s: float = _merged_by(_most, 0.0)
    # How busy the restore targets were kept (run/utilisation.py): restore-target-seconds used (each restore's
    # request sent → verified, summed) and available (targets times the restoring phase's wall time: from the databases
    # ready to the last restore verified). A worker holds targets of its own, so every figure adds up.
    restore_targets: int = _merged_by(_sum, 0)
    target_seconds_used: float = _merged_by(_sum, 0.0)
    target_seconds_available: float = _merged_by(_sum, 0.0)
    # Of the restores, those the successful-restore property sent to keep the targets busy (run/keepbusy.py).
    restores_keeping_targets_busy: int = _merged_by(_sum, 0)
    first_failure_after_s: float | None = _merged_by(_earliest)  # seconds from the start to the first failure
    workers: int = _merged_by(len, 1)
    # When the run started (time.monotonic()): the restores' timeline and the first failure count from it. Not a
    # field: a worker's clock means nothing to the controller.
    started: InitVar[float | None] = None

    def __post_init__(self, started: float | None) -> None:
        self._started = time.monotonic() if started is None else started
        self._lock = threading.Lock()  # background verifications write while the test's thread does

    @property
    def started_at(self) -> float:
        return self._started

    @property
    def restores_started(self) -> int:
        """Restores answered 200: the answers counted, not a second count."""
        return self.statuses[200]

    @property
    def utilisation(self) -> float | None:
        """Restore-target-seconds used / available, 0 to 1 (None: the run had no restore target time at all)."""
        if self.target_seconds_available <= 0:
            return None
        return round(self.target_seconds_used / self.target_seconds_available, 3)

    @property
    def coverage(self) -> list[Covered]:
        """The documented-behaviour coverage table, from the causes and capabilities (merged ones included)."""
        return coverage(self.causes, self.capabilities, self.setup_failed, self.interrupted)

    @property
    def timeline(self) -> list[Restore]:
        """The restores in the order they were sent (a background verification may end after a later one)."""
        return sorted(self.restores, key=_when)

    def since_start(self) -> float:
        return time.monotonic() - self._started

    def merge(self, tally: Tally) -> None:
        """One request's checks' figures, in one step."""
        with self._lock:
            self.checked.update(tally.checked)
            self.deviations.update(tally.deviations)
            self.statuses.update(tally.statuses)
            self.causes.update(tally.causes)

    def restored(self, target: str, started: float, ok: bool) -> None:
        """A restore that answered 200 at `started` (seconds into the run) has been verified, or has failed."""
        with self._lock:
            seconds = round(self.since_start() - started, 2)
            self.restores.append(Restore(target, round(started, 2), seconds, ok))

    def reached(self, what: str) -> None:
        with self._lock:
            self.lifecycle[what] += 1

    def failed(self, test: str, failure: str) -> None:
        with self._lock:
            self.failures[test] = failure
            if self.first_failure_after_s is None:
                self.first_failure_after_s = round(time.monotonic() - self._started, 1)

    def ended(self, test: str, outcome: Outcome) -> None:
        """A test's ending; a later phase's failure (teardown) is kept over an earlier pass."""
        with self._lock:
            if test not in self.tests or outcome.outcome != "passed":
                self.tests[test] = outcome

    def to_json(self) -> dict[str, Any]:
        """The machine-readable record (summary.json): JSON keys are strings, so status codes become strings; the
        restores in the order they were sent; the derived figures (restores started, coverage) written out."""
        data = {item.name: getattr(self, item.name) for item in dataclasses.fields(self)}
        return data | {
            "restores_started": self.restores_started,
            "utilisation": self.utilisation,
            "coverage": [dataclasses.asdict(row) for row in self.coverage],
            "statuses": {str(status): count for status, count in sorted(self.statuses.items())},
            "tests": {test: dataclasses.asdict(outcome) for test, outcome in self.tests.items()},
            "restores": [dataclasses.asdict(restore) for restore in self.timeline],
            **{name: list(getattr(self, name)) for name in _LISTS},
            **{name: dict(getattr(self, name)) for name in _DICTS + _COUNTED},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunRecord:
        known = {item.name for item in dataclasses.fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        typed: dict[str, Any] = {name: Counter(values[name]) for name in _COUNTED if name in values}
        typed["statuses"] = Counter({int(status): count for status, count in values.get("statuses", {}).items()})
        typed["tests"] = {test: Outcome.from_json(outcome) for test, outcome in values.get("tests", {}).items()}
        typed["restores"] = [Restore(**restore) for restore in values.get("restores", [])]
        return cls(**(values | typed))


def busy_percent(fraction: float) -> str:
    return f"{fraction * 100:.0f} %"


def _busy(record: RunRecord) -> str:
    """How busy the restore targets were kept, in words (the terminal summary and summary.md)."""
    assert record.utilisation is not None
    return (
        f"{busy_percent(record.utilisation)} busy ({record.target_seconds_used:.0f} of "
        f"{record.target_seconds_available:.0f} restore-target-seconds: {record.restore_targets} target(s), "
        "each restore from its request to its verification)"
    )


def _when(restore: Restore) -> float:
    return restore.started_s


# The fields to_json copies (the JSON never aliases the live record) and from_json types again.
_LISTS = (
    "leftovers",
    "guard_refusals",
    "stale_scratch_deleted",
    "stale_scratch_kept",
    "sacrificial_lease",
    "cut_short_by_budget",
)
_DICTS = ("target", "capabilities", "failures", "budget_shares_s")
_COUNTED = ("causes", "checked", "deviations", "lifecycle")


def merge(records: Iterable[RunRecord]) -> RunRecord:
    """Several workers' records as one run's: each field by its rule (the coverage table is counted from the merged
    causes and capabilities, as any record's is)."""
    parts = list(records)
    values = {
        item.name: item.metadata["merge"]([getattr(part, item.name) for part in parts])
        for item in dataclasses.fields(RunRecord)
    }
    return RunRecord(**values)


def _paced(record: RunRecord) -> str:
    if record.paced_per_second is None:
        return ""
    return f"; paced to {record.paced_per_second:g} requests/s after the server's 429s"


def render(record: RunRecord) -> list[Line]:
    """The summary's lines, in the order people read them: where and how, the coverage table, then the detail."""
    lines: list[Line] = []
    workers = f" ({record.workers} workers)" if record.workers > 1 else ""
    lines.append(
        (
            f"target: {record.target['name']}{workers}; requests sent: {record.requests}; transient answers "
            f"retried: {record.retries} ({record.waited_for_retries_s:.1f} s waited){_paced(record)}",
            None,
        )
    )
    how = f"seed {record.seed}" if record.seed is not None else record.generation
    lines.append((f"hypothesis profile: {record.profile} ({how}; a failure prints its seed or blob)", None))
    if record.budget_s is not None or record.verified_in_background:
        budget = f"{record.budget_s:.0f} s" if record.budget_s is not None else "none"
        cut = record.cut_short_by_budget
        lines.append(
            (
                f"time: {record.elapsed_s} s of a budget of {budget}"
                + (f"; {len(cut)} test(s) ended by their share of it" if cut else "")
                + f"; restores verified in the background: {record.verified_in_background} "
                f"({record.in_flight_average} in flight on average, at most {record.in_flight_most})",
                None,
            )
        )
    if record.utilisation is not None:
        lines.append((f"restore targets: {_busy(record)}", None))
    if record.partial:
        lines.append(("PARTIAL run (--partial): what it could not reach is listed below", "yellow"))
    if record.interrupted:
        lines.append((f"INTERRUPTED by {record.interrupted}: below is what it reached before it stopped", "red"))
    lines += [(line, "yellow" if "NOT CHECKED" in line else None) for line in render_coverage(record.coverage)]
    lines += [
        (f"scratch database an earlier run left, deleted: {stale}", None) for stale in record.stale_scratch_deleted
    ]
    lines += [(f"scratch database of another run: {kept}", "yellow") for kept in record.stale_scratch_kept]
    lines += [(line, "yellow") for line in record.sacrificial_lease]
    lines.append(("properties checked:", None))
    lines += [(f"  {name}: {count}", None) for name, count in sorted(record.checked.items())]
    statuses = ", ".join(f"{status} x{count}" for status, count in sorted(record.statuses.items()))
    lines.append((f"restore answers: {statuses or 'none'}", None))
    if record.lifecycle:
        reached = ", ".join(f"{what} x{count}" for what, count in sorted(record.lifecycle.items()))
        lines.append((f"lifecycle state machine: {reached}", None))
    if record.failures:
        lines.append((f"failures ({len(record.failures)}; each with its request, token redacted):", None))
        lines += [(f"  {test}: {failure}", None) for test, failure in record.failures.items()]
    if record.deviations:
        lines.append(("documentation deviations tolerated (reported, not failed):", None))
        by_count = sorted(record.deviations.items(), key=lambda item: -item[1])
        lines += [(f"  {text} (x{count})", None) for text, count in by_count]
    lines += [(f"SAFETY GUARD refused (never sent): {refused}", "red") for refused in record.guard_refusals]
    lines += [(f"scratch database NOT deleted, remove it by hand: {leftover}", "red") for leftover in record.leftovers]
    return lines
