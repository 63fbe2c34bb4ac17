"""What a run observed, for the summary at its end and the run record: properties checked, deviations,
restore answers, and how each test ended (a contract violation naming its properties, or something else).

One `RunReport` per pytest session, owned by the session (never a module global) and safe to update from
several threads: each request's checks fill a `Tally` of their own, which the driver merges in one step.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from restore_contract.checks.tally import Tally


@dataclass(frozen=True)
class Outcome:
    outcome: str  # passed | failed | skipped | error (an error: setup or teardown failed, not the test)
    violated: tuple[str, ...] = ()  # the properties a ContractViolation named; empty for any other failure
    error: str = ""  # the exception type and first line, for a failure that is not a contract violation
    skip_reason: str = ""
    reproduce: str = ""  # the command that reruns a failed test the same way


@dataclass
class RunReport(Tally):
    lifecycle: Counter[str] = field(default_factory=Counter)  # what the lifecycle state machine reached
    # Broken properties with their curl reproduction, one per test: the last one is the example Hypothesis
    # reports (it replays the failing example last).
    failures: dict[str, str] = field(default_factory=dict)
    tests: dict[str, Outcome] = field(default_factory=dict)  # test → how it ended
    first_failure_after: float | None = None  # seconds from the start of the run to the first broken property
    restores: list[dict[str, Any]] = field(default_factory=list)  # each 200: when, how long to verify, whether it held
    _started: float = field(default_factory=time.monotonic, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def merge(self, tally: Tally) -> None:
        with self._lock:
            self.checked.update(tally.checked)
            self.deviations.update(tally.deviations)
            self.statuses.update(tally.statuses)
            self.causes.update(tally.causes)

    def since_start(self) -> float:
        return time.monotonic() - self._started

    def restored(self, target: str, started: float, ok: bool) -> None:
        """A restore that answered 200 at `started` (seconds into the run) has been verified, or has failed."""
        with self._lock:
            seconds = round(self.since_start() - started, 2)
            self.restores.append({"target": target, "started_s": round(started, 2), "seconds": seconds, "ok": ok})

    def reached(self, what: str) -> None:
        with self._lock:
            self.lifecycle[what] += 1

    def failed(self, test: str, failure: str) -> None:
        with self._lock:
            self.failures[test] = failure
            if self.first_failure_after is None:
                self.first_failure_after = round(time.monotonic() - self._started, 1)

    def ended(self, test: str, outcome: Outcome) -> None:
        """A test's ending; a later phase's failure (teardown) is kept over an earlier pass."""
        with self._lock:
            if test not in self.tests or outcome.outcome != "passed":
                self.tests[test] = outcome

    def as_dict(self) -> dict[str, Any]:
        """The machine-readable run record (JSON keys are strings, so status codes become strings)."""
        return {
            "checked": dict(self.checked),
            "statuses": {str(status): count for status, count in sorted(self.statuses.items())},
            "deviations": dict(self.deviations),
            "lifecycle": dict(self.lifecycle),
            "failures": self.failures,
            "tests": {test: asdict(outcome) for test, outcome in self.tests.items()},
            "restores": sorted(self.restores, key=lambda restore: restore["started_s"]),
        }
