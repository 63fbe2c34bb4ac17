"""`--target live` against a server that implements the API: the emulator as a separate process, over real HTTP.

The server is started with `--no-control-plane --seed-golden`: the suite gets nothing but the public API,
a project and a golden source, as it would from staging. It must pass, every scratch database it created
must be gone afterwards, and bad configuration must end the run with one clear message.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from emulator import DEFAULT_TOKEN
from emulator.process import REPO, Server, seeded_settings, start_server


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


def run_suite_with(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`pytest tests/contract ARGS` in a subprocess whose environment holds only `env` of the suite's settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PRISMA_", "PYTEST_"))}
    clean.pop("PYTHONDONTWRITEBYTECODE", None)
    command = [sys.executable, "-m", "pytest", "tests/contract", "-q", "-p", "no:cacheprovider", *args]
    return subprocess.run(
        command, cwd=REPO, env={**clean, **env}, capture_output=True, text=True, timeout=600, check=False
    )


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


def test_the_suite_passes_live_against_the_emulator_server_and_cleans_up(staging: Staging) -> None:
    done = run_live(live_env(staging))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "SAFETY GUARD refused" not in done.stdout
    assert "NOT deleted" not in done.stdout
    assert "restore answers: 200 x" in done.stdout  # restores really succeeded
    assert database_names(staging.server, staging.settings) == ["contract-golden-source"], "scratch left behind"


def database_names(server: Server, settings: dict[str, str]) -> list[str]:
    """What is left in the project the suite worked in."""
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}) as client:
        project = settings["PRISMA_CONTRACT_PROJECT_ID"]
        return [d["name"] for d in client.get(f"/v1/projects/{project}/databases").json()["data"]]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"PRISMA_API_TOKEN": "wrong-token"}, "refused PRISMA_API_TOKEN (401)"),
        ({"PRISMA_API_URL": "http://127.0.0.1:9"}, "cannot reach PRISMA_API_URL=http://127.0.0.1:9"),
        ({"PRISMA_API_TOKEN": ""}, "--target live needs PRISMA_API_TOKEN"),
        ({"PRISMA_API_URL": "api.prisma.io"}, "PRISMA_API_URL must start with http:// or https://"),
        ({"PRISMA_CONTRACT_RESTORE_TIMEOUT": "soon"}, "PRISMA_CONTRACT_RESTORE_TIMEOUT must be a number"),
        ({"PRISMA_CONTRACT_BACKUP_ID": "bkp_nope"}, "PRISMA_CONTRACT_BACKUP_ID=bkp_nope is not a completed backup"),
    ],
)
def test_bad_configuration_is_one_clear_message(staging: Staging, overrides: dict[str, str], message: str) -> None:
    done = run_live(live_env(staging, **overrides), "-x")
    output = done.stdout + done.stderr
    assert done.returncode == 2, output[-3000:]
    assert message in output, output[-3000:]
    assert "Traceback" not in output
    assert output.count("restore-contract:") == 1
