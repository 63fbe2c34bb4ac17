"""Restore targets kept busy for the whole budget: while tests that need no target of their own run, the
successful-restore property's restores go on in the background, each target restored into again the moment its last
restore is verified.

On a staging-like server the nightly is bound by restores in flight (docs/nightly.md). Sent only by the tests that
restore, they left the targets idle while every other test ran (the documented 4xx answers, the id probes, the reads,
the lifecycle model: about half the night), and drained at the end of each restoring test while it waited for its
last verifications.

`KeepBusy` restores, from a thread of its own, into the targets lent to it:

- Each restore is one of the successful-restore property's (`OWNER`): a completed backup the pool knows, named with
  its own database, into a ready target, the world arranged as that property arranges it (`RestoreWorld()`); the
  driver sends and judges it like any other, every check included, and verifies it in the background. Its verdict
  is the OWNER test's: that test runs last (plugin/tests.py) and ends only once every restore made on its behalf is
  verified, so a failure fails it and names the request; the first failure stops the restores.
- Lent targets are out of `pool.ready`, what every test picks its targets from, so no test meets one recovering.
  They are lent only while no test can be choosing one (before a test starts, or once it has stopped sending), and
  `reserve` targets stay with the tests, except while a test that needs none of them runs (TARGET_FREE): the next
  test then takes one back, the first lent target verified, before its share of the budget starts.
- The restoring tests (many restores at once into the pool's targets) get every target back as it is verified,
  taken at once by a test waiting for a free target (`InFlight.first_free`'s `more`); their own restores keep the
  targets busy then. Once the OWNER test starts, nothing more is lent.
- It starts a restore only while its verification (the slowest one so far) still ends inside the run's budget.

Only a live run in one process, with a budget and the OWNER test selected, keeps targets busy this way
(`applies`): where restores are verified inline (the emulator, a recording and its replay) nothing runs in the
background, and a run sends the same requests in the same order every time.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from restore_contract.checks.violation import ContractViolation
from restore_contract.contracts import RestoreWorld
from restore_contract.run.driver import Driver, restore_case, running

# The property whose restores keep the targets busy (restore_contract/suite/test_properties.py), and the tests that
# restore into the pool's targets many at a time (they get every target back): (file, function).
OWNER = ("test_properties.py", "test_successful_restore_replaces_data_and_keeps_connections")
RESTORING = (
    OWNER,
    ("test_conflicts.py", "test_a_restore_while_the_last_one_recovers_is_refused"),
    ("test_schemathesis.py", "test_restore"),
)
# Tests that need none of the pool's restore targets (the lifecycle model restores into databases of its own): every
# target is lent while they run.
TARGET_FREE = (("test_lifecycle.py", "test_lifecycle"),)
RESERVE = 1  # targets that always stay with the tests (the 4xx properties need one that is not recovering)
POLL = 0.1  # seconds between looks at the lent targets (a verification that ends also wakes the thread)


@dataclass
class KeepBusy:
    driver: Driver
    owner: str  # the OWNER test's node id: the restores are its
    reserve: int = RESERVE
    lent: list[str] = field(default_factory=list)  # targets out of pool.ready, restored into here
    started: int = 0  # restores sent on the owner's behalf
    error: BaseException | None = None  # what stopped it other than a contract violation (raised in the owner test)
    _lending: bool = False  # no test is choosing a target: free ones may be lent
    _returning: bool = False  # a restoring test runs: lent targets go back as they are verified
    _wanted: int = 0  # targets a test about to start needs back (the next lent ones verified go to it)
    _filling: bool = True  # restores may still be started (until the owner test starts, or a failure)
    _closed: bool = False
    _backup: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _sending: threading.Lock = field(default_factory=threading.Lock)  # held while a restore is being sent
    _wake: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="keep-busy", daemon=True)
        self._thread.start()

    # What the plugin says about the tests (plugin/tests.py).

    def test_starts(self, test: str, restoring: bool, needs_targets: bool = True) -> None:
        """Before a test's first request (and its share of the budget). A restoring test gets every target back as it
        is verified (the OWNER test ends the keeping busy); any other test leaves the targets not in reserve to this,
        lent now, and one that needs no target of the pool (`needs_targets`: TARGET_FREE) all of them. A test that
        needs targets finds `reserve` of them ready: any missing are taken back, each as soon as it is verified."""
        reserve = self.reserve if needs_targets else 0
        with self._lock:
            self._lending = False
            self._returning = restoring
            if test == self.owner:
                self._filling = False
            if not restoring and self._filling:
                self._lend(reserve)
            self._wanted = max(reserve - len(self.driver.pool.ready), 0)
        self._wake.set()
        while True:
            with self._lock:
                if self._wanted == 0 or not self.lent or self._thread is None or not self._thread.is_alive():
                    self._wanted = 0
                    break
            time.sleep(POLL / 2)
        if test == self.owner:
            with self._sending:  # a restore being sent now is in flight, and so the owner's, once this returns
                pass
        self._wake.set()

    def test_stopped_sending(self, next_restoring: bool) -> None:
        """The test sends nothing more (it waits for its restores): as they are verified, their targets may be lent,
        unless the next test restores (it would take them back at once)."""
        with self._lock:
            self._lending = self._filling and not next_restoring
            self._returning = next_restoring or not self._filling
        self._wake.set()

    def close(self) -> None:
        """The run is over: nothing more starts; the targets go back (what is in flight is verified by InFlight)."""
        with self._lock:
            self._closed, self._filling = True, False
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        with self._lock:
            self.driver.pool.ready.extend(self.lent)
            self.lent.clear()

    # The thread.

    def _run(self) -> None:
        while True:
            with self._lock:
                if self._closed:
                    return
                if self._lending and self._filling:
                    self._lend(self.reserve)
                free = [target for target in self.lent if not self.driver.inflight.busy(target)]
                if self._wanted:
                    wanted, free = free[: self._wanted], free[self._wanted :]
                    self._give_back(wanted)
                    self._wanted -= len(wanted)
                if self._returning or not self._can_start():
                    self._give_back(free)
                    free = []
            for target in free:
                if not self._restore(target):
                    break
            self._wake.wait(POLL)
            self._wake.clear()

    def _lend(self, reserve: int) -> None:
        """Take the free targets the tests can spare, all but `reserve` (call with the lock held, while no test is
        choosing one)."""
        ready = self.driver.pool.ready
        for target in list(ready):
            if len(ready) > reserve and not self.driver.inflight.busy(target):
                ready.remove(target)
                self.lent.append(target)

    def _give_back(self, free: list[str]) -> None:
        for target in free:
            self.lent.remove(target)
            self.driver.pool.ready.append(target)

    def _can_start(self) -> bool:
        """Whether a restore started now is still verified inside the run's budget, and nothing has failed."""
        if not self._filling or self.error is not None or self.driver.inflight.has_failed(self.owner):
            return False
        left = self.driver.budget.left
        return left is not None and left > self.driver.budget.slowest_verification

    def _restore(self, target: str) -> bool:
        """One of the OWNER property's restores into `target`; False once nothing more should start."""
        with self._sending:
            with self._lock:
                if not self._can_start() or self._returning or self._wanted or target not in self.lent:
                    return False
            try:
                with running(self.owner):
                    self.driver.send_on_behalf(self.owner, restore_case(target, self._body()), world=RestoreWorld())
            except ContractViolation:
                return False  # handed to the owner test (Driver.send_on_behalf); no more restores
            except Exception as error:  # not a verdict: the owner test raises it
                self.error = error
                return False  # nothing more starts (the error stops `_can_start`)
            self.started += 1
            self.driver.inflight.when_settled(target, self._wake.set)  # the next restore as soon as it is verified
            return True

    def _body(self) -> dict[str, dict[str, str]]:
        """The next completed backup the pool knows (in turn), named with the database it belongs to."""
        completed = [backup for backup in self.driver.pool.backups if backup.status == "completed"]
        backup = completed[self._backup % len(completed)]
        self._backup += 1
        return {"source": {"type": "backup", "databaseId": backup.database_id, "backupId": backup.id}}
