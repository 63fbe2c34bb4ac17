"""A live target: any server that implements the API, configured from the environment.

PRISMA_API_URL                      origin of the API (paths start with /v1), e.g. https://api.prisma.io
PRISMA_API_TOKEN                    bearer token (service token)
PRISMA_CONTRACT_PROJECT_ID          project in which the suite creates (and deletes) contract-… scratch databases
PRISMA_CONTRACT_TARGET_DATABASE_ID  optional: a sacrificial database (named contract-…) restores may overwrite
PRISMA_CONTRACT_SOURCE_DATABASE_ID  the golden source: a database with at least one completed backup
PRISMA_CONTRACT_BACKUP_ID           optional: which of its backups to restore (default: any completed one)
PRISMA_CONTRACT_RESTORE_TIMEOUT     seconds to wait for recovering → ready (default 900)
PRISMA_CONTRACT_DATA_PROBE          `on` (default): log in with issued connection strings to check data and
                                    credentials; `off` where this machine cannot reach the databases

Every request goes through the safety guard (targets/guard.py).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import asdict, dataclass

import httpx

from targets.base import Target, TargetConfigurationError, Traffic
from targets.data import PostgresAccess
from targets.guard import Allowlist, GuardTransport

DEFAULT_LIVE_RESTORE_TIMEOUT = 900.0


@dataclass(frozen=True)
class LiveSettings:
    url: str
    token: str
    project_id: str | None = None
    target_database_id: str | None = None
    source_database_id: str | None = None
    backup_id: str | None = None
    restore_timeout: float = DEFAULT_LIVE_RESTORE_TIMEOUT
    data_probe: bool = True
    run_id: str = ""  # names this run's scratch databases; fixed in a cassette so a replay sends the same bodies

    @classmethod
    def from_env(cls, needed_by: str = "--target live") -> LiveSettings:
        url = _required("PRISMA_API_URL", "https://api.prisma.io", needed_by).rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise TargetConfigurationError(f"PRISMA_API_URL must start with http:// or https://, got {url!r}")
        timeout_text = os.environ.get("PRISMA_CONTRACT_RESTORE_TIMEOUT", str(DEFAULT_LIVE_RESTORE_TIMEOUT))
        try:
            timeout = float(timeout_text)
        except ValueError:
            raise TargetConfigurationError(
                f"PRISMA_CONTRACT_RESTORE_TIMEOUT must be a number of seconds, got {timeout_text!r}"
            ) from None
        probe = os.environ.get("PRISMA_CONTRACT_DATA_PROBE", "on").strip().lower()
        if probe not in ("on", "off"):
            raise TargetConfigurationError(f"PRISMA_CONTRACT_DATA_PROBE must be on or off, got {probe!r}")
        return cls(
            url=url,
            token=_required("PRISMA_API_TOKEN", "<service token>", needed_by),
            project_id=_optional("PRISMA_CONTRACT_PROJECT_ID"),
            target_database_id=_optional("PRISMA_CONTRACT_TARGET_DATABASE_ID"),
            source_database_id=_optional("PRISMA_CONTRACT_SOURCE_DATABASE_ID"),
            backup_id=_optional("PRISMA_CONTRACT_BACKUP_ID"),
            restore_timeout=timeout,
            data_probe=probe == "on",
            run_id=uuid.uuid4().hex[:8],
        )

    def public(self) -> dict[str, object]:
        """Everything but the token: what a cassette's metadata may record."""
        return {key: value for key, value in asdict(self).items() if key != "token"}


def _required(name: str, example: str, needed_by: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise TargetConfigurationError(f"{needed_by} needs {name} (e.g. {name}={example}); it is not set")
    return value


def _optional(name: str) -> str | None:
    return os.environ.get(name, "").strip() or None


def live_target(
    settings: LiveSettings,
    *,
    name: str = "live",
    preflight: bool = True,
    recorder: AbstractContextManager[object] | None = None,
    wrap: Callable[[httpx.BaseTransport], httpx.BaseTransport] = lambda transport: transport,
) -> Target:
    """A guarded target on `settings.url`. `recorder`: a cassette recording (entered here, finished at close);
    `wrap`: a transport to put over the guard (a replay's mismatch messages)."""
    guard = Allowlist()
    http = httpx.HTTPTransport(retries=1)
    stack = ExitStack()
    stack.callback(http.close)
    if recorder is not None:
        stack.enter_context(recorder)
    target = Target(
        name=name,
        base_url=settings.url,
        token=settings.token,
        traffic=Traffic(wrap(GuardTransport(http, guard))),
        restore_timeout=settings.restore_timeout,
        project_id=settings.project_id,
        data=PostgresAccess() if settings.data_probe else None,
        guard=guard,
        described={"url": settings.url, "recording": str(recorder is not None).lower()},
        release=stack.close,
    )
    if preflight:
        try:
            _preflight(target)
        except TargetConfigurationError:
            target.close()
            raise
    return target


def _preflight(target: Target) -> None:
    """One cheap request, so a wrong URL or token is one clear message rather than a wall of failures."""
    client = target.client()
    probe = "/v1/databases/db_preflight0/backups"
    try:
        response = client.get(probe)
    except httpx.HTTPError as error:
        raise TargetConfigurationError(f"cannot reach PRISMA_API_URL={target.base_url}: {error}") from None
    if response.status_code == 401:
        raise TargetConfigurationError(
            f"{target.base_url} refused PRISMA_API_TOKEN (401): check the token (a service token of the workspace)"
        )
    if response.status_code >= 500 or "json" not in response.headers.get("content-type", ""):
        raise TargetConfigurationError(
            f"{target.base_url} does not look like the Prisma Management API: GET {probe} answered "
            f"{response.status_code} {response.headers.get('content-type', '')}"
        )
