"""The runs reduced to the figures the JSON holds: medians, verdicts, the CLI's false alarms, ratios."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from bench.comparison.st_cli import CliRun
from bench.comparison.suite_runs import SuiteRun
from restore_contract.emulator import DESCRIPTIONS, Fault


def median(values: Sequence[float | int | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(statistics.median(present)) if present else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    return numerator / denominator if numerator is not None and denominator else None


def suite_summary(runs: list[SuiteRun], expected_exit: int) -> dict[str, Any]:
    return {
        "ok": sum(run.exit_code == expected_exit for run in runs),
        "runs": len(runs),
        "exit_codes": [run.exit_code for run in runs],
        "seconds_median": median([run.seconds for run in runs]),
        "requests_median": median([run.requests for run in runs]),
        "requests_per_s_median": median([run.requests_per_s for run in runs]),
        "failed_tests": sorted({run.failed_test for run in runs if run.failed_test}),
        "each": [asdict(run) for run in runs],
    }


def cli_summary(runs: list[CliRun], healthy_checks: set[str]) -> dict[str, Any]:
    new = [sorted(run.checks - healthy_checks) for run in runs]
    return {
        "detected": sum(bool(checks) and run.exit_code != 0 for checks, run in zip(new, runs, strict=True)),
        "runs": len(runs),
        "exit_codes": [run.exit_code for run in runs],
        "seconds_median": median([run.seconds for run in runs]),
        "test_cases_median": median([run.test_cases for run in runs]),
        "checks_not_seen_when_healthy": sorted({check for checks in new for check in checks}),
        "failures": sorted({f"{f.operation}: {f.check} {f.title}" for run in runs for f in run.failures}),
        "each": [asdict(run) for run in runs],
    }


def healthy_cli_summary(runs: list[CliRun]) -> dict[str, Any]:
    """The CLI on the healthy emulator, where every failure it reports is a false alarm."""
    alarms = {(f.operation, f.check): f for run in runs for f in run.failures}  # in any healthy run
    alarm_counts = Counter(check for _, check in alarms)  # check -> operations it fails on
    alarm_counts.update(dict.fromkeys(failing_checks(runs) - set(alarm_counts), 0))  # only in the SUMMARY
    summary = cli_summary(runs, set())
    summary["runs_with_failures"] = summary.pop("detected")
    del summary["checks_not_seen_when_healthy"]
    return {
        **summary,
        "false_alarm_checks": dict(sorted(alarm_counts.items())),
        "failure_details": [
            f"`{f.operation}`: {f.check} {f.title}" + (f"; the emulator answered `{f.answer}`" if f.answer else "")
            for _, f in sorted(alarms.items())
        ],
    }


def failing_checks(runs: list[CliRun]) -> set[str]:
    return {check for run in runs for check in run.checks}


def fault_entry(fault: Fault, ours: list[SuiteRun], cli: list[CliRun], healthy_checks: set[str]) -> dict[str, Any]:
    """Whether our suite (`-x`, so exit 1) and the CLI (a check not failing when healthy) caught `fault`."""
    suite, st = suite_summary(ours, expected_exit=1), cli_summary(cli, healthy_checks)
    return {
        "fault": fault.value,
        "breaks": DESCRIPTIONS[fault],
        "suite": suite,
        "cli": st,
        "cli_over_suite": ratio(st["seconds_median"], suite["seconds_median"]),
    }
