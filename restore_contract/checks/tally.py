"""What one request's checks counted, filled by the restore checks as they judge it and merged into the run's record
by the driver in one step (restore_contract/run/record.py), so a request's figures count whole or not at all."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Tally:
    """What one request's checks counted: merged into the run's record when they are done."""

    checked: Counter[str] = field(default_factory=Counter)  # property → times it was evaluated
    deviations: Counter[str] = field(default_factory=Counter)  # tolerated documentation deviations
    statuses: Counter[int] = field(default_factory=Counter)  # restore answers seen
    causes: Counter[str] = field(
        default_factory=Counter
    )  # documented causes exercised (restore_contract/run/coverage.py)
