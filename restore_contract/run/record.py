"""The run record: what a contract run did and found, typed, with the rule by which workers' records merge.

One record per pytest session; under pytest-xdist each worker sends its own to the controller (`to_json` /
`from_json`), which merges them field by field (`merge`: each field names its rule) and prints one summary
(`render`) and writes one record, as a single process would. The terminal summary, summary.json, summary.md, the
pictures and the JUnit properties are all made from this one record, never from live objects, so they say the same.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from restore_contract.run.coverage import coverage
from restore_contract.run.coverage import render as render_coverage

Line = tuple[str, str | None]  # text, and its colour (None, yellow, red)
Rule = Callable[[list[Any]], Any]  # the workers' values of a field → the run's


def _first(values: list[Any]) -> Any:
    """The same in every worker (the run's settings): the first worker's."""
    return values[0]


def _first_set(values: list[Any]) -> Any:
    return next((value for value in values if value is not None), None)


def _sum(values: list[Any]) -> Any:
    return round(sum(values), 3)


def _most(values: list[Any]) -> Any:
    """The largest of the workers' values; None (a worker that ran no driver test: no time of its own) is none."""
    return max((value for value in values if value is not None), default=None)


def _earliest(values: list[Any]) -> Any:
    """The first failure of the run: the earliest of any worker's (None: no worker failed)."""
    found = [value for value in values if value is not None]
    return min(found) if found else None


def _counted(values: list[Any]) -> Any:
    total: Counter[str] = Counter()
    for value in values:
        total.update(value)
    return dict(total)


def _joined(values: list[Any]) -> Any:
    return [item for value in values for item in value]


def _keyed(values: list[Any]) -> Any:
    return {key: item for value in values for key, item in value.items()}


def _met_by_any(values: list[Any]) -> Any:
    """A need is met when any worker met it."""
    return {need: any(value.get(need, False) for value in values) for need in values[0]}


def _on_one_timeline(values: list[Any]) -> Any:
    return sorted(_joined(values), key=lambda restore: restore["started_s"])


def _derived(values: list[Any]) -> Any:
    """Computed from the merged fields afterwards (`merge`), not from the workers' values."""
    return values[0]


def _merged_by(rule: Rule, default: Any = None, factory: Callable[[], Any] | None = None) -> Any:
    if factory is not None:
        return field(default_factory=factory, metadata={"merge": rule})
    return field(default=default, metadata={"merge": rule})


@dataclass
class RunRecord:
    exit_status: int = _merged_by(_most, 0)
    target: dict[str, str] = _merged_by(_first, factory=dict)
    profile: str = _merged_by(_first, "")
    seed: int | str | None = _merged_by(_first)
    generation: str = _merged_by(_first, "")
    partial: bool = _merged_by(_first, False)
    requests: int = _merged_by(_sum, 0)
    retries: int = _merged_by(_sum, 0)
    waited_for_retries_s: float = _merged_by(_sum, 0.0)
    restores_started: int = _merged_by(_sum, 0)
    leftovers: list[str] = _merged_by(_joined, factory=list)
    guard_refusals: list[str] = _merged_by(_joined, factory=list)
    stale_scratch_deleted: list[str] = _merged_by(_joined, factory=list)
    stale_scratch_kept: list[str] = _merged_by(_joined, factory=list)
    sacrificial_lease: list[str] = _merged_by(_joined, factory=list)  # not used (another run's lease), a stale one gone
    setup_failed: str | None = _merged_by(_first_set)
    interrupted: str | None = _merged_by(_first_set)  # by what (SIGINT, SIGTERM), when the run was stopped early
    capabilities: dict[str, bool] = _merged_by(_met_by_any, factory=dict)
    causes: dict[str, int] = _merged_by(_counted, factory=dict)
    coverage: list[dict[str, Any]] = _merged_by(_derived, factory=list)
    checked: dict[str, int] = _merged_by(_counted, factory=dict)
    statuses: dict[str, int] = _merged_by(_counted, factory=dict)
    deviations: dict[str, int] = _merged_by(_counted, factory=dict)
    lifecycle: dict[str, int] = _merged_by(_counted, factory=dict)
    failures: dict[str, str] = _merged_by(_keyed, factory=dict)
    tests: dict[str, dict[str, Any]] = _merged_by(_keyed, factory=dict)
    restores: list[dict[str, Any]] = _merged_by(_on_one_timeline, factory=list)
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
    first_failure_after_s: float | None = _merged_by(_earliest)
    workers: int = _merged_by(len, 1)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunRecord:
        known = {item.name for item in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})


