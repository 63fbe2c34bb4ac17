"""What makes the emulator behave like a real staging server: latency, a rate limit, transient 503s.

These are not faults: a correct staging server does all of them, and a client must cope. They act on the public
API alone (`/v1/...`; the control plane is the tests' tool), before a request is executed: a 429 or 503 they
answer means nothing happened. Staging's fourth behaviour, how long provisioning takes, is the clock's
(`StateClock.start(..., seconds=)`). Each is off unless configured, so by default the emulator answers at once.
"""

from __future__ import annotations

import math
import random
import threading
import time
from asyncio import sleep
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from restore_contract.emulator.errors import ApiError

if TYPE_CHECKING:
    from restore_contract.emulator.config import EmulatorConfig

WINDOW = 1.0  # seconds: the rate limit counts the requests admitted in the last one


class Staging:
    """One server's staging behaviours; `now` is the time the rate limit counts by (a test may fake it)."""

    def __init__(self, config: EmulatorConfig, now: Callable[[], float] = time.monotonic) -> None:
        self.latency = config.latency
        self.rate_limit = config.rate_limit
        self.transient_503 = config.transient_503
        self._now = now
        self._random = random.Random(config.seed)  # seeded: a run sees the same 503s each time
        self._admitted: deque[float] = deque()  # when the requests of the last WINDOW were admitted
        self._lock = threading.Lock()  # in-process clients may send from several threads at once

    async def admit(self, method: str) -> None:
        """Wait the latency, then let a public request through, or raise the answer given instead (429, 503)."""
        if self.latency > 0:
            await sleep(self.latency)  # not time.sleep: the server answers other requests meanwhile
        with self._lock:
            if self.rate_limit is not None:
                self._limit(self.rate_limit)
            # Only GETs draw, so the writes a test sends do not shift which reads fail.
            if method == "GET" and self.transient_503 > 0 and self._random.random() < self.transient_503:
                raise ApiError(
                    503, "service_unavailable", "Temporarily unavailable; retry.", headers={"Retry-After": "1"}
                )

    def _limit(self, per_second: int) -> None:
        """Count this request in the window, or raise 429 (not counted: a refused request costs nothing)."""
        now = self._now()
        while self._admitted and self._admitted[0] <= now - WINDOW:
            self._admitted.popleft()
        if len(self._admitted) >= per_second:
            wait = max(1, math.ceil(self._admitted[0] + WINDOW - now))  # until the oldest leaves the window
            message = f"More than {per_second} requests per second; retry after {wait} s."
            raise ApiError(429, "rate_limited", message, headers={"Retry-After": str(wait)})
        self._admitted.append(now)
