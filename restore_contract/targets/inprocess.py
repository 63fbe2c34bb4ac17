"""An httpx transport that hands requests straight to an ASGI app: no port, no process, no thread hop.

httpx's own ASGITransport is async-only; this runs it on an event loop owned by the calling thread, so
a plain `httpx.Client` (and everything layered on it: the safety guard, vcrpy) works in-process.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx


class InProcessTransport(httpx.BaseTransport):
    def __init__(self, app: Any) -> None:
        self._asgi = httpx.ASGITransport(app=app)
        self._local = threading.local()

    def _loop(self) -> asyncio.AbstractEventLoop:
        loop: asyncio.AbstractEventLoop | None = getattr(self._local, "loop", None)
        if loop is None or loop.is_closed():
            loop = asyncio.new_event_loop()
            self._local.loop = loop
        return loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> tuple[httpx.Response, bytes]:
            response = await self._asgi.handle_async_request(request)
            return response, await response.aread()

        response, content = self._loop().run_until_complete(send())
        # A stream (not `content=`), so the client reads and closes it and records `elapsed` as for HTTP.
        return httpx.Response(response.status_code, headers=response.headers, stream=httpx.ByteStream(content))

    def close(self) -> None:
        loop: asyncio.AbstractEventLoop | None = getattr(self._local, "loop", None)
        if loop is not None and not loop.is_closed():
            loop.close()
