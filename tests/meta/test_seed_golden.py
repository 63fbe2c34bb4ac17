"""`python3 dev.py seed-golden` against the emulator over HTTP (public API only), as a user runs it on staging."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING

import httpx
import psycopg

from restore_contract.dataset.golden import GOLDEN_DATA, GOLDEN_NAME
from restore_contract.dataset.tables import canonical, read_tables
from restore_contract.emulator import DEFAULT_TOKEN
from restore_contract.harness.server import REPO
from restore_contract.targets.api import ManagementApi
from restore_contract.targets.pool import create_connection

if TYPE_CHECKING:
    from tests.meta.conftest import Staging


def seed_golden(staging: Staging, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PRISMA_")}
    settings = {"PRISMA_API_URL": staging.server.url, "PRISMA_API_TOKEN": DEFAULT_TOKEN, **env}
    command = [sys.executable, "-m", "restore_contract.commands.seed_golden", *args]
    return subprocess.run(
        command, cwd=REPO, env={**clean, **settings}, capture_output=True, text=True, timeout=120, check=False
    )


def client(staging: Staging) -> httpx.Client:
    return httpx.Client(base_url=staging.server.url, headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"})


def test_it_creates_and_seeds_a_golden_source_that_a_fresh_login_reads(staging: Staging) -> None:
    project = staging.settings["PRISMA_CONTRACT_PROJECT_ID"]
    done = seed_golden(staging, PRISMA_CONTRACT_PROJECT_ID=project)
    assert done.returncode == 0, done.stderr
    line = done.stdout.strip().splitlines()[-1]
    assert line.startswith("PRISMA_CONTRACT_SOURCE_DATABASE_ID=db_"), done.stdout
    database_id = line.partition("=")[2]
    with client(staging) as api:
        assert api.get(f"/v1/databases/{database_id}").json()["data"]["name"] == GOLDEN_NAME
        with psycopg.connect(create_connection(ManagementApi(api), database_id).connection_string) as session:
            assert canonical(read_tables(session)) == canonical(GOLDEN_DATA)


def test_it_refuses_a_database_not_named_contract(staging: Staging) -> None:
    project = staging.settings["PRISMA_CONTRACT_PROJECT_ID"]
    with client(staging) as api:
        created = api.post(f"/v1/projects/{project}/databases", json={"name": "production"})
    database_id = created.json()["data"]["id"]
    done = seed_golden(staging, "--database-id", database_id)
    assert done.returncode == 2
    assert "only seeds databases named contract-" in done.stderr
    assert "Traceback" not in done.stderr


def test_without_a_database_or_project_it_says_what_to_set(staging: Staging) -> None:
    done = seed_golden(staging)
    assert done.returncode == 2
    assert done.stderr.strip() == ("seed-golden: give --database-id, or set PRISMA_CONTRACT_PROJECT_ID to create one")


def test_without_the_api_settings_it_names_the_missing_one(staging: Staging) -> None:
    done = seed_golden(staging, PRISMA_API_TOKEN="")
    assert done.returncode == 2
    assert done.stderr.startswith("seed-golden: seeding a golden source needs PRISMA_API_TOKEN"), done.stderr
