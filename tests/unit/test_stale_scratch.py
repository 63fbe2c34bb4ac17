"""Scratch databases an earlier run left: deleted only when older than the setting and the floor, in hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from restore_contract.targets.guard import Allowlist
from restore_contract.targets.live import STALE_FLOOR
from restore_contract.targets.pool import delete_stale_scratch

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
AGES_H = {"db_c30h": 30.0, "db_c7h": 7.0, "db_c2h": 2.0, "db_c10min": 10 / 60}


def _project(deleted: list[str]) -> httpx.Client:
    databases = [
        {
            "id": database_id,
            "name": f"contract-scratch-run{index}-target-1",
            "createdAt": _iso(NOW - timedelta(hours=h)),
        }
        for index, (database_id, h) in enumerate(AGES_H.items())
    ]
    databases.append({"id": "db_cprod", "name": "production", "createdAt": _iso(NOW - timedelta(days=400))})
    databases.append({"id": "db_ckeep", "name": "contract-keep-me", "createdAt": _iso(NOW - timedelta(days=400))})

    def server(request: httpx.Request) -> httpx.Response:
        if request.method == "DELETE":
            deleted.append(request.url.path.rsplit("/", 1)[-1])
            return httpx.Response(204)
        return httpx.Response(200, json={"data": databases, "pagination": {"hasMore": False, "nextCursor": None}})

    return httpx.Client(transport=httpx.MockTransport(server), base_url="https://api.example")


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    ("hours", "gone"),
    [
        (24.0, ["db_c30h"]),  # the default: a day old
        (3.0, ["db_c30h", "db_c7h"]),  # below the floor: the floor (6 h) decides
        (0.0, ["db_c30h", "db_c7h"]),  # 0, the natural reply to a killed run: another run's young ones stay
    ],
)
def test_only_scratch_databases_older_than_the_setting_and_the_floor_are_deleted(hours: float, gone: list[str]) -> None:
    assert STALE_FLOOR == 6 * 3600
    deleted: list[str] = []
    guard = Allowlist()
    done, kept = delete_stale_scratch(_project(deleted), "proj_1", guard, hours * 3600, now=NOW)
    assert deleted == gone
    assert [line.split(" ", 1)[0] for line in done] == gone
    assert "30.0 h old" in done[0]
    young = [database_id for database_id in AGES_H if database_id not in gone]
    assert [line.split(" ", 1)[0] for line in kept] == young
    for line in kept:  # each says why it stayed and how to delete it once no run uses it
        assert "a run in progress may own it" in line
        assert "curl -X DELETE" in line
        assert "https://api.example/v1/databases/db_c" in line
        assert "$PRISMA_API_TOKEN" in line
    assert guard.ids == set(gone)  # only what it deleted was ever allowed


def test_a_scratch_database_exactly_as_old_as_the_setting_is_kept() -> None:
    """docs/safety.md deletes those *older than* the setting (the docstring: created *more than* that long ago): one
    created exactly that long ago may still be a run's in progress, so the guard errs on keeping it."""
    databases = [
        {"id": "db_cexact", "name": "contract-scratch-run1-target-1", "createdAt": _iso(NOW - timedelta(hours=24))},
        {
            "id": "db_colder",
            "name": "contract-scratch-run2-target-1",
            "createdAt": _iso(NOW - timedelta(hours=24, seconds=1)),
        },
    ]
    deleted: list[str] = []

    def server(request: httpx.Request) -> httpx.Response:
        if request.method == "DELETE":
            deleted.append(request.url.path.rsplit("/", 1)[-1])
            return httpx.Response(204)
        return httpx.Response(200, json={"data": databases, "pagination": {"hasMore": False, "nextCursor": None}})

    client = httpx.Client(transport=httpx.MockTransport(server), base_url="https://api.example")
    done, kept = delete_stale_scratch(client, "proj_1", None, 24 * 3600, now=NOW)
    assert deleted == ["db_colder"]
    assert [line.split(" ", 1)[0] for line in done] == ["db_colder"]
    assert [line.split(" ", 1)[0] for line in kept] == ["db_cexact"]
