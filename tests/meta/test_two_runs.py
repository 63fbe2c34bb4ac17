"""Two live runs against one staging (the nightly and a manual run, a retried CI job) with the README's nightly
settings, a sacrificial database included: neither may judge the server on what the other did (issue 32). Once both
reported the other's connections appearing on the shared sacrificial database as a contract violation.

The sacrificial database is leased (restore_contract/targets/lease.py): one run restores there, the other only into
its own scratch databases and says so; a killed run's lease blocks only until it expires."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from restore_contract.emulator import DEFAULT_TOKEN
from restore_contract.harness.server import REPO
from restore_contract.targets.lease import LEASE_PREFIX, lease_name
from tests.meta.conftest import Staging, live_env
from tests.meta.test_live_mode import LIVE_RUN

# The README's nightly settings, scaled down: the nightly profile on a budget of seconds, few scratch databases.
NIGHTLY = {
    "PRISMA_CONTRACT_PROFILE": "nightly",
    "PRISMA_CONTRACT_BUDGET": "12",
    "PRISMA_CONTRACT_MAX_SCRATCH": "6",
    "PRISMA_CONTRACT_PROGRESS_SECONDS": "0",
}


@pytest.fixture
def sacrificial(staging: Staging) -> Iterator[str]:
    """A sacrificial database named contract-… in the staging project (PRISMA_CONTRACT_TARGET_DATABASE_ID)."""
    project = staging.settings["PRISMA_CONTRACT_PROJECT_ID"]
    with _api(staging) as api:
        database_id = str(
            api.post(f"/v1/projects/{project}/databases", json={"name": "contract-sacrificial"}).json()["data"]["id"]
        )
        try:
            yield database_id
        finally:
            api.delete(f"/v1/databases/{database_id}")


def _api(staging: Staging) -> httpx.Client:
    return httpx.Client(base_url=staging.server.url, headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"})


# A single run that only has to pass: the same, on a smaller budget.
SMALL = {**NIGHTLY, "PRISMA_CONTRACT_BUDGET": "6"}


def _start(staging: Staging, sacrificial: str, folder: Path, settings: dict[str, str]) -> subprocess.Popen[bytes]:
    folder.mkdir()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PRISMA_", "PYTEST_", "GITHUB_"))}
    env = {
        **clean,
        **live_env(staging, **settings, PRISMA_CONTRACT_TARGET_DATABASE_ID=sacrificial),
        "PRISMA_CONTRACT_REPORTS": str(folder / "reports"),
    }
    command = [*LIVE_RUN, f"--summary-json={folder / 'summary.json'}"]
    with (folder / "output.txt").open("wb") as log:
        return subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)


def _finished(process: subprocess.Popen[bytes], folder: Path) -> tuple[int, dict[str, Any], str]:
    code = process.wait(timeout=300)
    output = (folder / "output.txt").read_text(encoding="utf-8", errors="replace")
    summary = folder / "summary.json"
    record = json.loads(summary.read_text(encoding="utf-8")) if summary.exists() else {}
    return code, record, output


def _leases(staging: Staging, database_id: str) -> list[str]:
    with _api(staging) as api:
        listed = api.get(f"/v1/databases/{database_id}/connections").json()["data"]
    return [str(c["name"]) for c in listed if str(c["name"]).startswith(LEASE_PREFIX)]


@pytest.mark.waits(35)
def test_two_nightly_runs_at_once_against_one_staging_both_pass(
    staging: Staging, sacrificial: str, tmp_path: Path
) -> None:
    folders = [tmp_path / "first", tmp_path / "second"]
    started = [_start(staging, sacrificial, folder, NIGHTLY) for folder in folders]
    ended = [_finished(process, folder) for process, folder in zip(started, folders, strict=True)]
    for code, record, output in ended:
        assert code == 0, output[-6000:]
        assert record["failures"] == {}, record["failures"]
    # One of them restored into the sacrificial database; the other left it alone and said so, unless the first had
    # finished (and released it) before the second asked.
    said = [line for _, record, _ in ended for line in record["sacrificial_lease"]]
    assert len(said) <= 1, said
    assert all(f"sacrificial database {sacrificial} is leased by run" in line for line in said), said
    assert all("not used by this run" in line for line in said), said
    assert _leases(staging, sacrificial) == [], "a run left its lease"


@pytest.mark.waits(15)
def test_a_killed_runs_expired_lease_does_not_block_and_is_removed(
    staging: Staging, sacrificial: str, tmp_path: Path
) -> None:
    with _api(staging) as api:
        api.post(
            f"/v1/databases/{sacrificial}/connections",
            json={"name": lease_name("deadbeef", "deadbeef", time.time() - 60)},
        ).raise_for_status()
    process = _start(staging, sacrificial, tmp_path / "run", SMALL)
    code, record, output = _finished(process, tmp_path / "run")
    assert code == 0, output[-6000:]
    lines = record["sacrificial_lease"]
    assert [line for line in lines if "expired lease" in line and "deadbeef" in line], lines
    assert not [line for line in lines if "not used by this run" in line], lines
    assert _leases(staging, sacrificial) == []


@pytest.mark.waits(15)
def test_another_runs_lease_keeps_a_run_off_the_sacrificial_database_and_it_still_passes(
    staging: Staging, sacrificial: str, tmp_path: Path
) -> None:
    with _api(staging) as api:
        connections = api.get(f"/v1/databases/{sacrificial}/connections").json()["data"]
        held = api.post(
            f"/v1/databases/{sacrificial}/connections",
            json={"name": lease_name("0ther000", "0ther000", time.time() + 3600)},
        ).json()["data"]
        try:
            process = _start(staging, sacrificial, tmp_path / "run", SMALL)
            code, record, output = _finished(process, tmp_path / "run")
            assert code == 0, output[-6000:]
            line = f"sacrificial database {sacrificial} is leased by run 0ther000 since "
            assert [said for said in record["sacrificial_lease"] if said.startswith(line)], record
            assert line in output  # in the summary
            # It wrote nothing there: the connections are the ones it found
            after = api.get(f"/v1/databases/{sacrificial}/connections").json()["data"]
            assert [c["id"] for c in after] == [c["id"] for c in connections] + [held["id"]]
        finally:
            api.delete(f"/v1/connections/{held['id']}")
