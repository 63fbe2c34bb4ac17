"""Pictures where people would rather look than read: the coverage table as bars, and the restore timeline of a
run (when each restore started, how long its recovery and verification took, which failed), as SVG.

pygal draws them: pure Python, SVG only, imported here and nowhere else, so only a run that writes its reports
pays for it (about 0.05 s), after its tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def coverage_svg(record: Mapping[str, Any]) -> str:
    import pygal

    chart = pygal.HorizontalBar(
        title="Documented behaviour exercised (times)", show_legend=False, height=420, print_values=True
    )
    rows = list(reversed(record["coverage"]))  # the table's order, top to bottom
    chart.x_labels = [f"{row['answer']} {row['cause'][:48]}" for row in rows]
    chart.add("exercised", [row["exercised"] for row in rows])
    rendered: str = chart.render(is_unicode=True)
    return rendered


def timeline_svg(record: Mapping[str, Any]) -> str | None:
    """One line per successful restore, from its 200 to the end of its verification; None without restores."""
    restores = record.get("restores") or []
    if not restores:
        return None
    import pygal

    chart = pygal.XY(
        title="Restores: from the 200 to the end of verification (recovering → ready, data, credentials)",
        x_title="seconds since the run started",
        y_title="restore",
        stroke=True,
        allow_interruptions=True,
        show_dots=False,
        height=420,
    )
    for outcome in ("verified", "failed"):
        points: list[tuple[float, int] | None] = []
        for number, restore in enumerate(restores, start=1):
            if restore["ok"] == (outcome == "verified"):
                points += [(restore["started_s"], number), (restore["started_s"] + restore["seconds"], number), None]
        chart.add(outcome, points)
    rendered: str = chart.render(is_unicode=True)
    return rendered
