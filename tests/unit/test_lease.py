"""The lease on the sacrificial database (restore_contract/targets/lease.py): one session at a time, whoever races."""

from __future__ import annotations

import itertools
import json
import threading
import time
from datetime import UTC, datetime

import httpx
import pytest

from restore_contract.targets.api import ManagementApi
from restore_contract.targets.guard import Allowlist, GuardTransport, UnsafeRequestRefused
from restore_contract.targets.lease import Outcome, lease_name, lease_seconds, take

SACRIFICIAL = "db_csacrificialsacrificial01"


class Server:
    """The connections of one database, over a mock transport; `same_instant`: every connection created at once."""

    def __init__(self, same_instant: bool = False) -> None:
        self.connections: list[dict[str, str]] = []
        self.sent: list[str] = []
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self._same_instant = same_instant
        self.alongside: list[str] = []  # leases another session creates at the same moment as the next POST

    def add(self, name: str) -> str:
        with self._lock:
            moment = datetime(2026, 1, 1, tzinfo=UTC) if self._same_instant else datetime.now(UTC)
            connection = {"id": f"con_c{next(self._ids):09d}", "name": name, "createdAt": moment.isoformat()}
            self.connections.append(connection)
            return connection["id"]

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(f"{request.method} {request.url.path}")
        if request.method == "GET":
            with self._lock:
                listed = list(self.connections)
            return httpx.Response(200, json={"data": listed, "pagination": {"hasMore": False, "nextCursor": None}})
        if request.method == "POST":
            created = self.add(json.loads(request.content)["name"])
            while self.alongside:
                self.add(self.alongside.pop())
            return httpx.Response(200, json={"data": next(c for c in self.connections if c["id"] == created)})
        gone = request.url.path.rsplit("/", 1)[-1]
        with self._lock:
            before = len(self.connections)
            self.connections = [c for c in self.connections if c["id"] != gone]
            return httpx.Response(204 if len(self.connections) < before else 404)

    def session(self) -> tuple[httpx.Client, Allowlist]:
        guard = Allowlist()
        guard.allow(SACRIFICIAL, "contract-sacrificial")
        transport = GuardTransport(httpx.MockTransport(self.handle), guard)
        return httpx.Client(transport=transport, base_url="https://api.example"), guard


class Clock:
    """Time that passes only when the protocol waits: no test waits for real."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _take(server: Server, holder: str) -> Outcome:
    client, guard = server.session()
    clock = Clock()
    return take(ManagementApi(client), guard, SACRIFICIAL, holder, holder, 3600, now=clock, pace=clock.sleep)


def test_racing_sessions_leave_exactly_one_holder_and_only_its_lease() -> None:
    server = Server()
    outcomes: dict[str, Outcome] = {}
    barrier = threading.Barrier(4)

    def one(holder: str) -> None:
        barrier.wait()
        client, guard = server.session()
        outcomes[holder] = take(ManagementApi(client), guard, SACRIFICIAL, holder, holder, 3600)

    threads = [threading.Thread(target=one, args=(f"run{index}",)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    holders = [holder for holder, outcome in outcomes.items() if outcome.held is not None]
    assert len(holders) == 1, outcomes
    held = outcomes[holders[0]].held
    assert held is not None
    assert [c["id"] for c in server.connections] == [held.connection_id]
    for holder, outcome in outcomes.items():
        if holder != holders[0]:
            assert outcome.other is not None
            assert outcome.other.holder in {*outcomes} - {holder}


def test_created_in_the_same_instant_the_lower_holder_id_holds() -> None:
    server = Server(same_instant=True)
    server.alongside.append(lease_name("bbbb", "bbbb", time.time() + 3600))
    assert _take(server, "aaaa").held is not None  # bbbb's lease stays (its session was killed): aaaa waited, then held
    server.connections.clear()
    server.alongside.append(lease_name("aaaa", "aaaa", time.time() + 3600))
    outcome = _take(server, "cccc")
    assert outcome.held is None
    assert outcome.other is not None
    assert outcome.other.holder == "aaaa"
    assert [c["name"] for c in server.connections] == [outcome.other.name], "the loser deleted its lease"


def test_another_runs_unexpired_lease_keeps_a_session_away_without_writing_anything() -> None:
    server = Server()
    server.add(lease_name("other", "other", time.time() + 600))
    client, guard = server.session()
    outcome = take(ManagementApi(client), guard, SACRIFICIAL, "mine", "mine", 3600)
    assert outcome.held is None
    assert outcome.other is not None
    assert "is leased by run other since " in outcome.other.describe(SACRIFICIAL)
    assert "not used by this run" in outcome.other.describe(SACRIFICIAL)
    assert [request.split(" ")[0] for request in server.sent] == ["GET"]
    with pytest.raises(UnsafeRequestRefused):  # and from now on it could not write there if it tried
        client.post(f"/v1/databases/{SACRIFICIAL}/restore", json={})


def test_a_killed_runs_expired_lease_does_not_block_and_is_deleted() -> None:
    server = Server()
    server.add(lease_name("killed", "killed", time.time() - 1))
    outcome = _take(server, "mine")
    assert outcome.held is not None
    assert [c["name"] for c in server.connections] == [outcome.held.name]
    assert len(outcome.expired) == 1
    assert "killed" in outcome.expired[0]


def test_the_lease_covers_the_budget_and_a_restore_on_either_side() -> None:
    assert lease_seconds(1440, 480) >= 1440 + 2 * 480
    assert lease_seconds(None, 480) >= 6 * 3600  # no budget: as long as no run lasts
