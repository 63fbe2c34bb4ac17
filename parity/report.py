"""The parity report: what was compared with what, each divergence with its class and rule, the verdict."""

from __future__ import annotations

from collections import Counter
from typing import Any

from parity.compare import CONTRACT, SILENT, Divergence
from parity.known import Verdict
from parity.snapshot import Snapshot


def render(name: str, recorded: Snapshot, actual: Snapshot, verdict: Verdict, compared: str = "emulator") -> list[str]:
    """The report; `compared` names the side compared with the snapshot (the emulator, or another snapshot)."""
    everything = [*verdict.unlisted, *(divergence for divergence, _ in verdict.known)]
    classes = Counter(divergence.kind for divergence in everything)
    lines = [
        f"parity: snapshot {name} ({recorded.get('recorded_against', '?')})",
        f"    vs {actual.get('recorded_against', '?')}",
        f"{len(recorded['steps'])} steps; windows: {_windows(recorded, actual)}",
        f"{len(everything)} divergence(s): {classes[CONTRACT]} {CONTRACT}, {classes[SILENT]} {SILENT}; "
        f"{len(verdict.unlisted)} unlisted, {len(verdict.known)} known, {len(verdict.stale)} stale",
    ]
    lines += [_line("UNLISTED", divergence, compared) for divergence in verdict.unlisted]
    lines += [
        _line("known", divergence, compared) + f"\n      reviewed: {entry.reason}"
        for divergence, entry in verdict.known
    ]
    lines += [f"  STALE     {entry.describe()}: listed, no longer occurs (delete it)" for entry in verdict.stale]
    if verdict.unlisted:
        lines.append(
            "FAILED: fix the emulator, or review each unlisted divergence into parity/known-divergences.yaml "
            "with a reason"
        )
    else:
        lines.append("OK: no unlisted divergence")
    return lines


def _line(label: str, divergence: Divergence, compared: str) -> str:
    return (
        f"  {label:9} {divergence.kind:17} {divergence.key}: snapshot {divergence.recorded}, "
        f"{compared} {divergence.actual}\n      {divergence.rule}"
    )


def _windows(recorded: Snapshot, actual: Snapshot) -> str:
    """Whether each 409 window was reached, on both sides: a closed one checked less."""
    theirs = {step["step"]: step for step in actual["steps"]}
    shown = []
    for step in recorded["steps"]:
        if "window" in step or "window" in theirs.get(step["step"], {}):
            other: dict[str, Any] = theirs.get(step["step"], {})
            shown.append(f"{step['step']} {step.get('window', '-')}/{other.get('window', '-')}")
    return ", ".join(shown) or "none"
