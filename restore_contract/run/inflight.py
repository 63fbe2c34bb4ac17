"""Restores that answered 200 and are still being verified end to end (recovering → ready, the backup's data,
every credential issued before still logging in, connections unchanged), in background threads.

A staging restore takes tens of seconds to minutes. Verified one after the other, a run lasts restores times restore
time; verified here, the run goes on with another target while this one recovers. One verification per target
at a time (a restore into a recovering database is a 409, not a second job), and a test ends only once every
restore it started is verified: `finish(test)` waits for them and hands back what failed, so a failure belongs to
the test that sent the request and names it. With `workers=1` nothing is deferred: the driver verifies inline,
and a run sends its requests in exactly the same order every time (the emulator, recording, replay).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from restore_contract.checks.violation import ContractViolation

MORE_POLL = 0.1  # seconds: how often a test waiting for a free target looks for targets that joined (first_free)


@dataclass
class Counts:
    started: int = 0  # verifications started in the background
    verified: int = 0  # ended with every check passing
    failed: int = 0
    busy_seconds: float = 0.0  # the sum over time of the verifications in flight (for the average)
    most: int = 0  # the most in flight at once


@dataclass
class InFlight:
    workers: int
    counts: Counts = field(default_factory=Counts)
    _jobs: dict[str, Future[ContractViolation | None]] = field(default_factory=dict)  # target → its verification
    _tests: dict[str, list[Future[ContractViolation | None]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _since: float = field(default_factory=time.monotonic)  # when the number in flight last changed
    _first: float = 0.0  # when the first verification started
    _failed_tests: set[str] = field(default_factory=set)
    # An interrupted run: what is still verifying reads databases the pool is deleting; its verdict is nobody's.
    abandoned: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self._pool = ThreadPoolExecutor(self.workers, "verify") if self.background else None

    @property
    def background(self) -> bool:
        return self.workers > 1

    @property
    def now(self) -> int:
        with self._lock:
            return sum(not job.done() for job in self._jobs.values())

    def _account(self) -> None:
        """Integrate the number in flight over time (call with the lock held, before it changes)."""
        now = time.monotonic()
        in_flight = sum(not job.done() for job in self._jobs.values())
        self.counts.busy_seconds += in_flight * (now - self._since)
        self.counts.most = max(self.counts.most, in_flight)
        self._since = now

    def start(self, test: str, target_id: str, verify: Callable[[], ContractViolation | None]) -> None:
        """Verify a restore into `target_id` in the background; `verify` returns what it found broken, if anything."""
        assert self._pool is not None, "inline verification happens in the driver"
        self.settle(target_id)

        def run() -> ContractViolation | None:
            found = verify()
            with self._lock:
                self._account()
                if found is None:
                    self.counts.verified += 1
                else:
                    self.counts.failed += 1
                    self._failed_tests.add(test)
            return found

        with self._lock:
            self._account()
            if not self.counts.started:
                self._first = self._since
            job = self._pool.submit(run)
            self._jobs[target_id] = job
            self._tests.setdefault(test, []).append(job)
            self.counts.started += 1

    def busy(self, target_id: str) -> bool:
        with self._lock:
            job = self._jobs.get(target_id)
        return job is not None and not job.done()

    def when_settled(self, target_id: str, callback: Callable[[], None]) -> None:
        """Call `callback` (from the verifying thread) once the restore into `target_id` is verified; at once if
        nothing is in flight there."""
        with self._lock:
            job = self._jobs.get(target_id)
        if job is None:
            callback()
        else:
            job.add_done_callback(lambda _: callback())

    def settle(self, target_id: str) -> None:
        """Wait until the restore into `target_id` (if any) is verified; its verdict is the test's, not the caller's."""
        with self._lock:
            job = self._jobs.get(target_id)
        if job is not None:
            wait([job])

    def first_free(self, candidates: Iterable[str], more: Callable[[], Sequence[str]] | None = None) -> str:
        """The first of `candidates` with nothing in flight, waiting for one to settle when all are busy; `more`:
        targets that may join the candidates meanwhile (after them), looked at again every MORE_POLL seconds."""
        given = list(candidates)
        while True:
            ordered = given + [target for target in (more() if more else ()) if target not in given]
            for target_id in ordered:
                if not self.busy(target_id):
                    return target_id
            with self._lock:
                running = [self._jobs[t] for t in ordered if t in self._jobs]
            wait(running, timeout=MORE_POLL if more else None, return_when=FIRST_COMPLETED)

    def failed_now(self, test: str, violation: ContractViolation) -> None:
        """A restore sent for `test` from another thread (run/keepbusy.py) broke the contract at once: like a failed
        verification, `test` stops sending and `finish(test)` hands it over."""
        done: Future[ContractViolation | None] = Future()
        done.set_result(violation)
        with self._lock:
            self._tests.setdefault(test, []).append(done)
            self._failed_tests.add(test)

    def started_by(self, test: str) -> bool:
        """Whether `test` has restores still being verified."""
        with self._lock:
            return any(not job.done() for job in self._tests.get(test, []))

    def has_failed(self, test: str) -> bool:
        """A restore this test started failed its verification: the test should stop sending and report it."""
        with self._lock:
            return test in self._failed_tests

    def finish(self, test: str) -> list[ContractViolation]:
        """Wait for every restore `test` started; what failed, in the order the restores were sent."""
        with self._lock:
            jobs = self._tests.pop(test, [])
            self._failed_tests.discard(test)
        return [found for job in jobs if (found := job.result()) is not None]

    @property
    def average(self) -> float:
        """Restores in flight on average since the first one started."""
        with self._lock:
            self._account()
            return self.counts.busy_seconds / max(time.monotonic() - self._first, 1e-9) if self.counts.started else 0.0

    def close(self, abandon: bool = False) -> list[ContractViolation]:
        """Wait for everything still in flight; what failed (tests that ended without `finish` leave it here).
        `abandon` (an interrupted run): wait for nothing, drop what has not started, report nothing."""
        if abandon:
            self.abandoned = True
            self._tests.clear()
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
            return []
        left = [found for test in list(self._tests) for found in self.finish(test)]
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        return left
