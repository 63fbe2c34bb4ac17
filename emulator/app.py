"""The emulator as an ASGI application: authentication, routing, faults on the wire, request log."""

from __future__ import annotations

import json
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from emulator import api, control, render
from emulator.clock import ClockConfig
from emulator.dataplane import DataPlane, new_data_plane
from emulator.errors import ApiError
from emulator.faults import Fault
from emulator.ids import IdStyle
from emulator.routing import Router
from emulator.state import Store

DEFAULT_TOKEN = "emulator-token"


@dataclass(frozen=True)
class EmulatorConfig:
    token: str = DEFAULT_TOKEN
    clock: ClockConfig = field(default_factory=ClockConfig)
    faults: frozenset[Fault] = frozenset()
    id_style: IdStyle = IdStyle.CUID
    alias_unprefixed: bool = True  # does `c…` reach the database `db_c…`?
    backups_newest_first: bool = True
    seed: int = 0
    base_url: str | None = None  # for the `url` fields; default: the request's own origin
    control_plane: bool = True
    # `memory` for the library default (fast, what the emulator's own tests use); the server command and
    # the contract suite ask for `postgres`, whose connection strings really log in.
    data_plane: str = "memory"
    postgres_dsn: str | None = None  # `postgres` on this server instead of the embedded cluster


class Emulator:
    """A stateful, in-process Prisma Management API; the instance itself is the ASGI callable."""

    def __init__(self, config: EmulatorConfig | None = None, data: DataPlane | None = None) -> None:
        self.config = config or EmulatorConfig()
        self._data = data or new_data_plane(self.config.data_plane, self.config.postgres_dsn)
        self.requests: deque[dict[str, Any]] = deque(maxlen=10_000)
        self.store = self._new_store()
        self.router = Router()
        api.routes(self.router)
        if self.config.control_plane:
            control.routes(self.router, self)

    def _new_store(self) -> Store:
        c = self.config
        return Store(self._data, c.clock, c.faults, c.id_style, c.alias_unprefixed, c.backups_newest_first, c.seed)

    def reset(self) -> None:
        """Forget every resource; faults and clock return to the configured ones."""
        self._data.close()
        self.requests.clear()
        self.store = self._new_store()

    def close(self) -> None:
        """Give back what the data plane holds (PostgreSQL databases and roles); the emulator is unusable after."""
        self._data.shutdown()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        started = time.perf_counter()
        response = await self._respond(request)
        raw_path = _raw_path(scope)
        self.requests.append(
            {
                "method": request.method,
                "path": raw_path,
                "status": response.status_code,
                "ms": round((time.perf_counter() - started) * 1000, 3),
            }
        )
        await response(scope, receive, send)

    async def _respond(self, request: Request) -> Response:
        store = self.store
        try:
            return self._reply(await self._dispatch(request, store), store)
        except ApiError as error:
            return self._error(error, store)
        except Exception:  # a bug, or a fault asking for a crash: a 500 in the documented envelope
            traceback.print_exc()
            return self._error(ApiError(500, "internal_error", "The emulator failed."), store)

    async def _dispatch(self, request: Request, store: Store) -> api.Reply:
        raw_path = _raw_path(request.scope)
        match = self.router.match(request.method, raw_path)
        if match is None:
            raise ApiError(404, "not_found", "No such route.")
        if match.handler is None:
            if request.method == "OPTIONS":
                return api.Reply(204, _Allow(match.allowed))
            allowed = ", ".join(match.allowed)
            raise ApiError(405, "method_not_allowed", f"Use one of {allowed}.", headers={"Allow": allowed})
        public = raw_path.startswith("/v1/")
        if public and not self._authorized(request, store):
            raise ApiError(401, "unauthorized", "Missing or invalid authorization token.")
        if store.has(Fault.UNICODE_ID_500) and any(not value.isascii() for value in match.params.values()):
            raise RuntimeError("non-ASCII id (fault unicode-id-500)")
        base_url = self.config.base_url or str(request.base_url).rstrip("/")
        reply: api.Reply = await match.handler(api.Call(request, match.params, store, base_url))
        return reply

    def _authorized(self, request: Request, store: Store) -> bool:
        if store.has(Fault.AUTH_IGNORED):
            return True
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and token == self.config.token

    def _reply(self, reply: api.Reply, store: Store) -> Response:
        if isinstance(reply.body, _Allow):
            return Response(status_code=204, headers={"Allow": ", ".join(reply.body.methods)})
        if reply.body is None:
            return Response(status_code=reply.status)
        media_type = "text/plain" if store.has(Fault.CONTENT_TYPE_WRONG) else "application/json"
        return Response(json.dumps(reply.body), status_code=reply.status, media_type=media_type)

    def _error(self, error: ApiError, store: Store) -> Response:
        body = render.error(error.status, error.code, error.message, error.hint)
        if store.has(Fault.ERROR_ENVELOPE_WRONG):
            body = {"message": error.message}
        response = self._reply(api.Reply(error.status, body), store)
        response.headers.update(error.headers)
        return response


@dataclass(frozen=True)
class _Allow:
    methods: tuple[str, ...]


def _raw_path(scope: Scope) -> str:
    raw = scope.get("raw_path")
    if raw:
        return str(raw.decode("latin-1").split("?", 1)[0])
    return quote(scope["path"])
