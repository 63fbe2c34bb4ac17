"""One run at a time on the sacrificial database (PRISMA_CONTRACT_TARGET_DATABASE_ID).

Two runs restoring into the same database (the nightly and a manual run, a retried CI job, two xdist workers) each
see the other's connections and data change during their restores, and both report the server. So a run restores
into the sacrificial database only while it holds a lease every other run can see: a connection on that database
named `contract-lease-<run>-<holder>-until-<unix time>` (stored on the database itself, it needs no project).
`run` is the run's id (an xdist run's, shared by its workers), `holder` the session's own.

The protocol, so that no run changes the database's connections while another one uses it:
- read first: another session's unexpired lease there, and this one leaves the database alone (writes nothing);
- else create its own lease and read again: of the unexpired leases the earliest created (then the lower holder)
  holds the database, every other session deletes its lease and leaves the database alone. The holder waits, a
  bounded time, until the leases of the others are gone and no new one came for a moment;
- an expired lease (of a run killed before it could release) is ignored, and deleted by the session that holds;
- at the end, failure and interrupt included, the holder deletes its lease (targets/pool.py: `Pool.release`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from restore_contract.targets.api import ApiError, ManagementApi
from restore_contract.targets.guard import SCRATCH_PREFIX, Allowlist
from restore_contract.targets.live import STALE_FLOOR

LEASE_PREFIX = SCRATCH_PREFIX + "lease-"
LEASE_NAME = re.compile(rf"^{LEASE_PREFIX}(?P<run>[0-9a-z]+)-(?P<holder>[0-9a-z]+)-until-(?P<until>[0-9]+)$")
MARGIN_S = 600.0  # clocks of two machines differ, a run's teardown takes its time
PATIENCE_S = 30.0  # how long the holder waits for the others' leases to go (they go at once: a bound, not a pace)
QUIET_S = 1.0  # no other lease for this long: a session that read before this lease existed has created its own
POLL_S = 0.2


@dataclass(frozen=True)
class Terms:
    """What a session asks the lease for."""

    run: str  # the run's id in its lease's name: an xdist run's workers share it (plugin/fixtures.py)
    seconds: float  # how long it may hold the database (`lease_seconds`)
    partial: bool = False  # it may go on with nothing to restore into (--partial)


def lease_seconds(budget: float | None, restore_timeout: float) -> float:
    """How long a run may hold the database: its budget (it ends inside it), a restore on either side of it (the
    database still recovering at the start, the last verifications) and a margin. A run without a budget: the age
    under which no run's scratch database counts as stale either (no run lasts that long)."""
    return STALE_FLOOR if budget is None else budget + 2 * restore_timeout + MARGIN_S


@dataclass(frozen=True)
class Lease:
    connection_id: str
    run: str
    holder: str
    until: int  # unix time
    created_at: datetime  # the server's clock: the same for every run

    @classmethod
    def of(cls, connection: Mapping[str, Any]) -> Lease | None:
        """The lease a listed connection is, if it is one."""
        named = LEASE_NAME.match(str(connection.get("name", "")))
        if named is None:
            return None
        created = datetime.fromisoformat(str(connection.get("createdAt", "")).replace("Z", "+00:00"))
        return cls(str(connection["id"]), named["run"], named["holder"], int(named["until"]), created)

    @property
    def name(self) -> str:
        return lease_name(self.run, self.holder, self.until)

    @property
    def order(self) -> tuple[datetime, str]:
        """The earliest holds the database; created in the same instant, the lower holder id."""
        return self.created_at, self.holder

    def expired(self, now: float) -> bool:
        return self.until <= now

    def describe(self, database_id: str) -> str:
        """The line a session that leaves the database alone says so in."""
        worker = f" (session {self.holder})" if self.holder != self.run else ""
        since = self.created_at.isoformat(timespec="seconds").replace("+00:00", "Z")
        until = datetime.fromtimestamp(self.until, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        return (
            f"sacrificial database {database_id} is leased by run {self.run}{worker} since {since} (until {until}): "
            "not used by this run"
        )


def lease_name(run: str, holder: str, until: float) -> str:
    return f"{LEASE_PREFIX}{run}-{holder}-until-{int(until)}"


@dataclass(frozen=True)
class Outcome:
    held: Lease | None  # this session's lease: it may use the database
    other: Lease | None  # else the lease that keeps it away
    expired: list[str] = field(default_factory=list)  # leases of killed runs it deleted


def take(
    api: ManagementApi,
    guard: Allowlist,
    database_id: str,
    run: str,
    holder: str,
    seconds: float,
    *,
    now: Callable[[], float] = time.time,
    pace: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Take the lease on `database_id`, or say whose it is. `guard` must already allow writes to the database (the
    lease is a connection on it); a session that does not hold the lease no longer may write there."""
    rival = _first(lease for lease in leases(api, database_id) if not lease.expired(now()))
    if rival is not None:
        guard.forget(database_id)
        return Outcome(None, rival)
    mine = _create(api, guard, database_id, lease_name(run, holder, now() + seconds))
    deadline, quiet_since = now() + PATIENCE_S, None
    while True:
        listed = leases(api, database_id)
        unexpired = [lease for lease in listed if not lease.expired(now())]
        first = _first([mine, *unexpired])
        assert first is not None
        if first.connection_id != mine.connection_id:
            api.delete_connection(mine.connection_id)
            guard.forget(database_id)
            return Outcome(None, first)
        if any(lease.connection_id != mine.connection_id for lease in unexpired):
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now()
        if (quiet_since is not None and now() - quiet_since >= QUIET_S) or now() >= deadline:
            break  # still there after the deadline: a loser killed before it deleted its lease, which stays so
        pace(POLL_S)
    gone = []
    for lease in listed:
        if lease.expired(now()):
            guard.allow_connection(lease.connection_id, database_id, lease.name)
            status = api.delete_connection(lease.connection_id).status_code
            gone.append(
                f"expired lease on sacrificial database {database_id} deleted: {lease.name}, DELETE answered {status}"
            )
    return Outcome(mine, None, gone)


def leases(api: ManagementApi, database_id: str) -> list[Lease]:
    """Every lease on the database (a sacrificial database holds a few connections: one page of 100)."""
    return [lease for connection in api.connections(database_id) if (lease := Lease.of(connection)) is not None]


def release(api: ManagementApi, connection_id: str) -> str | None:
    """Delete a connection this session made (its lease, its probe connection); why not, if it could not."""
    try:
        status = api.delete_connection(connection_id).status_code
    except httpx.HTTPError as error:
        return f"connection {connection_id}: {error}"
    return None if status in (204, 404) else f"connection {connection_id}: DELETE answered {status}"


def _first(found: Iterable[Lease]) -> Lease | None:
    return min(found, key=lambda lease: lease.order, default=None)


def _create(api: ManagementApi, guard: Allowlist, database_id: str, name: str) -> Lease:
    response = api.create_connection(database_id, name)
    if response.status_code != 200:
        raise ApiError(f"creating the lease on {database_id}", response)
    lease = Lease.of(response.json()["data"])
    assert lease is not None, "the server named the connection otherwise"
    guard.allow_connection(lease.connection_id, database_id, name)
    return lease
