"""The run's time budget: a nightly sized by time, not by an example count that cannot finish on a slow staging.

Each test gets a share of the time left when it starts: its weight over the weights of the tests still to run, so
time one test did not need goes to those after it. A test whose share is spent stops generating examples
(`StopExamples`: it passes on what it checked, and the summary says it was cut short). Every test runs its first
example while the run's budget lasts; once the run's budget is spent nothing new starts: a test still running stops
before its next request, and a test not started yet is skipped, saying so (the plugin). So a run ends within its
budget (its setup counted: the clock starts with the run) plus the restores still in flight at its end, which are
verified, not dropped. A share ends early enough to verify the restores still in flight (run/inflight.py) before
the test ends: the slowest verification seen so far is kept aside for them, and for the run's last ones.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

from restore_contract.compat import Skipped

DEFAULT_NIGHTLY_BUDGET = 24 * 60.0  # seconds: with start-up and the last verifications, a nightly ends inside 30 min
# A live run with another profile: example counts alone do not bound it when each restore takes minutes (a correct
# server whose restores take 2.5 s kept an unbudgeted ci run going past 300 s), so it is sized by time as well.
DEFAULT_LIVE_BUDGET = 10 * 60.0


class StopExamples(Skipped):  # Hypothesis lets pytest's skip pass straight through
    """Raised by the driver before a request once the test must stop: Hypothesis re-raises a skip at once (no
    shrinking, no replay), and the suite's `pytest_pyfunc_call` turns it into the end of the test."""


@dataclass
class Budget:
    seconds: float | None  # None: no budget, the profile's example counts alone size the run
    started: float = field(default_factory=time.monotonic)  # when the run started (plugin/session.py: before its setup)
    deadline: float | None = None  # the current test's share ends here
    sent: int = 0  # requests the current test has sent through the driver
    slowest_verification: float = 0.0
    cut_short: list[str] = field(default_factory=list)  # tests stopped by their share, for the summary
    shares: dict[str, float] = field(default_factory=dict)  # test → the seconds its share gave it, for the record
    # The test whose share runs now (None between tests), for the progress line, which is written from a thread
    # of its own and so cannot read the test's context (run/driver.py's CURRENT_TEST).
    running: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def left(self) -> float | None:
        return None if self.seconds is None else self.seconds - (time.monotonic() - self.started)

    @property
    def spent(self) -> bool:
        """The run's whole budget is spent: nothing new starts (what is in flight is still verified)."""
        left = self.left
        return left is not None and left <= 0

    def not_started(self) -> str:
        """Why a test that came after the run's budget was spent did not run: its skip reason."""
        return f"not started: the run's time budget ({self.seconds:g} s) was spent before this test's turn"

    def begin(self, test: str, weight: float, weights_left: float, last: bool = False) -> None:
        """A test starts: its share of the time left (weights_left counts this test's weight too). The verifications
        a test leaves in flight at its deadline take from the shares of the tests after it, so the run corrects
        itself as it goes; only the last verifications are set aside for. The last test (`last`: no test of the
        driver after it) gets all the time left: it stops early enough for its own verifications (`share_spent`),
        which are the run's last, so setting the slowest one aside for them as well left the targets idle for the
        run's last minute or two."""
        self.sent, self.running = 0, test
        left = self.left
        if left is None:
            self.deadline = None
            return
        aside = 0.0 if last else self.slowest_verification
        share = max(left - aside, 0.0) * weight / max(weights_left, weight)
        self.deadline = time.monotonic() + share
        self.shares[test] = round(share, 2)

    def end(self) -> None:
        """The test has ended: no test's share runs until the next begins."""
        self.running = None

    def share_spent(self, verifying: bool) -> bool:
        """The test has had its share. Its first example runs while the run's budget lasts (a test that started
        checks something); a test with restores still being verified (`verifying`) stops early enough for them to
        end inside its share. Once the run's budget is spent, every test stops before its next request."""
        if self.deadline is None:
            return False
        if self.spent:
            return True
        if self.sent == 0:
            return False
        return time.monotonic() + (self.slowest_verification if verifying else 0.0) >= self.deadline

    def fits(self, seconds: float) -> bool:
        """Whether something that takes `seconds` still ends inside the test's share."""
        return self.deadline is None or time.monotonic() + seconds < self.deadline

    def sending(self) -> None:
        self.sent += 1

    def verified_in(self, seconds: float) -> None:
        with self._lock:
            self.slowest_verification = max(self.slowest_verification, seconds)


def budget_seconds(value: float | None, profile: str, *, live: bool = False) -> float | None:
    """The budget of a run whose setting (restore_contract/settings.py) is `value`: seconds, math.inf for `none`
    (no budget), or None when unset: the nightly profile's default; on a live target, the live default; no budget
    otherwise."""
    if value is None:
        if profile == "nightly":
            return DEFAULT_NIGHTLY_BUDGET
        return DEFAULT_LIVE_BUDGET if live else None
    return None if math.isinf(value) else value
