"""Pictures where people would rather look than read: the coverage table as bars, and the restore timeline of a
run (when each restore started, how long its recovery and verification took, which failed), as SVG.

pygal draws them: pure Python, SVG only, imported here and nowhere else, so only a run that writes its reports
pays for it (about 0.05 s), after its tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the record's types, for checking only (why: reporting/write.py)
    from restore_contract.run.coverage import Covered
    from restore_contract.run.record import RunRecord


# Each outcome of a restore's verification and its colour. pygal colours series by the order they are added
# (series N, its line and its legend box, take the style's N-th colour), so the series are added in this order and
# the style's colours are these, in the same order: verified green, failed red, in the lines and in the legend.
OUTCOME_COLOURS = {"verified": "#2E7D32", "failed": "#C62828"}
CHAR_WIDTH = 0.6  # pygal's estimate of a character's width, in font sizes (its fonts are monospaced)
WIDTH = 800  # pixels: the pictures' usual width, wider when the labels need it


def coverage_label(row: Covered) -> str:
    """A coverage row's label, whole: the answer and its cause, as in the table."""
    return row.label


def coverage_svg(record: RunRecord) -> str:
    import pygal
    from pygal.style import Style

    style = Style()
    rows = list(reversed(record.coverage))  # the table's order, top to bottom
    labels = [coverage_label(row) for row in rows]
    # pygal sets the left margin from the longest label; the bars keep WIDTH's room beside it, so no label is cut
    # and no bar is squeezed
    label_width = max(map(len, labels)) * CHAR_WIDTH * style.label_font_size
    chart = pygal.HorizontalBar(
        title="Documented behaviour exercised (times)",
        show_legend=False,
        height=420,
        width=int(WIDTH / 2 + label_width),
        print_values=True,
        truncate_label=-1,  # never: a label is the row's whole answer and cause
        style=style,
    )
    chart.x_labels = labels
    chart.add("exercised", [row.exercised for row in rows])
    rendered: str = chart.render(is_unicode=True)
    return rendered


def timeline_svg(record: RunRecord) -> str | None:
    """One line per successful restore, from its 200 to the end of its verification; None without restores."""
    restores = record.timeline
    if not restores:
        return None
    import pygal
    from pygal.style import Style

    chart = pygal.XY(
        title="Restores: from the 200 to the end of verification (recovering → ready, data, credentials)",
        x_title="seconds since the run started",
        y_title="restore",
        stroke=True,
        allow_interruptions=True,
        show_dots=False,
        height=420,
        width=WIDTH,
        style=Style(colors=tuple(OUTCOME_COLOURS.values()), stroke_width="3"),
    )
    for outcome in OUTCOME_COLOURS:  # in the style's order: see OUTCOME_COLOURS
        points: list[tuple[float, int] | None] = []
        for number, restore in enumerate(restores, start=1):
            if restore.ok == (outcome == "verified"):
                points += [(restore.started_s, number), (restore.started_s + restore.seconds, number), None]
        chart.add(outcome, points)
    rendered: str = chart.render(is_unicode=True)
    return rendered
