"""How a run ends: its record built (each xdist worker's sent to the controller and merged there), written to the
reports, summary.json and the JUnit properties, and printed as the terminal summary with every skipped check."""

from __future__ import annotations

import json
from typing import Any

import pytest

from restore_contract.compat import tear_down_session_fixtures, xml_key
from restore_contract.plugin.scope import is_xdist_worker
from restore_contract.plugin.session import run_of
from restore_contract.reporting.write import Destinations, junit_properties, where_written, write_reports
from restore_contract.run.record import RunRecord, merge, render

WORKER_RECORD = "restore_contract_record"  # the key a worker's record travels under (xdist's workeroutput)


@pytest.hookimpl(tryfirst=True)  # before the JUnit plugin writes its file, so the record's figures are in it
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The run's record: built by every session that ran the suite; under pytest-xdist each worker sends its own to
    the controller, which merges them. Written to --summary-json by whoever prints the summary."""
    config, run = session.config, run_of(session.config)
    # A run stopped by pytest.exit or an interrupt tears its session fixtures down only after this hook: done here
    # first, the pool has deleted its databases and the target has counted its requests before the record is written.
    tear_down_session_fixtures(session)
    seed = config.getoption("hypothesis_seed", None)
    if is_xdist_worker(config):
        if run.target_built:
            shipped = json.dumps(run.finish(exitstatus, seed).to_json())
            config.workeroutput[WORKER_RECORD] = shipped  # type: ignore[attr-defined]
        return
    if run.worker_records:  # the controller ran no test: its record is the workers' merged
        run.record = merge(run.worker_records)
        run.record.exit_status = int(exitstatus)
    elif run.target_built:
        run.finish(exitstatus, seed)
    else:
        return
    run.written = write_reports(run.reports or Destinations(config.rootpath / "reports"), run.record)
    junit = config.stash.get(xml_key, None)  # pytest's own JUnit report, written after this hook
    if junit is not None:
        for name, value in junit_properties(run.record).items():
            junit.add_global_property(name, value)


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: the controller, when a worker has finished
def pytest_testnodedown(node: Any, error: object) -> None:
    shipped = getattr(node, "workeroutput", {}).get(WORKER_RECORD)
    if shipped:
        run_of(node.config).worker_records.append(RunRecord.from_json(json.loads(shipped)))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """The run's summary, then every skip with its reason, not only under -ra: a skipped test is a check that did
    not run here (the drift comparison without an upstream document, a live run's tests that need the emulator)."""
    run = run_of(config)
    if run.written:  # the record was made and written (a run that ran the suite)
        terminalreporter.section("restore contract summary")
        for line, colour in render(run.record):
            terminalreporter.write_line(line, **({colour: True} if colour else {}))
    skipped = [report for report in terminalreporter.stats.get("skipped", []) if report.when in ("setup", "call")]
    if not skipped:
        return
    terminalreporter.section("checks not run here (skipped)", yellow=True)
    for report in skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        terminalreporter.write_line(f"{report.nodeid}: {reason.removeprefix('Skipped: ')}", yellow=True)


@pytest.hookimpl(trylast=True)  # after pytest's own last line ("N passed in …"), so this one ends the output
def pytest_unconfigure(config: pytest.Config) -> None:
    """The run's last line says where its reports went (a run that stops on a mistake in its settings says it
    where it stops: plugin/start.py)."""
    run = run_of(config)
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    if run.written and terminal is not None:
        terminal.write_line(where_written(run.written))
