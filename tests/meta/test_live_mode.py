"""`--target live` against a server that implements the API: the emulator as a separate process, over real HTTP.

The server is started with `--no-control-plane --seed-golden`: the suite gets nothing but the public API,
a project and a golden source, as it would from staging. It must pass, every scratch database it created
must be gone afterwards, and bad configuration must end the run with one clear message.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from emulator import DEFAULT_TOKEN
from harness.server import REPO, seeded_settings
from tests.meta.conftest import Staging, database_names, live_env, run_live, run_recorded, run_suite_with
from tests.meta.records import detection

if TYPE_CHECKING:
    from tests.conftest import StartServer


def test_the_suite_passes_live_against_the_emulator_server_and_cleans_up(staging: Staging) -> None:
    done = run_live(live_env(staging))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "SAFETY GUARD refused" not in done.stdout
    assert "NOT deleted" not in done.stdout
    assert "restore answers: 200 x" in done.stdout  # restores really succeeded
    # ... and the data probe logged in with issued connection strings to check data and credentials
    assert "data probe: the target holds exactly the backup's data:" in done.stdout
    assert "data probe: a credential issued before the restore logs in afresh:" in done.stdout
    assert database_names(staging.server, staging.settings) == ["contract-golden-source"], "scratch left behind"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"PRISMA_API_TOKEN": "wrong-token"}, "refused PRISMA_API_TOKEN (401)"),
        ({"PRISMA_API_URL": "http://127.0.0.1:9"}, "cannot reach PRISMA_API_URL=http://127.0.0.1:9"),
        ({"PRISMA_API_TOKEN": ""}, "--target live needs PRISMA_API_TOKEN"),
        ({"PRISMA_API_URL": "api.prisma.io"}, "PRISMA_API_URL must start with http:// or https://"),
        ({"PRISMA_CONTRACT_RESTORE_TIMEOUT": "soon"}, "PRISMA_CONTRACT_RESTORE_TIMEOUT must be a number"),
        ({"PRISMA_CONTRACT_BACKUP_ID": "bkp_nope"}, "PRISMA_CONTRACT_BACKUP_ID=bkp_nope is not a completed backup"),
        ({"PRISMA_CONTRACT_DATA_PROBE": "maybe"}, "PRISMA_CONTRACT_DATA_PROBE must be on or off"),
    ],
)
def test_bad_configuration_is_one_clear_message(staging: Staging, overrides: dict[str, str], message: str) -> None:
    done = run_live(live_env(staging, **overrides), "-x")
    output = done.stdout + done.stderr
    assert done.returncode == 2, output[-3000:]
    assert message in output, output[-3000:]
    assert "Traceback" not in output
    assert output.count("restore-contract:") == 1


def test_live_data_probe_catches_a_server_whose_restore_drops_the_roles(launch_server: StartServer) -> None:
    """Over HTTP, with nothing but the public API: credentials issued before a restore must still log in."""
    server = launch_server("--no-control-plane", "--seed-golden", "--fault", "restore-drops-roles")
    done = run_live(live_env(Staging(server, seeded_settings(server))), "-x")
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-3000:]
    assert "no longer logs in" in output, output[-3000:]
    assert "password authentication failed" in output  # the server's own words, through a real login


def test_with_only_a_golden_source_the_scaffolding_checks_run(staging: Staging, tmp_path: Path) -> None:
    """No project for scratch databases, so nothing to restore into: as an explicit partial run, the restore tests
    skip, saying why, but the scaffolding operations need only the databases the run knows (the golden source)
    and must run; the coverage table says what went unchecked and which variable enables it."""
    env = live_env(staging, PRISMA_CONTRACT_PROJECT_ID="", PRISMA_CONTRACT_PARTIAL="1")
    run = run_recorded(env, tmp_path, "--target=live")
    assert run.exit_code == 0, run.output
    assert run.record["partial"] is True
    unchecked = {row["cause"]: row["why_not"] for row in run.record["coverage"] if not row["exercised"]}
    assert "PRISMA_CONTRACT_PROJECT_ID" in unchecked["recovering → ready, the backup's data, the same credentials"]
    scaffolding = {test: end for test, end in run.tests.items() if "test_scaffolding" in test}
    assert len(scaffolding) == 6, scaffolding  # the six GET and POST operations around restore
    assert {end["outcome"] for end in scaffolding.values()} == {"passed"}, scaffolding
    assert any("PRISMA_CONTRACT_PROJECT_ID" in reason for reason in run.skipped().values()), run.skipped()


# --- Configuration mistakes stop the run before it sends anything that writes (issue 12, §1a and §4) ---

PROFILES = "use one of ci, debug, nightly, replay, meta"


def _one_clear_line(done: subprocess.CompletedProcess[str], message: str) -> None:
    output = done.stdout + done.stderr
    assert done.returncode == 2, output[-3000:]
    assert message in output, output[-3000:]
    assert "Traceback" not in output
    assert "INTERNALERROR" not in output
    assert output.count("restore-contract:") == 1, output[-3000:]


@pytest.mark.parametrize(
    ("overrides", "args", "message"),
    [
        # "{url}" is the staging server's URL
        ({"PRISMA_API_URL": "{url}/v1"}, ["--target=live"], "PRISMA_API_URL must be the API's origin, without /v1"),
        ({"PRISMA_API_URL": "{url}/v1/"}, ["--target=live"], "give {url}, not {url}/v1"),
        ({"PRISMA_API_URL": "{url}/v1/projects"}, ["--target=live"], "PRISMA_API_URL must be the API's origin"),
        ({"PRISMA_CONTRACT_PROJECT_ID": "proj_nope"}, ["--target=live"], "PRISMA_CONTRACT_PROJECT_ID=proj_nope does"),
        ({"PRISMA_CONTRACT_TARGET_DATABASE_ID": "db_nope"}, ["--target=live"], "TARGET_DATABASE_ID=db_nope does not"),
        ({"PRISMA_CONTRACT_PROFILE": "nigthly"}, ["--target=live"], f"PRISMA_CONTRACT_PROFILE=nigthly: {PROFILES}"),
        ({}, ["--target=live", "--hypothesis-profile=nigthly"], f"--hypothesis-profile nigthly: {PROFILES}"),
        ({"PRISMA_CONTRACT_TARGET": "emulater"}, [], "PRISMA_CONTRACT_TARGET=emulater is not a target"),
    ],
)
def test_each_configuration_mistake_is_one_line_and_nothing_written(
    staging: Staging, overrides: dict[str, str], args: list[str], message: str
) -> None:
    before = database_names(staging.server, staging.settings)
    env = live_env(staging, **{name: value.format(url=staging.server.url) for name, value in overrides.items()})
    done = run_suite_with(env, *args, "-x")
    _one_clear_line(done, message.format(url=staging.server.url))
    assert database_names(staging.server, staging.settings) == before


def test_a_sacrificial_database_not_named_contract_is_refused_once_before_anything_is_written(
    staging: Staging,
) -> None:
    project = staging.settings["PRISMA_CONTRACT_PROJECT_ID"]
    headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
    with httpx.Client(base_url=staging.server.url, headers=headers) as api:
        production = api.post(f"/v1/projects/{project}/databases", json={"name": "production"}).json()["data"]["id"]
        try:
            before = database_names(staging.server, staging.settings)
            done = run_live(live_env(staging, PRISMA_CONTRACT_TARGET_DATABASE_ID=production), "-x")
            _one_clear_line(done, f"PRISMA_CONTRACT_TARGET_DATABASE_ID={production}: refusing to use database")
            assert database_names(staging.server, staging.settings) == before
        finally:
            api.delete(f"/v1/databases/{production}")


# --- Honest about what it checked, safe against mistakes, every documented answer reached (issue 12) ---


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"PRISMA_CONTRACT_PROJECT_ID": ""}, "could not check a single restore; missing a database to restore into"),
        ({"PRISMA_CONTRACT_SOURCE_DATABASE_ID": ""}, "could not check a single restore; missing a completed backup"),
    ],
)
def test_a_live_run_that_cannot_restore_fails_unless_asked_to_be_partial(
    staging: Staging, overrides: dict[str, str], message: str
) -> None:
    """With only a URL and a token a nightly skipped everything and exited 0: now it says what it lacks."""
    before = database_names(staging.server, staging.settings)
    _one_clear_line(run_live(live_env(staging, **overrides), "-x"), message)
    assert database_names(staging.server, staging.settings) == before


def test_the_golden_source_is_never_the_sacrificial_target(staging: Staging) -> None:
    golden = staging.settings["PRISMA_CONTRACT_SOURCE_DATABASE_ID"]
    before = database_names(staging.server, staging.settings)
    for given in (golden, golden.removeprefix("db_"), "DB_" + golden.removeprefix("db_")):
        done = run_live(live_env(staging, PRISMA_CONTRACT_TARGET_DATABASE_ID=given), "-x")
        _one_clear_line(done, f"PRISMA_CONTRACT_TARGET_DATABASE_ID={given} is the golden source")
    assert database_names(staging.server, staging.settings) == before


def test_the_coverage_table_is_in_every_summary_and_a_live_run_reaches_the_409_windows(
    launch_server: StartServer, tmp_path: Path
) -> None:
    """Against a server that recovers and provisions over a few reads, the live run (no control plane) restores
    into a target right after its 200 and into a database it has just created: both 409 windows are reached."""
    server = launch_server("--no-control-plane", "--seed-golden", "--clock", "reads:3")
    run = run_recorded(live_env(Staging(server, seeded_settings(server))), tmp_path, "--target=live")
    assert run.exit_code == 0, run.output
    assert "documented behaviour coverage" in run.output
    exercised = {row["cause"]: row["exercised"] for row in run.record["coverage"]}
    assert exercised["target recovering"] > 0, run.record["coverage"]
    assert exercised["target provisioning"] > 0, run.record["coverage"]
    assert exercised["recovering → ready, the backup's data, the same credentials"] > 0


@pytest.mark.parametrize(
    "fault",
    [
        "no-conflict-while-recovering",
        "no-conflict-while-provisioning",
        "prefix-case-folded",
        "encoded-slash-split",
        "trailing-junk-trimmed",
        "long-id-500",
    ],
)
def test_a_faulty_server_is_caught_live_without_a_control_plane(
    launch_server: StartServer, tmp_path: Path, fault: str
) -> None:
    """The 409 windows and the derived and minted id probes find these over HTTP, with nothing but the public
    API, and the guard lets every probe through (it reaches only the run's own databases)."""
    server = launch_server("--no-control-plane", "--seed-golden", "--clock", "reads:3", "--fault", fault)
    run = run_recorded(live_env(Staging(server, seeded_settings(server))), tmp_path, "--target=live", "-x")
    found = detection(run)
    assert found.detected, f"{fault}: {found.why}\n{run.output}"
    assert run.record["guard_refusals"] == []


def test_scratch_databases_a_killed_run_left_are_deleted_and_nothing_else(staging: Staging, tmp_path: Path) -> None:
    """A run killed hard leaves its scratch databases; the next run deletes those older than the configured age
    and reports them, and never touches another database: not the golden source, not one merely named
    contract-…, not a young scratch database (a run in progress elsewhere)."""
    project = staging.settings["PRISMA_CONTRACT_PROJECT_ID"]
    headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
    with httpx.Client(base_url=staging.server.url, headers=headers) as api:
        others = [
            api.post(f"/v1/projects/{project}/databases", json={"name": name}).json()["data"]["id"]
            for name in ("production", "contract-keep-me")
        ]
        try:
            killed = _start_and_kill_a_live_run(staging)
            assert killed, "the killed run created no scratch database"
            young = run_recorded(live_env(staging), tmp_path / "young", "--target=live", "-k", "no_valid_token")
            assert young.record["stale_scratch_deleted"] == [], "a young scratch database is not stale"
            assert set(killed) <= set(database_names(staging.server, staging.settings))
            aged = live_env(staging, PRISMA_CONTRACT_STALE_SCRATCH_HOURS="0")
            run = run_recorded(aged, tmp_path / "aged", "--target=live", "-k", "no_valid_token")
            assert run.exit_code == 0, run.output
            assert len(run.record["stale_scratch_deleted"]) >= len(killed), run.record["stale_scratch_deleted"]
            assert "scratch database an earlier run left, deleted" in run.output
            assert sorted(database_names(staging.server, staging.settings)) == sorted(
                ["contract-golden-source", "production", "contract-keep-me"]
            )
        finally:
            for database_id in others:
                api.delete(f"/v1/databases/{database_id}")


def _start_and_kill_a_live_run(staging: Staging) -> list[str]:
    """Start a live run, SIGKILL it once it has created scratch databases; their names."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PRISMA_", "PYTEST_"))}
    command = [sys.executable, "-m", "pytest", "tests/contract", "-q", "-p", "no:cacheprovider", "--target=live"]
    process = subprocess.Popen(
        command, cwd=REPO, env={**clean, **live_env(staging)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )

    def scratch() -> list[str]:
        return [n for n in database_names(staging.server, staging.settings) if n.startswith("contract-scratch-")]

    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(scratch()) < 2:
            time.sleep(0.05)
    finally:
        process.kill()
        process.wait()
    return scratch()  # what the killed run left (it may have deleted one between the last look and the kill)
