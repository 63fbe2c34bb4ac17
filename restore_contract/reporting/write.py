"""Write a run's reports: reports/summary.json (the record), summary.md (the same for people), the pictures, and in
GitHub Actions the Markdown appended to the job's summary page ($GITHUB_STEP_SUMMARY)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from restore_contract.reporting.markdown import COVERAGE_PICTURE, TIMELINE_PICTURE, markdown
from restore_contract.reporting.pictures import coverage_svg, timeline_svg

if TYPE_CHECKING:  # the record's types, for checking only: a run that stops before its tests (plugin/stopping.py)
    # writes its reports without importing the run's machinery and the targets the record's modules import
    from restore_contract.run.record import RunRecord


@dataclass(frozen=True)
class Destinations:
    """Where a run's reports go (the settings reports, summary_json and step_summary)."""

    folder: Path
    summary_json: Path | None = None  # a second copy of summary.json
    step_summary: Path | None = None  # GitHub Actions' job summary page ($GITHUB_STEP_SUMMARY), appended to


def write_json(path: Path, record: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def write_reports(where: Destinations, record: RunRecord) -> list[Path]:
    """Every report of the run; the files written."""
    folder = where.folder
    folder.mkdir(parents=True, exist_ok=True)
    data = record.to_json()  # summary.json: the record's JSON, as a worker sends it
    write_json(folder / "summary.json", data)
    pictures = {COVERAGE_PICTURE: coverage_svg(record), TIMELINE_PICTURE: timeline_svg(record)}
    drawn = [name for name, svg in pictures.items() if svg is not None]
    for name in drawn:
        (folder / name).write_text(pictures[name] or "", encoding="utf-8")
    text = markdown(record, drawn)
    (folder / "summary.md").write_text(text, encoding="utf-8")
    if where.step_summary:  # GitHub renders it on the run's page; a picture there cannot point into the artefact
        note = f"\nPictures: {', '.join(drawn)} in the run's uploaded `reports/`.\n" if drawn else ""
        with open(where.step_summary, "a", encoding="utf-8") as page:
            page.write(markdown(record, []) + note)
    written = [folder / "summary.json", folder / "summary.md", *(folder / name for name in drawn)]
    if where.summary_json is not None:
        write_json(where.summary_json, data)
        written.append(where.summary_json)
    return written


REPORT_FILES = ("summary.json", "summary.md", COVERAGE_PICTURE, TIMELINE_PICTURE)


def clear_reports(where: Destinations) -> None:
    """A run starting: an earlier run's reports go, so a run that fails to start or is killed never leaves the last
    one's "passed" behind."""
    for path in [where.folder / name for name in REPORT_FILES] + ([where.summary_json] if where.summary_json else []):
        path.unlink(missing_ok=True)


def write_stopped(where: Destinations, line: str, exit_status: int) -> list[Path]:
    """The reports of a run that stopped before it ran a test: the one line that says why; the files written."""
    folder = where.folder
    record = {"exit_status": exit_status, "stopped": line}
    records = [folder / "summary.json"] + ([where.summary_json] if where.summary_json else [])
    for path in records:
        write_json(path, record)
    text = f"# restore contract: stopped before any test ran\n\n{line}\n"
    (folder / "summary.md").write_text(text, encoding="utf-8")
    if where.step_summary:
        with open(where.step_summary, "a", encoding="utf-8") as page:
            page.write(text)
    return [folder / "summary.md", *records]


def where_written(files: Sequence[Path]) -> str:
    """The run's last terminal line: where its reports are, summary.md (the one to read) first, by its full path,
    then the others: by name when they are beside it, else by their full paths (--summary-json elsewhere)."""
    paths = [path.resolve() for path in files]
    first = next((path for path in paths if path.name == "summary.md"), paths[0])
    beside = [path.name for path in paths if path != first and path.parent == first.parent]
    elsewhere = [str(path) for path in paths if path != first and path.parent != first.parent]
    line = f"reports: {first}"
    if beside:
        line += f" (beside it: {', '.join(beside)})"
    if elsewhere:
        line += f"; also {', '.join(elsewhere)}"
    return line


def junit_properties(record: RunRecord) -> dict[str, str]:
    """The summary's figures as JUnit properties (name → value), for CI tools that read only the XML."""
    properties: dict[str, object] = {
        "restore_contract.exit_status": record.exit_status,
        "restore_contract.target": record.target["name"],
        "restore_contract.profile": record.profile,
        "restore_contract.requests": record.requests,
        "restore_contract.retries": record.retries,
        "restore_contract.waited_for_retries_s": record.waited_for_retries_s,
        "restore_contract.restores_started": record.restores_started,
        "restore_contract.leftovers": len(record.leftovers),
        "restore_contract.guard_refusals": len(record.guard_refusals),
        "restore_contract.failures": len(record.failures),
    }
    for row in record.coverage:
        properties[f"restore_contract.coverage.{row.label}"] = row.exercised
    for name, count in record.checked.items():
        properties[f"restore_contract.checked.{name}"] = count
    return {name: str(value) for name, value in properties.items()}
