"""Verdicts on a contract-suite run, read from the run record it wrote (`--summary-json`), never from the terminal.

A fault counts as detected only when the run failed with a contract violation naming the properties it broke (and,
when the caller names the properties the fault breaks, one of those); a harness error, a setup failure or a model's
own timeout also exit 1 but detect nothing. A pass counts only when the run really checked: no test skipped,
restores answered 200, the lifecycle reached successful restores, and the target was built with the options the
caller asked for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# What a genuine pass of the whole suite reaches at the least, for every profile and seed measured (ci, meta
# seeds 0-5, replay: 5-26 successful lifecycle restores); a run below it did not exercise the property.
MIN_LIFECYCLE_RESTORES = 3


@dataclass(frozen=True)
class RunRecord:
    exit_code: int
    record: dict[str, Any]  # empty when the run wrote none (it crashed before its end)
    output: str = ""  # the end of what the run printed, for a person reading a failed meta-test

    @classmethod
    def read(cls, path: Path, exit_code: int) -> RunRecord:
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        return cls(exit_code, json.loads(text) if text else {})

    @property
    def tests(self) -> dict[str, dict[str, Any]]:
        tests: dict[str, dict[str, Any]] = self.record.get("tests", {})
        return tests

    def violations(self) -> dict[str, list[str]]:
        """Tests that failed with a contract violation → the properties it named."""
        return {test: end["violated"] for test, end in self.tests.items() if end["violated"]}

    def other_failures(self) -> dict[str, str]:
        """Tests that failed or errored for any other reason → the exception."""
        return {
            test: f"{end['outcome']}: {end['error']}"
            for test, end in self.tests.items()
            if end["outcome"] in ("failed", "error") and not end["violated"]
        }

    def skipped(self) -> dict[str, str]:
        return {test: end["skip_reason"] for test, end in self.tests.items() if end["outcome"] == "skipped"}

    def count(self, section: str, key: str) -> int:
        return int(self.record.get(section, {}).get(key, 0))


@dataclass(frozen=True)
class Detection:
    detected: bool
    caught_by: str  # "test (property, …)" for each test that broke a property
    why: str  # what else the run said, when it detected nothing


def detection(run: RunRecord, expected: Collection[str] | None = None) -> Detection:
    """Did the run catch its fault? Only a contract violation counts, and with `expected` (the properties the fault
    breaks, emulator.faults.CAUGHT_BY) only a violation of one of them: caught by another property is a miss (the one
    the fault breaks may not be checked at all; another merely happened to notice)."""
    violations = run.violations()
    caught_by = "; ".join(f"{test.rsplit('::', 1)[-1]} ({', '.join(props)})" for test, props in violations.items())
    if run.exit_code == 1 and violations:
        seen = {prop for props in violations.values() for prop in props}
        if expected is None or seen & set(expected):
            return Detection(True, caught_by, "")
        return Detection(
            False,
            caught_by,
            f"caught only by other properties: expected one of {sorted(expected)}, seen {sorted(seen)} ({caught_by})",
        )
    if not run.record:
        return Detection(False, "", f"exit {run.exit_code} and no run record: the run did not get to its end")
    others = "".join(f"; {test}: {error}" for test, error in run.other_failures().items())
    return Detection(False, caught_by, f"exit {run.exit_code}, no contract violation{others}")


def pass_problems(run: RunRecord, *, expected_target: dict[str, str] | None = None) -> list[str]:
    """Why `run` is not a genuine pass (empty: it is one)."""
    if run.exit_code != 0 or not run.record:
        return [f"exit {run.exit_code}" + ("" if run.record else " and no run record")]
    problems = [f"{test} did not pass: {error}" for test, error in run.other_failures().items()]
    problems += [f"{test} skipped: {reason}" for test, reason in run.skipped().items()]
    if run.count("statuses", "200") == 0:
        problems.append("no restore answered 200: nothing checked what a successful restore must do")
    lifecycle = run.count("lifecycle", "restores answered 200")
    # A time budget that ended the lifecycle early may leave it without a successful restore (its sequences are
    # short and few then, each restore waited for); the other restore tests still verify them.
    cut_short = any("test_lifecycle" in test for test in run.record.get("cut_short_by_budget", []))
    least = 0 if cut_short else MIN_LIFECYCLE_RESTORES
    if any("test_lifecycle" in test for test in run.tests) and lifecycle < least:
        problems.append(f"the lifecycle reached {lifecycle} successful restores (fewer than {least})")
    target = run.record.get("target", {})
    for option, wanted in (expected_target or {}).items():
        if target.get(option) != wanted:
            problems.append(f"the target ran with {option}={target.get(option)!r}, not {wanted!r}")
    return problems


# The summary a contract run prints (run/record.py `render`), read back from its terminal output: the figures the
# reports are compared with, and what a person saw. Each figure is parsed from its own line, so an output that says
# another number than the terminal is caught, whichever of the two is wrong.
_SUMMARY_SECTION = re.compile(r"^=+ restore contract summary =+$", re.MULTILINE)
# How the summary (terminal and summary.md) ends its run line once the run paced itself: absent when it never did.
PACED_PART = r"(?:; paced to (?P<paced>\d+(?:\.\d)?) requests/s after the server's 429s)?"
_RUN_LINE = re.compile(
    r"^target: (?P<target>\S+)(?: \(\d+ workers\))?; requests sent: (?P<requests>\d+); "
    r"transient answers retried: (?P<retries>\d+) \((?P<waited>\d+\.\d) s waited\)" + PACED_PART + "$"
)
_PROFILE_LINE = re.compile(r"^hypothesis profile: (?P<profile>\S+) \(")
_COVERAGE_ROW = re.compile(r"^  (?P<answer>\S+) (?P<cause>.+?) +(?P<times>\d+)(?:  NOT CHECKED: .*)?$")
_COUNTED = re.compile(r"^(?P<what>.+) x(?P<times>\d+)$")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def terminal_figures(output: str) -> dict[str, Any]:
    """The figures of the restore contract summary in a run's terminal output: target, profile, requests, retries,
    waited_s (as printed, one decimal), paced (the requests/s the run paced itself to, as printed; None: never), and
    the coverage (answer and cause → times), properties checked, restore answers (status → times) and lifecycle
    counts. AssertionError when the summary or one of its lines is missing."""
    found = _SUMMARY_SECTION.search(_ANSI.sub("", output))
    assert found is not None, "the terminal shows no restore contract summary"
    figures: dict[str, Any] = {"coverage": {}, "checked": {}, "statuses": {}, "lifecycle": {}}
    section = None
    for line in _ANSI.sub("", output)[found.end() :].splitlines()[1:]:
        if line.startswith("="):  # pytest's next section
            break
        if line.startswith("  ") and section in ("coverage", "checked"):
            if section == "coverage":
                row = _COVERAGE_ROW.match(line)
                assert row is not None, f"a coverage row the summary cannot have printed: {line!r}"
                figures["coverage"][f"{row['answer']} {row['cause']}"] = int(row["times"])
            else:
                name, _, times = line.strip().rpartition(": ")  # a property's name may hold ": " itself
                figures["checked"][name] = int(times)
            continue
        section = None
        if run := _RUN_LINE.match(line):
            figures |= {"target": run["target"], "requests": int(run["requests"]), "retries": int(run["retries"])}
            figures["waited_s"], figures["paced"] = run["waited"], run["paced"]
        elif profile := _PROFILE_LINE.match(line):
            figures["profile"] = profile["profile"]
        elif line.startswith("documented behaviour coverage"):
            section = "coverage"
        elif line == "properties checked:":
            section = "checked"
        elif line.startswith(("restore answers: ", "lifecycle state machine: ")):
            key = "statuses" if line.startswith("restore") else "lifecycle"
            listed = line.partition(": ")[2]
            for item in [] if listed == "none" else listed.split(", "):
                counted = _COUNTED.match(item)
                assert counted is not None, f"{key}: {item!r} in {line!r}"
                figures[key][counted["what"]] = int(counted["times"])
    missing = {"target", "profile", "requests", "retries", "waited_s"} - set(figures)
    assert not missing, f"the terminal's summary lacks {sorted(missing)}: {output[found.start() :][:2000]}"
    return figures
