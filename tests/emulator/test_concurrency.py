"""Fifty simultaneous restores of one ready database: exactly one starts (200), the others find it busy (409)."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import httpx

from restore_contract.emulator import DEFAULT_TOKEN

if TYPE_CHECKING:
    from restore_contract.harness.server import Server
    from tests.emulator.conftest import Api, Seeded

CONCURRENT = 50
EXACTLY_ONE_STARTS = Counter({200: 1, 409: CONCURRENT - 1})


def test_threads_sharing_one_in_process_client(api: Api, seeded: Seeded) -> None:
    start = threading.Barrier(CONCURRENT)

    def restore(_: int) -> int:
        start.wait(timeout=10)  # all threads send at once
        try:
            return api.restore(seeded.database_id, seeded.source).status_code
        finally:
            api.finish_thread()

    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        statuses = Counter(pool.map(restore, range(CONCURRENT)))

    assert statuses == EXACTLY_ONE_STARTS
    assert api.status(seeded.database_id) == "ready"
    assert api.data(seeded.database_id) == seeded.data


def test_async_clients_over_real_http(server: Server, server_api: Api) -> None:
    seeded = server_api.seed(server_api.project())

    async def restore_all() -> list[httpx.Response]:
        headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
        limits = httpx.Limits(max_connections=CONCURRENT)
        async with httpx.AsyncClient(base_url=server.url, headers=headers, limits=limits, timeout=10) as client:
            path, body = f"/v1/databases/{seeded.database_id}/restore", {"source": seeded.source}
            return list(await asyncio.gather(*(client.post(path, json=body) for _ in range(CONCURRENT))))

    responses = asyncio.run(restore_all())

    for response in responses:
        server_api.check(response)
    assert Counter(response.status_code for response in responses) == EXACTLY_ONE_STARTS
    assert server_api.status(seeded.database_id) == "ready"
