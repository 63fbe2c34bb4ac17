"""The run record's typed parts (run/record.py): how each test ended (`Outcome`) and each restore on the run's
timeline (`Restore`); the reports read them as objects, summary.json as their fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Outcome:
    outcome: str  # passed | failed | skipped | error (an error: setup or teardown failed, not the test)
    violated: tuple[str, ...] = ()  # the properties a ContractViolation named; empty for any other failure
    error: str = ""  # the exception type and first line, for a failure that is not a contract violation
    skip_reason: str = ""
    reproduce: str = ""  # the command that reruns a failed test the same way

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Outcome:
        return cls(**{**data, "violated": tuple(data.get("violated", ()))})


@dataclass(frozen=True)
class Restore:
    """A restore that answered 200, on the run's timeline: verified end to end (ok) or failed."""

    target: str
    started_s: float  # seconds from the start of the run to its 200
    seconds: float  # from its 200 to the end of its verification
    ok: bool
