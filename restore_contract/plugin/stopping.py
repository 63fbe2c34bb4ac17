"""A contract run that stops before it starts: where its reports go, and the one line that stops it.

Light (the settings table and the report writer): the entry module checks what the settings table can check by
itself here, before the suite's modules are imported (~2 s of CPU), so the commonest mistakes (a number out of range,
an unknown target) are one line at the price of pytest's own start; `start.start` checks the rest with the same
parser, the preflight included."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from restore_contract.reporting.write import Destinations, clear_reports, write_stopped
from restore_contract.settings import SettingError, given_options, read


def reports_of(config: pytest.Config) -> Destinations:
    """Where the settings send the reports (plain paths: they cannot be wrong)."""
    paths = read(os.environ, given_options(config.getoption), only=("reports", "summary_json", "step_summary"))
    return Destinations(
        Path(paths.reports) if paths.reports else config.rootpath / "reports",
        Path(paths.summary_json) if paths.summary_json else None,
        Path(paths.step_summary) if paths.step_summary else None,
    )


def begin(config: pytest.Config) -> Destinations:
    """A contract run starting: an earlier run's reports go first, so a run that stops now or is killed later never
    leaves the last one's "passed" behind."""
    where = reports_of(config)
    clear_reports(where)
    return where


def settings_mistake(config: pytest.Config) -> str | None:
    """The line for a setting the table itself refuses (None: the table has nothing against them)."""
    try:
        read(os.environ, given_options(config.getoption))
    except SettingError as error:
        return f"restore-contract: {error}"
    return None


def stop(line: str, where: Destinations | None) -> int:
    """One line on the terminal, the same line in the reports; exit code 2."""
    print(line, file=sys.stderr, flush=True)
    if where is not None:
        write_stopped(where, line, 2)
    return 2
