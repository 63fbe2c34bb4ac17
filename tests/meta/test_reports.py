"""Every contract run leaves its reports: reports/summary.json (the run record), summary.md (the same for people,
the coverage table first), the pictures it links, the GitHub job summary when there is one, and the summary's
figures as JUnit properties. Shown on a real run, each output read back on its own (the terminal's summary lines,
the JSON, the Markdown's sentence and tables, the JUnit properties) and its figures compared with the terminal's:
an output that says another number than the terminal fails, whichever of the two is wrong."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from tests.meta.conftest import run_suite_with
from tests.meta.records import PACED_PART, terminal_figures

_MD_RUN = re.compile(
    r"^Target \*\*(?P<target>[^*]+)\*\*(?:, \d+ workers)?, profile \*\*(?P<profile>[^*]+)\*\* \(.*\), "
    r"(?P<requests>\d+) requests, (?P<retries>\d+) transient answers retried \((?P<waited>\d+\.\d) s waited\)"
    + PACED_PART
    + r"\.$",
    re.MULTILINE,
)
_MD_TABLES = {  # heading → (figure, the columns that name a row, the column that counts it)
    "## Documented behaviour coverage": ("coverage", 2, 2),
    "## Properties checked": ("checked", 1, 1),
    "## Restore answers": ("statuses", 1, 1),
    "## Lifecycle state machine": ("lifecycle", 1, 1),
}


def _table_rows(text: str, heading: str) -> list[list[str]]:
    """The body rows of the table under `heading` (cells unescaped); none when the heading is not there."""
    if heading + "\n" not in text:
        return []
    after = text[text.index(heading + "\n") + len(heading) + 1 :].lstrip("\n").splitlines()
    rows = []
    for line in after[2:]:  # after the header and the rule
        if not line.startswith("|"):
            break
        cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
        rows.append([cell.strip().replace("\\|", "|") for cell in cells])
    return rows


def markdown_figures(text: str) -> dict[str, Any]:
    """The figures summary.md (or the job summary) shows: its opening sentence and its tables."""
    run = _MD_RUN.search(text)
    assert run is not None, f"no run sentence in the Markdown:\n{text[:600]}"
    figures: dict[str, Any] = {"target": run["target"], "profile": run["profile"], "waited_s": run["waited"]}
    figures["paced"] = run["paced"]
    figures |= {"requests": int(run["requests"]), "retries": int(run["retries"])}
    for heading, (figure, named_by, counted) in _MD_TABLES.items():
        figures[figure] = {" ".join(row[:named_by]): int(row[counted]) for row in _table_rows(text, heading)}
    return figures


def json_figures(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "target": record["target"]["name"],
        "profile": record["profile"],
        "requests": record["requests"],
        "retries": record["retries"],
        "waited_s": f"{record['waited_for_retries_s']:.1f}",
        "paced": None if record["paced_per_second"] is None else f"{record['paced_per_second']:g}",
        "coverage": {f"{row['answer']} {row['cause']}": row["exercised"] for row in record["coverage"]},
        "checked": record["checked"],
        "statuses": {str(status): count for status, count in record["statuses"].items()},
        "lifecycle": record["lifecycle"],
    }


def junit_figures(properties: dict[str, str]) -> dict[str, Any]:
    """The figures among the JUnit properties (of the restore answers, only the 200s: restores_started)."""
    prefix = "restore_contract."

    def under(group: str) -> dict[str, int]:
        start = f"{prefix}{group}."
        return {name.removeprefix(start): int(value) for name, value in properties.items() if name.startswith(start)}

    return {
        "target": properties[f"{prefix}target"],
        "profile": properties[f"{prefix}profile"],
        "requests": int(properties[f"{prefix}requests"]),
        "retries": int(properties[f"{prefix}retries"]),
        "waited_s": f"{float(properties[f'{prefix}waited_for_retries_s']):.1f}",
        "coverage": under("coverage"),
        "checked": under("checked"),
        "restores_started": int(properties[f"{prefix}restores_started"]),
    }


def differences(output: str, figures: dict[str, Any], terminal: dict[str, Any]) -> list[str]:
    """Where `output` says another figure than the terminal did (only the figures `output` has)."""
    said = {**terminal, "restores_started": terminal["statuses"].get("200", 0)}
    return [
        f"{output}: {key} is {value!r}, the terminal said {said[key]!r}"
        for key, value in figures.items()
        if value != said[key]
    ]


def test_a_contract_run_writes_reports_that_say_what_the_terminal_said(tmp_path: Path) -> None:
    reports, page, junit = tmp_path / "reports", tmp_path / "step-summary.md", tmp_path / "junit.xml"
    env = {"PRISMA_CONTRACT_REPORTS": str(reports), "GITHUB_STEP_SUMMARY": str(page)}
    done = run_suite_with(env, f"--junitxml={junit}", "-k", "not lifecycle and not schemathesis")
    assert done.returncode == 0, done.stdout[-3000:]

    terminal = terminal_figures(done.stdout)
    # The run checked something, so the comparisons below compare figures, not empty tables.
    assert terminal["requests"] > 0, terminal
    assert terminal["statuses"].get("200", 0) > 0, terminal
    assert terminal["checked"], terminal
    assert len(terminal["coverage"]) >= 10, terminal

    record = json.loads((reports / "summary.json").read_text())
    summary = (reports / "summary.md").read_text()
    step_summary = page.read_text()
    properties = {p.get("name"): p.get("value") for p in ET.parse(junit).getroot().iter("property")}
    outputs = {
        "reports/summary.json": json_figures(record),
        "reports/summary.md": markdown_figures(summary),
        "the job summary ($GITHUB_STEP_SUMMARY)": markdown_figures(step_summary),
        "the JUnit properties": junit_figures({str(name): str(value) for name, value in properties.items()}),
    }
    wrong = [difference for name, figures in outputs.items() for difference in differences(name, figures, terminal)]
    assert not wrong, "\n".join(wrong)

    assert summary.startswith("# Restore contract run: passed")
    first_table = summary[summary.index("|") :]
    assert first_table.startswith("| answer | cause | exercised |"), "the coverage table comes first"
    for picture in ("coverage.svg", "restores.svg"):
        assert f"]({picture})" in summary, f"{picture} is linked"
        assert (reports / picture).read_text().lstrip().startswith(("<?xml", "<svg")), picture
    assert "# Restore contract run: passed" in step_summary
    assert "](coverage.svg)" not in step_summary, "a job summary cannot show a picture from the artefact"
    assert record["exit_status"] == 0
    assert properties["restore_contract.exit_status"] == "0"

    # The terminal ends by saying where all of that went, by the paths the run really used.
    assert_the_last_line_names_the_reports(done.stdout, reports)


def assert_the_last_line_names_the_reports(output: str, reports: Path) -> None:
    """The output's last line starts `reports: ` with summary.md's full path, and names every other file there."""
    last = output.rstrip("\n").rsplit("\n", 1)[-1]
    assert last.startswith(f"reports: {reports.resolve() / 'summary.md'}"), f"the last line is {last!r}"
    written = sorted(path.name for path in reports.iterdir())
    assert "summary.md" in written, written
    assert all(name in last for name in written), f"{last!r} does not name all of {written}"


def test_a_run_stopped_by_a_wrong_setting_is_one_line_and_its_report_says_why(tmp_path: Path) -> None:
    """A configuration mistake is one line on the terminal (the standard for every mistake); its reports, where the
    user set them, replace the last run's with that line."""
    reports = tmp_path / "elsewhere"
    done = run_suite_with({"PRISMA_CONTRACT_REPORTS": str(reports), "PRISMA_CONTRACT_BUDGET": "-1"})
    assert done.returncode == 2, done.stdout[-3000:] + done.stderr[-3000:]
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("restore-contract: ")
    assert "PRISMA_CONTRACT_BUDGET" in lines[0]
    assert "PRISMA_CONTRACT_BUDGET" in (reports / "summary.md").read_text()
