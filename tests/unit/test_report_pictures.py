"""The reports' pictures say what they show: in restores.svg each legend entry has its line's colour, verified green
and failed red (pygal colours series by the order they are added, not by their names); in coverage.svg every row's
label is whole and inside the picture. Read from the SVG itself, as a browser would draw it: the colour a legend box
or a line gets is the one the picture's style gives its `color-N` class."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter

import pytest

from restore_contract.reporting.pictures import coverage_svg, timeline_svg
from restore_contract.run.coverage import coverage
from restore_contract.run.record import RunRecord
from restore_contract.run.report import Restore

SVG = "{http://www.w3.org/2000/svg}"
# pygal's estimate of a character's width (its fonts are monospaced: DejaVu Sans Mono, Liberation Mono, 0.6 em)
CHAR_WIDTH = 0.6


def _colours(svg: str) -> dict[str, tuple[int, int, int]]:
    """Each `color-N` class → the colour the picture's style gives it."""
    found = re.findall(r"\.(color-\d+),[^{]*\{stroke:#([0-9A-Fa-f]{6});fill:#", svg)
    return {name: (int(hex_[0:2], 16), int(hex_[2:4], 16), int(hex_[4:6], 16)) for name, hex_ in found}


def _colour_class(element: ET.Element) -> str:
    [name] = [word for word in element.get("class", "").split() if word.startswith("color-")]
    return name


def _legend_and_lines(svg: str) -> dict[str, tuple[tuple[int, int, int], tuple[int, int, int] | None]]:
    """Each series' title → the colour of its legend box, and of its line (None: the series draws nothing)."""
    colours, root = _colours(svg), ET.fromstring(svg)
    lines = {
        group.get("class", "").split()[1]: colours[_colour_class(group)]
        for group in root.iter(f"{SVG}g")
        if group.get("class", "").startswith("series ") and group.find(f"{SVG}path") is not None
    }
    shown = {}
    for legend in root.iter(f"{SVG}g"):
        serie = (legend.get("id") or "").removeprefix("activate-serie-")
        if "legend" not in legend.get("class", "").split() or not serie.isdigit():
            continue
        box, title = legend.find(f"{SVG}rect"), legend.find(f"{SVG}text")
        assert box is not None, serie
        assert title is not None, serie
        assert title.text, serie
        shown[title.text] = (colours[_colour_class(box)], lines.get(f"serie-{serie}"))
    return shown


def _green(rgb: tuple[int, int, int]) -> bool:
    red, green, blue = rgb
    return green > red and green > blue


def _red(rgb: tuple[int, int, int]) -> bool:
    red, green, blue = rgb
    return red > green and red > blue


def _restores(*oks: bool) -> RunRecord:
    return RunRecord(restores=[Restore(f"db_{n}", started_s=1.0 + n, seconds=2.0, ok=ok) for n, ok in enumerate(oks)])


@pytest.mark.parametrize(
    "oks",
    [(True, False, True), (False, False), (True, True)],
    ids=["verified and failed", "only failed", "only verified"],
)
def test_each_legend_entry_has_its_lines_colour_verified_green_failed_red(oks: tuple[bool, ...]) -> None:
    svg = timeline_svg(_restores(*oks))
    assert svg is not None
    shown = _legend_and_lines(svg)
    assert set(shown) == {"verified", "failed"}, shown
    for title, (legend, line) in shown.items():
        assert line is None or line == legend, f"{title}: legend {legend}, line {line}"
    assert _green(shown["verified"][0]), f"verified is drawn in {shown['verified'][0]}, not green"
    assert _red(shown["failed"][0]), f"failed is drawn in {shown['failed'][0]}, not red"
    drawn = {title for title, (_, line) in shown.items() if line is not None}
    assert drawn == {"verified" if ok else "failed" for ok in oks}, "each outcome that happened has its lines"


def test_every_coverage_label_is_whole_and_inside_the_picture() -> None:
    causes = {"started: verified end to end": 130, "target-missing": 78, "body-malformed": 30}
    record = RunRecord(causes=Counter(causes), capabilities={"target": True, "backup": True, "data": True})
    table = record.coverage
    assert table == coverage(causes, {"target": True, "backup": True, "data": True})
    svg = coverage_svg(record)
    root = ET.fromstring(svg)
    _, _, width, _ = (float(value) for value in (root.get("viewBox") or "").split())
    plot = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "plot")
    found = re.fullmatch(r"translate\(([\d.]+), ([\d.]+)\)", plot.get("transform", ""))
    assert found, plot.get("transform")
    left = float(found.group(1))
    font = float(re.findall(r"\.axis text\{[^}]*font-size:(\d+)px", svg)[0])
    axis = next(g for g in plot.iter(f"{SVG}g") if g.get("class") == "axis y")
    labels = {text.text: float(text.get("x", "0")) for text in axis.iter(f"{SVG}text") if text.text}
    for row in table:
        label = f"{row.answer} {row.cause}"
        assert label in labels, f"{label!r} is not whole in coverage.svg: {sorted(labels)}"
        end = left + labels[label]  # the label ends here (text-anchor: end) and starts its width to the left
        assert end - len(label) * CHAR_WIDTH * font >= 0, f"{label!r} starts left of the picture"
        assert end <= width, f"{label!r} ends right of the picture"
