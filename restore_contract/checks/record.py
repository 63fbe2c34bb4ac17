"""The run record: what a contract run did and found, as plain JSON-ready data, and the summary printed from it.

One record per pytest session; under pytest-xdist each worker sends its own to the controller, which merges them
(`merge`) and prints one summary (`render`) and writes one record, as a single process would. Printing from the
record, never from live objects, keeps the terminal, the JSON file and the merged run saying the same thing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from restore_contract.checks.coverage import coverage
from restore_contract.checks.coverage import render as render_coverage

Record = dict[str, Any]
Line = tuple[str, str | None]  # text, and its colour (None, yellow, red)

_SUMMED = ("requests", "retries", "waited_for_retries_s", "verified_in_background", "restores_started")
_COUNTED = ("checked", "statuses", "deviations", "lifecycle", "causes")
_LISTED = (
    "leftovers",
    "guard_refusals",
    "stale_scratch_deleted",
    "stale_scratch_kept",
    "cut_short_by_budget",
    "restores",
)
_KEYED = ("failures", "tests")


def merge(records: Iterable[Record]) -> Record:
    """Several workers' records as one run's: counts add up, lists and tests join, the coverage table is counted
    again from the merged causes (a need is met when any worker met it), the longest run's times are the run's."""
    parts = list(records)
    if not parts:
        return {}
    merged: Record = dict(parts[0])
    for key in _SUMMED:
        merged[key] = round(sum(part.get(key, 0) for part in parts), 3)
    for key in _COUNTED:
        total: Counter[str] = Counter()
        for part in parts:
            total.update(part.get(key, {}))
        merged[key] = dict(total)
    for key in _LISTED:
        merged[key] = [item for part in parts for item in part.get(key, [])]
    merged["restores"].sort(key=lambda restore: restore["started_s"])  # every worker's, on one timeline
    for key in _KEYED:
        merged[key] = {name: value for part in parts for name, value in part.get(key, {}).items()}
    has = {
        need: any(part.get("capabilities", {}).get(need, False) for part in parts)
        for need in parts[0].get("capabilities", {})
    }
    merged["capabilities"] = has
    merged["coverage"] = coverage(merged["causes"], has)
    merged["exit_status"] = max(part.get("exit_status", 0) for part in parts)
    merged["elapsed_s"] = max(part.get("elapsed_s", 0.0) for part in parts)
    merged["in_flight_most"] = sum(part.get("in_flight_most", 0) for part in parts)
    merged["in_flight_average"] = round(sum(part.get("in_flight_average", 0.0) for part in parts), 2)
    merged["workers"] = len(parts)
    return merged


def render(record: Mapping[str, Any]) -> list[Line]:
    """The summary's lines, in the order people read them: where and how, the coverage table, then the detail."""
    lines: list[Line] = []
    workers = f" ({record['workers']} workers)" if record.get("workers", 1) > 1 else ""
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
    lines += [(line, "yellow" if "NOT CHECKED" in line else None) for line in render_coverage(record["coverage"])]
    lines += [
        (f"scratch database an earlier run left, deleted: {stale}", None) for stale in record["stale_scratch_deleted"]
    ]
    lines += [(f"scratch database of another run: {kept}", "yellow") for kept in record.get("stale_scratch_kept", [])]
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
