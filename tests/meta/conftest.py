"""Shared by the meta-tests: the emulator as a staging stand-in over HTTP, and the suite run as a user runs it."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from restore_contract.emulator import DEFAULT_TOKEN
from restore_contract.harness.server import REPO, Server, seeded_settings, start_server
from tests.meta.forked import run_pytest
from tests.meta.records import RunRecord


@dataclass(frozen=True)
class Staging:
    server: Server
    settings: dict[str, str]


@pytest.fixture(scope="module")
def staging() -> Iterator[Staging]:
    server = start_server("--no-control-plane", "--seed-golden")
    try:
        yield Staging(server, seeded_settings(server))
    finally:
        server.stop()


def run_suite_with(
    env: dict[str, str], *args: str, record: Path | None = None, tests: str = "tests/contract"
) -> subprocess.CompletedProcess[str]:
    """`pytest TESTS ARGS` in a session of its own whose environment holds only `env` of the suite's settings; with
    `record`, the run writes its run record there (read it with `RunRecord.read`). The session is forked from a
    warmed-up process (tests/meta/forked.py): as isolated as `python -m pytest` in a subprocess, which it stands
    for, without importing everything again (~1.5 s of CPU a run, and there are some sixty)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PRISMA_", "PYTEST_", "GITHUB_"))}
    # Each run's reports in a folder of its own, not the project's reports/ (many run at once).
    clean["PRISMA_CONTRACT_REPORTS"] = tempfile.mkdtemp(prefix="restore-contract-reports-")
    clean.pop("PYTHONDONTWRITEBYTECODE", None)
    command = [tests, "-q", "-p", "no:cacheprovider", *args]
    command += [f"--summary-json={record}"] if record is not None else []
    return run_pytest(command, env={**clean, **env}, cwd=REPO, timeout=600)


def run_recorded(env: dict[str, str], folder: Path, *args: str, tests: str = "tests/contract") -> RunRecord:
    """Run the suite and return its run record (the terminal output is kept in it for failure messages)."""
    path = folder / "summary.json"
    done = run_suite_with(env, *args, record=path, tests=tests)
    run = RunRecord.read(path, done.returncode)
    return dataclasses.replace(run, output=done.stdout[-20000:] + done.stderr[-2000:])


def run_live(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_suite_with(env, "--target=live", *args)


def live_env(staging: Staging, **overrides: str) -> dict[str, str]:
    return {
        "PRISMA_API_URL": staging.server.url,
        "PRISMA_API_TOKEN": DEFAULT_TOKEN,
        "PRISMA_CONTRACT_RESTORE_TIMEOUT": "10",
        "PRISMA_CONTRACT_PROFILE": "replay",  # small: this proves live mode works over HTTP; the budget is elsewhere
        **staging.settings,
        **overrides,
    }


def database_names(server: Server, settings: dict[str, str]) -> list[str]:
    """What is left in the project the suite worked in."""
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}) as client:
        project = settings["PRISMA_CONTRACT_PROJECT_ID"]
        return [d["name"] for d in client.get(f"/v1/projects/{project}/databases").json()["data"]]