def merge(records: Iterable[RunRecord]) -> RunRecord:
    """Several workers' records as one run's: each field by its rule; the coverage table is counted again from the
    merged causes and capabilities."""
    parts = list(records)
    values = {
        item.name: item.metadata["merge"]([getattr(part, item.name) for part in parts])
        for item in dataclasses.fields(RunRecord)
    }
    merged = RunRecord(**values)
    merged.coverage = coverage(merged.causes, merged.capabilities, merged.setup_failed, merged.interrupted)
    return merged


def render(run: RunRecord) -> list[Line]:
    """The summary's lines, in the order people read them: where and how, the coverage table, then the detail."""
    record = run.to_json()
    lines: list[Line] = []
    workers = f" ({record['workers']} workers)" if record["workers"] > 1 else ""
    lines.append(
        (
            f"target: {record['target']['name']}{workers}; requests sent: {record['requests']}; transient answers "
            f"retried: {record['retries']} ({record['waited_for_retries_s']:.1f} s waited)",
            None,
        )
    )
    how = f"seed {record['seed']}" if record.get("seed") is not None else record.get("generation", "random seed")
    lines.append((f"hypothesis profile: {record['profile']} ({how}; a failure prints its seed or blob)", None))
    if record.get("budget_s") is not None or record.get("verified_in_background"):
        budget = f"{record['budget_s']:.0f} s" if record.get("budget_s") is not None else "none"
        cut = record.get("cut_short_by_budget", [])
        lines.append(
            (
                f"time: {record['elapsed_s']} s of a budget of {budget}"
                + (f"; {len(cut)} test(s) ended by their share of it" if cut else "")
                + f"; restores verified in the background: {record['verified_in_background']} "
                f"({record['in_flight_average']} in flight on average, at most {record['in_flight_most']})",
                None,
            )
        )
    if record.get("partial"):
        lines.append(("PARTIAL run (--partial): what it could not reach is listed below", "yellow"))
    if record.get("interrupted"):
        lines.append((f"INTERRUPTED by {record['interrupted']}: below is what it reached before it stopped", "red"))
    lines += [(line, "yellow" if "NOT CHECKED" in line else None) for line in render_coverage(record["coverage"])]
    lines += [
        (f"scratch database an earlier run left, deleted: {stale}", None) for stale in record["stale_scratch_deleted"]
    ]
    lines += [(f"scratch database of another run: {kept}", "yellow") for kept in record.get("stale_scratch_kept", [])]
    lines += [(line, "yellow") for line in record.get("sacrificial_lease", [])]
    lines.append(("properties checked:", None))
    lines += [(f"  {name}: {count}", None) for name, count in sorted(record["checked"].items())]
    statuses = ", ".join(f"{status} x{count}" for status, count in sorted(record["statuses"].items()))
    lines.append((f"restore answers: {statuses or 'none'}", None))
    if record["lifecycle"]:
        reached = ", ".join(f"{what} x{count}" for what, count in sorted(record["lifecycle"].items()))
        lines.append((f"lifecycle state machine: {reached}", None))
    if record["failures"]:
        lines.append((f"failures ({len(record['failures'])}; each with its request, token redacted):", None))
        lines += [(f"  {test}: {failure}", None) for test, failure in record["failures"].items()]
    if record["deviations"]:
        lines.append(("documentation deviations tolerated (reported, not failed):", None))
        by_count = sorted(record["deviations"].items(), key=lambda item: -item[1])
        lines += [(f"  {text} (x{count})", None) for text, count in by_count]
    lines += [(f"SAFETY GUARD refused (never sent): {refused}", "red") for refused in record["guard_refusals"]]
    lines += [
        (f"scratch database NOT deleted, remove it by hand: {leftover}", "red") for leftover in record["leftovers"]
    ]
    return lines
