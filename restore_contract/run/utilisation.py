"""How busy the run kept its restore targets: restore-target-seconds used over restore-target-seconds available.

On a staging-like server a nightly is bound by restores in flight (docs/nightly.md): each target holds one restore of
the run at a time (a second one is a 409), so the run can verify at most targets times time / restore time. This says
how much of that it used, so a scheduling change is measured, not guessed.

- **Used**: for every restore of this run that answered 200 into one of its restore targets (not the databases a test
  makes for itself, such as the lifecycle model's), the seconds from its request
  being sent to the end of its verification (inline or in the background), summed. One restore per target at a
  time, so this is the sum over the targets of the time each had a restore of this run in flight.
- **Available**: the number of restore targets times the wall time of the restoring phase. The phase starts when the
  driver is made (the run's databases are created and ready: nothing can be restored before) and ends when the
  driver closes (every restore verified, the last ones included); the setup is not in it, the whole run's
  elapsed time is (`elapsed_s`).

`busy` is used / available (0 when nothing was available). A restore in flight counts up to now, so the progress line
shows the phase so far.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class Utilisation:
    ids: frozenset[str]  # the restore targets the run holds (the pool's ready databases when the driver is made)
    started: float = field(default_factory=time.monotonic)  # the restoring phase starts: the targets are ready
    used: float = 0.0  # restore-target-seconds of the restores already verified (or failed)
    ended: float | None = None  # the restoring phase ended (the driver closed); None: still running
    _open: dict[int, float] = field(default_factory=dict)  # restores in flight: token → when the request was sent
    _tokens: itertools.count[int] = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def of(cls, targets: Iterable[str]) -> Utilisation:
        return cls(frozenset(targets))

    @property
    def targets(self) -> int:
        return len(self.ids)

    def sent(self, at: float, target: str) -> int | None:
        """A restore into `target` whose request was sent at `at` (time.monotonic()) answered 200: it is in flight
        until `verified` is called with the token this returns (None: not one of the restore targets, not counted)."""
        if target not in self.ids:
            return None
        with self._lock:
            token = next(self._tokens)
            self._open[token] = at
            return token

    def verified(self, token: int, at: float | None = None) -> None:
        """The restore's verification ended (passed or failed): its target is free again."""
        now = time.monotonic() if at is None else at
        with self._lock:
            sent = self._open.pop(token, None)
            if sent is not None:
                self.used += max(now - sent, 0.0)

    def end(self, at: float | None = None) -> None:
        """The restoring phase is over (the driver closed, every restore verified)."""
        with self._lock:
            self.ended = time.monotonic() if at is None else at

    def seconds_used(self, now: float | None = None) -> float:
        """Restore-target-seconds used so far: the verified restores' and the part of those in flight up to now."""
        now = (self.ended or time.monotonic()) if now is None else now
        with self._lock:
            return self.used + sum(max(now - sent, 0.0) for sent in self._open.values())

    def seconds_available(self, now: float | None = None) -> float:
        """Restore targets times the wall time of the restoring phase so far (to its end, once it has ended)."""
        now = (self.ended or time.monotonic()) if now is None else now
        return self.targets * max(now - self.started, 0.0)

    def busy(self, now: float | None = None) -> float:
        """Used / available, from 0 to 1 (0 when nothing was available yet)."""
        now = (self.ended or time.monotonic()) if now is None else now
        available = self.seconds_available(now)
        return self.seconds_used(now) / available if available > 0 else 0.0
