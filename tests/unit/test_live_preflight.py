"""README: a golden source without a completed backup stops a live run with one line before anything is written
(`PRISMA_CONTRACT_SOURCE_DATABASE_ID=… has no completed backup to restore from`): its restores could check nothing.
The preflight reads a server that answers like the API (GET only)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from restore_contract.targets.base import TargetConfigurationError
from restore_contract.targets.live import LiveSettings, live_target

SOURCE = "db_cgolden"


def _api(backups: list[dict[str, Any]], seen: list[str]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        if request.url.path == f"/v1/databases/{SOURCE}/backups":
            return httpx.Response(200, json={"data": backups, "pagination": {"hasMore": False}})
        return httpx.Response(404, json={"error": {"code": "not_found"}})

    return httpx.MockTransport(answer)


def _backup(status: str) -> dict[str, Any]:
    return {"id": f"bkp_{status}", "status": status, "type": "full"}


@pytest.mark.parametrize("statuses", [[], ["running"], ["failed", "running"]], ids=["none", "running", "unusable"])
def test_a_golden_source_without_a_completed_backup_stops_the_run(statuses: list[str]) -> None:
    seen: list[str] = []
    settings = LiveSettings("https://api.example", "t", source_database_id=SOURCE, data_probe=False)
    transport = _api([_backup(status) for status in statuses], seen)
    with pytest.raises(TargetConfigurationError) as stopped:
        live_target(settings, wrap=lambda inner: transport)
    assert str(stopped.value) == f"PRISMA_CONTRACT_SOURCE_DATABASE_ID={SOURCE} has no completed backup to restore from"
    assert all(request.startswith("GET ") for request in seen), "the preflight only reads"


def test_a_golden_source_with_a_completed_backup_passes_the_preflight() -> None:
    seen: list[str] = []
    settings = LiveSettings("https://api.example", "t", source_database_id=SOURCE, data_probe=False)
    target = live_target(settings, wrap=lambda inner: _api([_backup("running"), _backup("completed")], seen))
    target.close()
    assert f"GET /v1/databases/{SOURCE}/backups" in seen
