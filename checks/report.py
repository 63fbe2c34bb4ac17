"""What a run observed, for the summary at its end and the run record: properties checked, deviations,
requests sent, and how each test ended (a contract violation naming its properties, or something else)."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Outcome:
    outcome: str  # passed | failed | skipped | error (an error: setup or teardown failed, not the test)
    violated: tuple[str, ...] = ()  # the properties a ContractViolation named; empty for any other failure
    error: str = ""  # the exception type and first line, for a failure that is not a contract violation
    skip_reason: str = ""


@dataclass
class RunReport:
    checked: Counter[str] = field(default_factory=Counter)  # property → times it was evaluated
    deviations: Counter[str] = field(default_factory=Counter)  # tolerated documentation deviations
    statuses: Counter[int] = field(default_factory=Counter)  # restore answers seen
    lifecycle: Counter[str] = field(default_factory=Counter)  # what the lifecycle state machine reached
    # Broken properties with their curl reproduction, one per test: the last one is the example Hypothesis
    # reports (it replays the minimal falsifying example last).
    failures: dict[str, str] = field(default_factory=dict)
    tests: dict[str, Outcome] = field(default_factory=dict)  # node id → how it ended

    def render(self) -> list[str]:
        lines = [f"  {name}: {count}" for name, count in sorted(self.checked.items())]
        statuses = ", ".join(f"{status} x{count}" for status, count in sorted(self.statuses.items()))
        lines.append(f"restore answers: {statuses or 'none'}")
        if self.lifecycle:
            reached = ", ".join(f"{what} x{count}" for what, count in sorted(self.lifecycle.items()))
            lines.append(f"lifecycle state machine: {reached}")
        if self.failures:
            lines.append(f"failures ({len(self.failures)}; each with its request, token redacted):")
            lines += [f"  {test}: {failure}" for test, failure in self.failures.items()]
        if self.deviations:
            lines.append("documentation deviations tolerated (reported, not failed):")
            lines += [f"  {text} (x{count})" for text, count in self.deviations.most_common()]
        return lines

    def as_dict(self) -> dict[str, Any]:
        """The machine-readable run record (JSON keys are strings, so status codes become strings)."""
        return {
            "checked": dict(self.checked),
            "statuses": {str(status): count for status, count in sorted(self.statuses.items())},
            "deviations": dict(self.deviations),
            "lifecycle": dict(self.lifecycle),
            "failures": self.failures,
            "tests": {test: asdict(outcome) for test, outcome in self.tests.items()},
        }


REPORT = RunReport()
