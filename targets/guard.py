"""The safety guard: on a live target, no restore or delete leaves the process unless the run owns its target.

It sits in the HTTP layer, under every client the suite makes (the driver's, the probes', the pool's),
so no code path, generated case or id found in a response can reach a database the run was not given
or did not create. A refused request raises `UnsafeRequestRefused` before anything is sent, and the run
fails loudly.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from urllib.parse import unquote

import httpx

SCRATCH_PREFIX = "contract-"
# Where a destructive request's target id sits in the (still percent-encoded) path. Searched from the
# end, so an API URL with a base path of its own is guarded as well.
RESTORE_PATH = re.compile(r"/v1/databases/([^/]*)/restore/?$")
DATABASE_PATH = re.compile(r"/v1/databases/([^/]*)/?$")
# Methods the suite never needs except to delete its own databases: anything else with them is refused.
MUTATING = {"DELETE", "PUT", "PATCH"}


class UnsafeRequestRefused(RuntimeError):
    """A destructive request towards a database the run does not own; nothing was sent."""


@dataclass
class Allowlist:
    """Databases this run may restore into or delete: the configured sacrificial one and its own scratch ones."""

    ids: set[str] = field(default_factory=set)
    refused: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def allow(self, database_id: str, name: str) -> None:
        if not name.startswith(SCRATCH_PREFIX):
            raise UnsafeRequestRefused(
                f"refusing to use database {database_id} ({name!r}) as a restore target: its name does not start "
                f"with {SCRATCH_PREFIX!r}; rename it or give another sacrificial database"
            )
        with self._lock:
            self.ids.add(database_id)

    def __contains__(self, database_id: object) -> bool:
        with self._lock:
            return database_id in self.ids


def destructive_target(method: str, raw_path: str) -> str | None:
    """The database id a request would overwrite or delete; "" for a mutation of anything else; None if harmless."""
    method = method.upper()
    restore = RESTORE_PATH.search(raw_path)
    if method == "POST" and restore:
        return unquote(restore.group(1))
    if method in MUTATING:
        database = DATABASE_PATH.search(raw_path)
        return unquote(database.group(1)) if method == "DELETE" and database else ""
    return None


class GuardTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, allowlist: Allowlist) -> None:
        self._inner = inner
        self.allowlist = allowlist

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raw_path = request.url.raw_path.decode("ascii").split("?", 1)[0]
        target = destructive_target(request.method, raw_path)
        if target is not None and (target == "" or target not in self.allowlist):
            self.allowlist.refused.append(f"{request.method} {raw_path}")
            raise UnsafeRequestRefused(
                f"refused before sending: {request.method} {raw_path} targets {target!r}, which this run neither "
                "was given (PRISMA_CONTRACT_TARGET_DATABASE_ID) nor created"
            )
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()
