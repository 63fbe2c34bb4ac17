"""Waiting for a database to settle: the one polling loop of the suite (restore checks, pool, lifecycle)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(read: Callable[[], T], done: Callable[[T], bool], timeout: float) -> tuple[T, bool]:
    """Read until `done(value)` or until `timeout` seconds have passed; the last value, and whether it was done.

    Reads briskly for the first second (a fast server settles within a few reads), then backs off to one read
    every 2 s, so a staging restore of minutes costs tens of reads, not thousands.
    """
    started = time.monotonic()
    delay = 0.0
    while True:
        value = read()
        if done(value) or time.monotonic() - started > timeout:
            return value, done(value)
        time.sleep(delay)
        delay = 0.02 if time.monotonic() - started < 1.0 else min(max(delay, 0.1) * 2, 2.0)
