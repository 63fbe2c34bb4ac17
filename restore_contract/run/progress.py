"""Where a long run is, every so often, in the terminal and the CI log: restores started, in flight and verified,
requests and retries, the time spent and the budget left, and the test running now.

A daemon thread writes one line per interval (--progress-seconds, PRISMA_CONTRACT_PROGRESS_SECONDS, default 60; 0
switches it off)
through pytest's terminal writer, which pytest's output capture does not swallow (the process's stderr it does);
a run shorter than one interval prints nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


def clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"


class Progress:
    def __init__(self, interval: float, line: Callable[[], str | None], write: Callable[[str], None]) -> None:
        self._interval = interval
        self._line = line
        self._write = write
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="progress", daemon=True)

    def __enter__(self) -> Progress:
        if self._interval > 0:
            self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        started = time.monotonic()
        while not self._stop.wait(self._interval):
            line = self._line()  # None: nothing to say now
            if line is not None:
                self._write(f"[restore-contract {clock(time.monotonic() - started)}] {line}")
