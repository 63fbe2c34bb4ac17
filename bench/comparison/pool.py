"""Making the runs: one at a time, or `jobs` at a time on the cores; each logged to stderr as it ends."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def sequential(name: str, repeat: int, run: Callable[[], T], describe: Callable[[T], str]) -> list[T]:
    results = []
    for n in range(repeat):
        results.append(result := run())
        log(f"  {name} {n + 1}/{repeat}: {describe(result)}")
    return results


@dataclass(frozen=True)
class Job(Generic[T]):
    """One run for `pooled`: its result goes to `into`, and `describe` says it in the log."""

    label: str
    run: Callable[[], T]
    describe: Callable[[T], str]
    into: list[T]

    def __call__(self) -> str:
        result = self.run()
        self.into.append(result)  # atomic: jobs sharing a list may end at once
        return self.describe(result)


def pooled(jobs: int, work: Sequence[Job[Any]]) -> list[str]:
    """Make every job, `jobs` at a time in the given order; what went wrong in those that raised."""
    errors: list[str] = []
    with ThreadPoolExecutor(jobs) as pool:  # threads suffice: each job waits on subprocesses
        futures = {pool.submit(job): job.label for job in work}
        for done, future in enumerate(as_completed(futures), 1):
            try:
                said = future.result()
            except Exception as error:  # a server that did not start, a lookup that failed: recorded, not fatal
                errors.append(f"{futures[future]}: {error!r}")
                said = f"ERROR {error!r}"
            log(f"  [{done}/{len(work)}] {futures[future]}: {said}")
    return errors
