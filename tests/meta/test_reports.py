"""Every contract run leaves its reports: reports/summary.json (the run record), summary.md (the same for people,
the coverage table first), the pictures it links, the GitHub job summary when there is one, and the summary's
figures as JUnit properties. Shown on a real run, checked against what the terminal said."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.meta.conftest import run_suite_with


def test_a_contract_run_writes_reports_that_say_what_the_terminal_said(tmp_path: Path) -> None:
    reports, page, junit = tmp_path / "reports", tmp_path / "step-summary.md", tmp_path / "junit.xml"
    env = {"PRISMA_CONTRACT_REPORTS": str(reports), "GITHUB_STEP_SUMMARY": str(page)}
    done = run_suite_with(env, f"--junitxml={junit}", "-k", "not lifecycle and not schemathesis")
    assert done.returncode == 0, done.stdout[-3000:]

    record = json.loads((reports / "summary.json").read_text())
    terminal = done.stdout
    sent = re.search(r"requests sent: (\d+)", terminal)
    assert sent is not None
    assert int(sent.group(1)) == record["requests"]
    for row in record["coverage"]:
        assert re.search(rf"{row['answer']} {re.escape(row['cause'])}\s+{row['exercised']}\b", terminal), row

    summary = (reports / "summary.md").read_text()
    assert summary.startswith("# Restore contract run: passed")
    first_table = summary[summary.index("|") :]
    assert first_table.startswith("| answer | cause | exercised |"), "the coverage table comes first"
    for row in record["coverage"]:
        assert f"| {row['answer']} | {row['cause']} | {row['exercised']} |" in summary
    for picture in ("coverage.svg", "restores.svg"):
        assert f"]({picture})" in summary, f"{picture} is linked"
        assert (reports / picture).read_text().lstrip().startswith(("<?xml", "<svg")), picture
    assert f"| 200 | {record['statuses']['200']} |" in summary

    step_summary = page.read_text()
    assert "# Restore contract run: passed" in step_summary
    assert "](coverage.svg)" not in step_summary, "a job summary cannot show a picture from the artefact"

    properties = {p.get("name"): p.get("value") for p in ET.parse(junit).getroot().iter("property")}
    assert properties["restore_contract.requests"] == str(record["requests"])
    assert properties["restore_contract.exit_status"] == "0"
    assert properties["restore_contract.coverage.404 target database not found"] == str(
        next(row["exercised"] for row in record["coverage"] if row["cause"] == "target database not found")
    )
