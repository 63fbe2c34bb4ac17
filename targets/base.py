"""What the suite runs against: a client, and what the target can (and cannot) do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from targets.control import ControlPlane
from targets.data import DataAccess
from targets.guard import SCRATCH_PREFIX, Allowlist


class TargetConfigurationError(Exception):
    """The target cannot be used as configured; the message says what to fix."""


@dataclass
class Target:
    name: str
    base_url: str
    token: str
    transport: httpx.BaseTransport
    project_id: str | None
    restore_timeout: float
    control: ControlPlane | None = None  # only emulators have one
    data: DataAccess | None = None  # the data probe; None where nothing can log in (replay, or switched off)
    allowlist: Allowlist | None = None  # set on guarded (live) targets: the only restore/delete targets allowed
    described: dict[str, str] = field(default_factory=dict)  # what it was really built with, for the run record
    requests_sent: int = 0
    scratch: list[str] = field(default_factory=list)  # databases this run created, deleted at the end
    _clients: list[httpx.Client] = field(default_factory=list)
    _bookkeeping: httpx.Client | None = None
    on_close: list[Callable[[], None]] = field(default_factory=list)

    def client(self, token: str | None = None, *, authenticated: bool = True) -> httpx.Client:
        """A client on the target's transport; `token` overrides the configured one."""
        headers = {"Authorization": f"Bearer {token or self.token}"} if authenticated else {}
        client = httpx.Client(
            transport=_Counting(self.transport, self),
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(30.0),
        )
        self._clients.append(client)
        return client

    def own_client(self) -> httpx.Client:
        """One client for the suite's own bookkeeping (scratch databases, probe connections), made on first use."""
        if self._bookkeeping is None:
            self._bookkeeping = self.client()
        return self._bookkeeping

    @property
    def guarded(self) -> bool:
        return self.allowlist is not None

    def create_database(self, name: str) -> str:
        """Create a scratch database (named contract-…) that this run owns and may restore into and delete."""
        if self.project_id is None:
            raise TargetConfigurationError("creating scratch databases needs PRISMA_CONTRACT_PROJECT_ID")
        full_name = SCRATCH_PREFIX + name
        response = self.own_client().post(f"/v1/projects/{self.project_id}/databases", json={"name": full_name})
        if response.status_code != 201:
            raise RuntimeError(
                f"creating database {full_name!r} answered {response.status_code}: {response.text[:300]}"
            )
        database_id: str = response.json()["data"]["id"]
        self.scratch.append(database_id)
        if self.allowlist is not None:
            self.allowlist.allow(database_id, full_name)
        return database_id

    def delete_scratch(self) -> list[str]:
        """Delete every scratch database still there; returns what could not be deleted, with why."""
        leftovers = []
        client = self.own_client()
        for database_id in self.scratch:
            try:
                response = client.delete(f"/v1/databases/{database_id}")
            except httpx.HTTPError as error:
                leftovers.append(f"{database_id}: {error}")
                continue
            if response.status_code not in (204, 404):
                leftovers.append(f"{database_id}: DELETE answered {response.status_code}")
        self.scratch.clear()
        return leftovers

    def close(self) -> None:
        """Run the close hooks last-added first (scratch clean-up before the emulator under it goes away)."""
        if self.data is not None:
            self.data.close()
        for hook in reversed(self.on_close):
            hook()
        for client in self._clients:
            client.close()


class _Counting(httpx.BaseTransport):
    """Counts every request the suite sends, for the end-of-run summary."""

    def __init__(self, inner: httpx.BaseTransport, target: Target) -> None:
        self._inner = inner
        self._target = target

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._target.requests_sent += 1
        return self._inner.handle_request(request)
