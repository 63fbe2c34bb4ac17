"""When transient statuses end, in the style of moto's state manager.

`provisioning → ready` and `recovering → ready` happen:
* ``immediate``: at the first read after the change (the answer that starts it still shows the
  transient status, as the docs promise for restore);
* ``reads:N``: after N reads of the database have shown the transient status;
* ``seconds:T``: once T seconds have passed;
* ``manual``: never by itself; the control plane forces the status.

Staging's provisioning time (``--provisioning SECONDS``) gives a new database a transition of its own instead:
it ends once those seconds have passed, whatever the mode (``start(..., seconds=)``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ClockConfig:
    mode: str = "immediate"  # immediate | reads | seconds | manual
    reads: int = 1
    seconds: float = 0.5

    @classmethod
    def parse(cls, text: str) -> ClockConfig:
        """``immediate``, ``manual``, ``reads:3`` or ``seconds:0.2``."""
        mode, _, value = text.partition(":")
        try:
            if mode in ("immediate", "manual") and not value:
                return cls(mode=mode)
            if mode == "reads" and int(value) >= 0:
                return cls(mode=mode, reads=int(value))
            if mode == "seconds" and float(value) >= 0:
                return cls(mode=mode, seconds=float(value))
        except ValueError:
            pass
        raise ValueError(f"bad clock {text!r}: use immediate, manual, reads:N or seconds:T")

    def describe(self) -> str:
        return {"reads": f"reads:{self.reads}", "seconds": f"seconds:{self.seconds}"}.get(self.mode, self.mode)


@dataclass
class Transition:
    """A pending change to a final status, and the work to do when it happens."""

    to: str
    reads_left: int
    due: float
    on_done: Callable[[], None] | None = None
    timed: bool = False  # ends at `due` whatever the clock's mode


class StateClock:
    def __init__(self, config: ClockConfig, now: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self._now = now

    def start(self, to: str, on_done: Callable[[], None] | None = None, *, seconds: float | None = None) -> Transition:
        """A transition to `to` that ends as the mode says, or (`seconds` given) once they have passed."""
        if seconds is not None:
            return Transition(to=to, reads_left=0, due=self._now() + seconds, on_done=on_done, timed=True)
        return Transition(to=to, reads_left=self.config.reads, due=self._now() + self.config.seconds, on_done=on_done)

    def is_due(self, transition: Transition, reading: bool) -> bool:
        """Decide whether `transition` happens now; `reading` says a read is being answered."""
        mode = self.config.mode
        if transition.timed or mode == "seconds":
            return self._now() >= transition.due
        if mode == "immediate":
            return reading
        if mode == "reads":
            if not reading:
                return False
            if transition.reads_left <= 0:
                return True
            transition.reads_left -= 1
            return False
        return False
