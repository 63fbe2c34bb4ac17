"""The parity report: what was compared with what, the contract-relevant divergences one by one (each with its rule),
the docs-silent ones counted per kind (listed one by one on request), stale entries, the verdict."""

from __future__ import annotations

from collections import Counter
from typing import Any

from restore_contract.parity.compare import CONTRACT, SILENT, Divergence
from restore_contract.parity.known import Known, Verdict
from restore_contract.parity.snapshot import Snapshot

# The docs-silent kinds (a rule's prefix), in the order `parity.compare` states them; any other comes after.
SILENT_KINDS = (
    "which code",
    "timing",
    "error code",
    "id format",
    "list order",
    "extra resource",
    "extra field",
    "value",
)
STEPS_SHOWN = 4  # steps named on a kind's line


def render(
    name: str,
    recorded: Snapshot,
    actual: Snapshot,
    verdict: Verdict,
    compared: str = "emulator",
    *,
    show_silent: bool = False,
) -> list[str]:
    """The report; `compared` names the side compared with the snapshot (the emulator, or another snapshot);
    `show_silent` lists every docs-silent divergence too (by default only their count per kind)."""
    reviewed: list[tuple[Divergence, Known | None]] = [
        *((divergence, None) for divergence in verdict.unlisted),
        *verdict.known,
    ]
    contract = [(d, entry) for d, entry in reviewed if d.kind == CONTRACT]
    silent = [(d, entry) for d, entry in reviewed if d.kind == SILENT]
    failing = verdict.failing
    lines = [
        f"parity: snapshot {name} ({recorded.get('recorded_against', '?')})",
        f"    vs {actual.get('recorded_against', '?')}",
        f"{len(recorded['steps'])} steps; windows: {_windows(recorded, actual)}",
        f"{len(reviewed)} divergence(s): {len(contract)} {CONTRACT} ({len(failing)} unlisted), {len(silent)} {SILENT} "
        f"({len(silent) - sum(1 for _, entry in silent if entry)} unlisted); {len(verdict.known)} known, "
        f"{len(verdict.stale)} stale",
    ]
    if contract:
        lines.append(f"{CONTRACT} (the docs decide):")
        lines += [_line(divergence, entry, compared) for divergence, entry in contract]
    if silent:
        hint = "each listed below" if show_silent else "--show-silent lists each"
        lines.append(f"{SILENT} (any correct server may differ here; {hint}), per kind:")
        lines += _kinds(silent)
        if show_silent:
            lines += [_line(divergence, entry, compared) for divergence, entry in silent]
    lines += [f"  STALE     {entry.describe()}: listed, no longer occurs (delete it)" for entry in verdict.stale]
    if failing:
        lines.append(
            f"FAILED: {len(failing)} unlisted {CONTRACT} divergence(s): fix the emulator, or review each into "
            "restore_contract/parity/known-divergences.yaml with a reason"
        )
    else:
        lines.append(f"OK: no unlisted {CONTRACT} divergence")
    return lines


def _line(divergence: Divergence, entry: Known | None, compared: str) -> str:
    label = "known" if entry is not None else ("UNLISTED" if divergence.kind == CONTRACT else "silent")
    line = (
        f"  {label:9} {divergence.key}: snapshot {divergence.recorded}, {compared} {divergence.actual}"
        f" ({divergence.rule})"
    )
    return line if entry is None else f"{line}\n      reviewed: {entry.reason}"


def _kinds(silent: list[tuple[Divergence, Known | None]]) -> list[str]:
    """One line per docs-silent kind: how many, how many of them reviewed, in which steps."""
    counts = Counter(divergence.category for divergence, _ in silent)
    order = [kind for kind in SILENT_KINDS if kind in counts] + sorted(set(counts) - set(SILENT_KINDS))
    lines = []
    for kind in order:
        of_kind = [(divergence, entry) for divergence, entry in silent if divergence.category == kind]
        steps = list(dict.fromkeys(divergence.step for divergence, _ in of_kind))
        shown = ", ".join(steps[:STEPS_SHOWN]) + (
            f", +{len(steps) - STEPS_SHOWN} more" if len(steps) > STEPS_SHOWN else ""
        )
        known = sum(1 for _, entry in of_kind if entry is not None)
        lines.append(f"  {len(of_kind):4}  {kind:14}  in {shown}" + (f" ({known} known)" if known else ""))
    return lines


def _windows(recorded: Snapshot, actual: Snapshot) -> str:
    """Whether each 409 window was reached, on both sides (with the status read just before): a closed one checked
    less."""
    theirs = {step["step"]: step for step in actual["steps"]}
    shown = []
    for step in recorded["steps"]:
        if "window" in step or "window" in theirs.get(step["step"], {}):
            other: dict[str, Any] = theirs.get(step["step"], {})
            shown.append(f"{step['step']} {_window(step)}/{_window(other)}")
    return ", ".join(shown) or "none"


def _window(step: dict[str, Any]) -> str:
    window = str(step.get("window", "-"))
    return f"{window} ({step['before']})" if "before" in step else window
