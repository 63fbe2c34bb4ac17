"""The emulator as an ASGI application: staging behaviours, authentication, routing, wire faults, request log."""

from __future__ import annotations

import json
import time
import traceback
from collections import deque
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from restore_contract.emulator import api, control, render
from restore_contract.emulator.config import EmulatorConfig
from restore_contract.emulator.dataplane import DataPlane, new_data_plane
from restore_contract.emulator.errors import ApiError
from restore_contract.emulator.faults import FaultPolicy
from restore_contract.emulator.models import Grant
from restore_contract.emulator.routing import Router
from restore_contract.emulator.staging import Staging
from restore_contract.emulator.state import Store


class Emulator:
    """A stateful, in-process Prisma Management API; the instance itself is the ASGI callable."""

    def __init__(self, config: EmulatorConfig | None = None, data: DataPlane | None = None) -> None:
        self.config = config or EmulatorConfig()
        self._data = data or new_data_plane(self.config.data_plane, self.config.postgres_dsn)
        self.requests: deque[dict[str, Any]] = deque(maxlen=10_000)
        self.store = Store(self._data, self.config)
        self.staging = Staging(self.config)
        self.router = Router()
        api.routes(self.router)
        if self.config.control_plane:
            control.routes(self.router, self.reset, self.requests)

    def reset(self) -> None:
        """Forget every resource; faults, clock and staging (rate window, 503 draws) start over as configured."""
        self._data.close()
        self.requests.clear()
        self.store = Store(self._data, self.config)
        self.staging = Staging(self.config)

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
        seen = {"method": request.method, "path": _raw_path(scope), "status": response.status_code}
        self.requests.append({**seen, "ms": round((time.perf_counter() - started) * 1000, 3)})
        await response(scope, receive, send)

    async def _respond(self, request: Request) -> Response:
        store, staging = self.store, self.staging
        try:
            return self._reply(await self._dispatch(request, store, staging), store.policy)
        except ApiError as error:
            return self._error(error, store.policy)
        except Exception:  # a bug, or a fault asking for a crash: a 500 in the documented envelope
            traceback.print_exc()
            return self._error(ApiError(500, "internal_error", "The emulator failed."), store.policy)

    async def _dispatch(self, request: Request, store: Store, staging: Staging) -> api.Reply:
        raw_path = _raw_path(request.scope)
        public = raw_path.startswith("/v1/")
        if public:  # before anything else, as staging's edge answers before the API sees a request
            await staging.admit(request.method)
        match = self.router.match(request.method, raw_path)
        if match is None:
            raise ApiError(404, "not_found", "No such route.")
        if match.handler is None:
            allowed = ", ".join(match.allowed)
            if request.method == "OPTIONS":
                return api.Reply(204, headers={"Allow": allowed})
            raise ApiError(405, "method_not_allowed", f"Use one of {allowed}.", headers={"Allow": allowed})
        grant = self._grant(request, store) if public else None
        if public and not store.policy.lets_in(grant is not None):
            raise ApiError(401, "unauthorized", "Missing or invalid authorization token.")
        if public and grant is None:  # the fault auth-ignored: served as if the configured token had been sent
            grant = store.grants[self.config.token]
        params = store.policy.on_request(match.params, public=public)
        base_url = self.config.base_url or str(request.base_url).rstrip("/")
        reply: api.Reply = await match.handler(api.Call(request, params, store, base_url, grant))
        return reply

    @staticmethod
    def _grant(request: Request, store: Store) -> Grant | None:
        """What the request's bearer token may do; None: no token, or one the emulator never issued."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return store.grants.get(token) if scheme.lower() == "bearer" else None

    def _reply(self, reply: api.Reply, policy: FaultPolicy, error: ApiError | None = None) -> Response:
        body, media_type = policy.wire_response(reply.body, error)
        if body is None:
            return Response(status_code=reply.status, headers=reply.headers)
        return Response(json.dumps(body), status_code=reply.status, headers=reply.headers, media_type=media_type)

    def _error(self, error: ApiError, policy: FaultPolicy) -> Response:
        body = render.error(error.status, error.code, error.message, error.hint)
        return self._reply(api.Reply(error.status, body, error.headers), policy, error)


def _raw_path(scope: Scope) -> str:
    raw = scope.get("raw_path")
    if raw:
        return str(raw.decode("latin-1").split("?", 1)[0])
    return quote(scope["path"])
