"""What a run observed, for the summary at its end: properties checked, deviations, requests sent."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class RunReport:
    checked: Counter[str] = field(default_factory=Counter)  # property → times it was evaluated
    deviations: Counter[str] = field(default_factory=Counter)  # tolerated documentation deviations
    statuses: Counter[int] = field(default_factory=Counter)  # restore answers seen
    # Broken properties with their curl reproduction, one per test: the last one is the example Hypothesis
    # reports (it replays the minimal falsifying example last).
    failures: dict[str, str] = field(default_factory=dict)

    def render(self) -> list[str]:
        lines = [f"  {name}: {count}" for name, count in sorted(self.checked.items())]
        statuses = ", ".join(f"{status} x{count}" for status, count in sorted(self.statuses.items()))
        lines.append(f"restore answers: {statuses or 'none'}")
        if self.failures:
            lines.append(f"failures ({len(self.failures)}; each with its request, token redacted):")
            lines += [f"  {test}: {failure}" for test, failure in self.failures.items()]
        if self.deviations:
            lines.append("documentation deviations tolerated (reported, not failed):")
            lines += [f"  {text} (x{count})" for text, count in self.deviations.most_common()]
        return lines


REPORT = RunReport()
