"""What the suite runs against: a client, and what the target can (and cannot) do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from targets.control import ControlPlane


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
    requests_sent: int = 0
    _clients: list[httpx.Client] = field(default_factory=list)
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

    def close(self) -> None:
        for client in self._clients:
            client.close()
        for hook in self.on_close:
            hook()


class _Counting(httpx.BaseTransport):
    """Counts every request the suite sends, for the end-of-run summary."""

    def __init__(self, inner: httpx.BaseTransport, target: Target) -> None:
        self._inner = inner
        self._target = target

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._target.requests_sent += 1
        return self._inner.handle_request(request)
