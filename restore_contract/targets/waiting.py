"""Waiting for a database to settle: the one polling loop of the suite (restore checks, pool, lifecycle)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(
    read: Callable[[], T], done: Callable[[T], bool], timeout: float, pace: Callable[[float], None] = time.sleep
) -> tuple[T, bool]:
    """Read until `done(value)` or until `timeout` seconds have passed; the last value, and whether it was done.

    Reads again after 0.05 s, then twice as long each time up to one read every 2 s: a fast server settles
    within a few reads, and a staging restore of minutes costs tens of reads, not thousands (several restores
    are waited for at once, under one rate limit). `pace` waits between reads: a replay's target does not wait at all,
    its recorded answers come in the recorded order however fast it reads.
    """
    started = time.monotonic()
    delay = 0.05
    while True:
        value = read()
        if done(value) or time.monotonic() - started > timeout:
            return value, done(value)
        pace(delay)
        delay = min(delay * 2, 2.0)


def no_wait(seconds: float) -> None:
    """The pace of a replay: nothing to wait for."""
