"""Keeping under a rate limit the docs do not state: once the server answers 429, requests are spaced.

A 429 costs the thread that got it a whole `Retry-After` (at least a second: the header counts whole seconds), while
the server was refusing only the requests above its rate. On a staging-like server (20 requests/s) a nightly's
threads (the test's, and the verifications kept in flight) burst above it and lost half the run's examples to those
waits. So the first 429 teaches the run the rate the server allows: the requests sent in the last second, less a
margin, and from then on the requests of every thread are spaced to it. Nothing changes until a server says 429:
a server without a limit is never slowed.

- One slow-down per episode: the 429s of requests sent before the last slow-down, or in the second after it, are
  answers to the old rate, not news (several threads hear the same overflow at once, and the server's count of its
  last second still holds the burst that overflowed it).
- A 429 at the paced rate (a limit counted over a longer window than a second, or shared with another client)
  lowers the rate again, by the same margin. One slow-down never more than halves the pace (at the first, the
  busiest second's rate): a run whose own requests were few when the 429 came (another run was filling the limit)
  is not paced to that trickle.
- The rate climbs back (RECOVERY: 1 request/s a minute without a 429), so a limit that was met once, by a burst
  of another client, does not slow the rest of the night.

The limit is the server's business and may be anything: this only decides how fast to ask. The retry of a refused
request stays the retry policy's (targets/transient.py), which honours `Retry-After`.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import httpx

MARGIN = 0.9  # the rate taken: this much of the rate that was refused
# requests/s regained per second without a 429. Slow: each climb past the limit costs a 429's whole second, and a
# six-times-faster climb neither shared a limit better between two runs nor checked more alone (docs/nightly.md).
RECOVERY = 1.0 / 60.0
FLOOR = 1.0  # requests/s: the slowest pace, whatever the 429s
HALVED = 0.5  # the most one slow-down takes off the pace (or, at the first, off the busiest second's rate)
PACED = "paced_s"  # the response extension: the seconds the request waited for its turn (0.0: none)
# Set while requests cannot wait their turn (`urgent()`): the step sent while a restore recovers, whose window a wait
# could close (it then checks nothing: a fault accepting restores while recovering went unseen). They go at once and
# still count against the pace: a few requests above it, not a burst. A context variable: the thread's own requests.
_URGENT: ContextVar[bool] = ContextVar("restore_contract_urgent", default=False)


@contextmanager
def urgent() -> Iterator[None]:
    """The requests this thread sends meanwhile go at once, whatever the pace."""
    token = _URGENT.set(True)
    try:
        yield
    finally:
        _URGENT.reset(token)


class Pacer:
    """When each request may go: at once until the first 429, then at the learned rate, across threads."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self.now = now
        self._lock = threading.Lock()
        self._slots: deque[float] = deque()  # the slots taken in the last second
        self._busiest = 0  # the most slots any second of the run has held: how fast it has shown it sends
        self._rate: float | None = None  # requests/s when the last slow-down happened; None: not paced
        self._slowed_at = float("-inf")  # when that was
        self._next = float("-inf")  # the earliest time the next request may go

    @property
    def rate(self) -> float | None:
        """The rate requests are sent at now (None: not paced); it regains RECOVERY per second since the slow-down."""
        if self._rate is None:
            return None
        return self._rate + (self.now() - self._slowed_at) * RECOVERY

    def _in_the_last_second(self, now: float) -> int:
        """How many slots were taken in the last second (the older ones are forgotten)."""
        while self._slots and self._slots[0] <= now - 1.0:
            self._slots.popleft()
        return len(self._slots)

    def turn(self, urgent: bool = False) -> float:
        """Take the next slot: the time to send at (now, unless paced; an `urgent` request goes now, the others'
        turns unchanged)."""
        with self._lock:
            now = self.now()
            self._in_the_last_second(now)
            rate = self.rate
            slot = now
            if rate is not None and not urgent:
                slot = max(now, self._next)
                self._next = slot + 1.0 / rate
            self._slots.append(slot)
            self._busiest = max(self._busiest, len(self._slots))
            return slot

    def make_room(self) -> float:
        """Hold every other request back for a second, so that the server's count of its last second has room for a
        few urgent ones after it: when paced, the time to wait until then (0.0 when not paced, which needs none).
        The caller waits that long itself, then its own requests go first."""
        with self._lock:
            if self._rate is None:
                return 0.0
            now = self.now()
            self._next = max(self._next, now + 1.0)
            return self._next - now

    def refused(self, sent_at: float) -> None:
        """The request sent at `sent_at` was answered 429: slow down, unless it was sent before the last slow-down or
        in the second after it (an answer to the old rate)."""
        with self._lock:
            if sent_at <= self._slowed_at + 1.0:
                return
            now = self.now()
            paced = self.rate or float(self._busiest)
            refused_rate = min(float(self._in_the_last_second(now)), paced)
            # At most halved at once: a 429 that comes while this run sent little was another client's traffic filling
            # the limit (another run on the same staging), and pacing to this run's own trickle starved it.
            self._rate = max(refused_rate * MARGIN, paced * HALVED, FLOOR)
            self._slowed_at = now
            self._next = now + 1.0 / self._rate


class Paced(httpx.BaseTransport):
    """Sends through `inner` when the pacer says; tells it of each 429. The response says how long the request waited
    for its turn (`PACED`): the world a check read before it may have changed meanwhile."""

    def __init__(
        self, inner: httpx.BaseTransport, pacer: Pacer | None = None, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._inner = inner
        self.pacer = pacer or Pacer()
        self._sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        slot = self.pacer.turn(urgent=_URGENT.get())
        wait = slot - self.pacer.now()
        if wait > 0:
            self._sleep(wait)
        response = self._inner.handle_request(request)
        response.extensions[PACED] = max(wait, 0.0)
        if response.status_code == 429:
            self.pacer.refused(slot)
        return response

    def close(self) -> None:
        self._inner.close()
