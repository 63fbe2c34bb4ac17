"""What the suite runs against: a client, and what the target can (and cannot) do.

A builder per kind (`emulator_target`, `live_target`, `replay_target`) returns a complete `Target`: its
capabilities are fields set once (a control plane, a data probe, a safety guard), its transport stack is
assembled (guard, recorder or replayer, request counter: httpx transports are the seam), and `close()`
releases what the builder acquired. What a run creates on the target belongs to the run's resources
(`targets.pool`), not to the target.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx

from restore_contract.settings import ENV
from restore_contract.targets.control import ControlPlane
from restore_contract.targets.data import DataAccess
from restore_contract.targets.guard import Allowlist
from restore_contract.targets.pace import Pacer

# The run's other principals, besides its admin token (`Target.token`): a valid token of the run's workspace without
# the scope workspace:admin, and an admin token of another workspace. What each may do is what the suite checks.
NO_ADMIN = "no-admin"
OTHER_WORKSPACE = "other-workspace"
PRINCIPALS = (NO_ADMIN, OTHER_WORKSPACE)
SETTING_OF = {NO_ADMIN: ENV["no_admin_token"], OTHER_WORKSPACE: ENV["other_workspace_token"]}  # each one's variable


class TargetConfigurationError(Exception):
    """The target cannot be used as configured; the message says what to fix."""


class Traffic(httpx.BaseTransport):
    """Counts every request the suite sends, and the retries under it (for the summary); the outermost transport.

    Closing a client closes its transport: this one stays open (many clients share it) and the target's
    `release` closes what is under it."""

    def __init__(self, inner: httpx.BaseTransport, pacer: Pacer | None = None) -> None:
        self._inner = inner
        self.pacer = pacer  # the pace under it, where the run paces itself to the server's rate limit
        self._lock = threading.Lock()
        self.sent = 0
        self.retries = (
            0  # transient answers retried (restore_contract/targets/transient.py), and the seconds waited for them
        )
        self.waited = 0.0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        retry = response.extensions.get("retry")
        with self._lock:
            self.sent += 1
            self.retries += getattr(retry, "attempts_made", 0)
            self.waited += getattr(retry, "elapsed_sleep", 0.0)
        return response

    @property
    def paced_per_second(self) -> float | None:
        """The rate requests are spaced to since the server's first 429 (None: never paced), to one decimal."""
        rate = self.pacer.rate if self.pacer is not None else None
        return None if rate is None else round(rate, 1)


@dataclass(frozen=True)
class Target:
    name: str
    base_url: str
    token: str
    traffic: Traffic  # the transport stack, counted
    restore_timeout: float
    project_id: str | None = None  # where scratch databases can be created
    # Tokens of the other principals (PRINCIPALS → token), those the target has; never written anywhere.
    tokens: Mapping[str, str] = field(default_factory=dict, repr=False)
    other_project_id: str | None = None  # where the OTHER_WORKSPACE token creates the run's database of that workspace
    control: ControlPlane | None = None  # only emulators have one
    data: DataAccess | None = None  # the data probe; None where nothing can log in (replay, or switched off)
    guard: Allowlist | None = None  # live targets: the only databases a restore or delete may name
    described: Mapping[str, str] = field(default_factory=dict)  # what it was really built with, for the record
    concurrent: bool = False  # restores may be verified in the background, one per target at a time
    # Recording a cassette or replaying one: HTTP only, so it never logs in to a database (a replay has nothing to
    # log in to, and its recording must send the same requests), whatever the data probe's setting.
    cassette: bool = False
    pace: Callable[[float], None] = time.sleep  # how polling waits between reads (a replay does not wait)
    release: Callable[[], None] = lambda: None  # what the builder acquired (an emulator, a cassette)
    _clients: list[httpx.Client] = field(default_factory=list, repr=False)

    def client(self, token: str | None = None, *, authenticated: bool = True) -> httpx.Client:
        """A client on the target's transport; `token` overrides the configured one."""
        client = new_client(self.traffic, self.base_url, (token or self.token) if authenticated else None)
        self._clients.append(client)
        return client

    @property
    def guarded(self) -> bool:
        return self.guard is not None

    def close(self) -> None:
        if self.data is not None:
            self.data.close()
        for client in self._clients:
            client.close()
        self.release()


def new_client(transport: httpx.BaseTransport, base_url: str, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.Client(transport=transport, base_url=base_url, headers=headers, timeout=httpx.Timeout(30.0))
