"""What a run observed, for the summary at its end: properties checked, deviations, requests sent."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class RunReport:
    checked: Counter[str] = field(default_factory=Counter)  # property → times it was evaluated
    deviations: Counter[str] = field(default_factory=Counter)  # tolerated documentation deviations
    statuses: Counter[int] = field(default_factory=Counter)  # restore answers seen

    def render(self) -> list[str]:
        lines = [f"  {name}: {count}" for name, count in sorted(self.checked.items())]
        statuses = ", ".join(f"{status} x{count}" for status, count in sorted(self.statuses.items()))
        lines.append(f"restore answers: {statuses or 'none'}")
        if self.deviations:
            lines.append("documentation deviations tolerated (reported, not failed):")
            lines += [f"  {text} (x{count})" for text, count in self.deviations.most_common()]
        return lines


REPORT = RunReport()
