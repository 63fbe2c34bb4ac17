"""`--target live` against a server that implements the API: the emulator as a separate process, over real HTTP.

The server is started with `--no-control-plane --seed-golden`: the suite gets nothing but the public API,
a project and a golden source, as it would from staging. It must pass, every scratch database it created
must be gone afterwards, and bad configuration must end the run with one clear message.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from restore_contract.emulator import DEFAULT_TOKEN, Fault
from restore_contract.emulator.faults import CAUGHT_BY
from restore_contract.harness.server import REPO, seeded_settings
from restore_contract.targets.guard import UnsafeRequestRefused
from restore_contract.targets.live import LiveSettings, live_target
from tests.meta.conftest import Staging, database_names, live_env, run_live, run_recorded, run_suite_with
from tests.meta.records import detection
from tests.meta.serving import serving

if TYPE_CHECKING:
    from tests.conftest import StartServer

# A live run of the contract suite, as a user starts it from the project (a process of its own: these tests signal it).
LIVE_RUN = [sys.executable, "-m", "pytest", "restore_contract/suite", "-q", "-p", "no:cacheprovider", "--target=live"]


def test_the_suite_passes_live_against_the_emulator_server_and_cleans_up(staging: Staging) -> None:
    golden = staging.settings["PRISMA_CONTRACT_SOURCE_DATABASE_ID"]
    connections = _connections(staging, golden)
    done = run_live(live_env(staging))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "SAFETY GUARD refused" not in done.stdout
    assert "NOT deleted" not in done.stdout
    assert "restore answers: 200 x" in done.stdout  # restores really succeeded
    # ... and the data probe logged in with issued connection strings to check data and credentials
    assert "data probe: the target holds exactly the backup's data:" in done.stdout
    assert "data probe: a credential issued before the restore logs in afresh:" in done.stdout
    assert database_names(staging.server, staging.settings) == ["contract-golden-source"], "scratch left behind"
    # Nothing but the run's own databases is written: generated writes (issuing a connection) left the golden source be
    assert _connections(staging, golden) == connections


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

PROFILES = "one of ci, debug, nightly, replay, meta, got 'nigthly'"


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
        ({"PRISMA_CONTRACT_PROFILE": "nigthly"}, ["--target=live"], f"PRISMA_CONTRACT_PROFILE must be {PROFILES}"),
        ({}, ["--target=live", "--hypothesis-profile=nigthly"], f"--hypothesis-profile must be {PROFILES}"),
        ({"PRISMA_CONTRACT_TARGET": "emulater"}, [], "PRISMA_CONTRACT_TARGET must be one of emulator, live, replay"),
        # Every setting is an option too, named as the option when the option is wrong (restore_contract/settings.py)
        ({}, ["--target=live", "--restore-timeout=-5"], "--restore-timeout must be a number of seconds above 0"),
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


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"PRISMA_CONTRACT_RESTORE_TIMEOUT": "-5"},
            "PRISMA_CONTRACT_RESTORE_TIMEOUT must be a number of seconds above 0",
        ),
        (
            {"PRISMA_CONTRACT_STALE_SCRATCH_HOURS": "-1"},
            "PRISMA_CONTRACT_STALE_SCRATCH_HOURS must be a number of hours",
        ),
        ({"PRISMA_CONTRACT_BUDGET": "-5"}, "PRISMA_CONTRACT_BUDGET must be seconds above 0, or none, got '-5'"),
        ({"PRISMA_CONTRACT_PROGRESS_SECONDS": "often"}, "PRISMA_CONTRACT_PROGRESS_SECONDS must be a number of seconds"),
        ({"PRISMA_CONTRACT_MAX_SCRATCH": "3"}, "PRISMA_CONTRACT_MAX_SCRATCH must be a whole number above 5"),
        (
            {"PRISMA_CONTRACT_SOURCE_DATABASE_ID": "db_nope"},
            "PRISMA_CONTRACT_SOURCE_DATABASE_ID=db_nope does not exist",
        ),
        # The golden source as the sacrificial database, the source unset: nothing says it is the golden source by id
        ({"PRISMA_CONTRACT_SOURCE_DATABASE_ID": "", "PRISMA_CONTRACT_TARGET_DATABASE_ID": "{golden}"}, "missing a "),
        (
            {"PRISMA_CONTRACT_SOURCE_DATABASE_ID": "", "PRISMA_CONTRACT_TARGET_DATABASE_ID": "{golden}"}
            | {"PRISMA_CONTRACT_PARTIAL": "1"},
            "named like a golden source",
        ),
    ],
)
@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one process", "xdist"])
def test_every_setting_is_checked_before_the_first_write(
    staging: Staging, overrides: dict[str, str], message: str, workers: list[str], tmp_path: Path
) -> None:
    """Each was once found only after the run had written: probe rows and a connection in the golden source, eight
    scratch databases left behind. One line, exit 2, with or without xdist; nothing written (the golden source has
    no new connection); and the reports say the run stopped, not an earlier run's "passed"."""
    golden = staging.settings["PRISMA_CONTRACT_SOURCE_DATABASE_ID"]
    before = database_names(staging.server, staging.settings), _connections(staging, golden)
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "summary.md").write_text("an earlier run: passed")
    env = live_env(staging, **{name: value.format(golden=golden) for name, value in overrides.items()})
    done = run_live({**env, "PRISMA_CONTRACT_REPORTS": str(reports)}, *workers)
    _one_clear_line(done, message)
    assert (database_names(staging.server, staging.settings), _connections(staging, golden)) == before
    assert "passed" not in (reports / "summary.md").read_text()
    assert message in (reports / "summary.md").read_text()


def _connections(staging: Staging, database_id: str) -> list[str]:
    with httpx.Client(base_url=staging.server.url, headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}) as api:
        return [c["id"] for c in api.get(f"/v1/databases/{database_id}/connections").json()["data"]]


def test_the_golden_source_is_never_the_sacrificial_target(staging: Staging) -> None:
    golden = staging.settings["PRISMA_CONTRACT_SOURCE_DATABASE_ID"]
    before = database_names(staging.server, staging.settings)
    for given in (golden, golden.removeprefix("db_"), "DB_" + golden.removeprefix("db_")):
        done = run_live(live_env(staging, PRISMA_CONTRACT_TARGET_DATABASE_ID=given), "-x")
        _one_clear_line(done, f"PRISMA_CONTRACT_TARGET_DATABASE_ID={given} is the golden source")
    assert database_names(staging.server, staging.settings) == before


@pytest.mark.waits(50)
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


# The 409 windows need a server that recovers and provisions over a few reads; the id probes find their faults
# whatever the clock, and on a server that settles at once the run gets to them in a quarter of the time.
WINDOW = ("--clock", "reads:3")


@pytest.mark.parametrize(
    ("fault", "clock"),
    [
        pytest.param("no-conflict-while-recovering", WINDOW, marks=pytest.mark.waits(8)),
        pytest.param("no-conflict-while-provisioning", WINDOW, marks=pytest.mark.waits(45)),
        ("prefix-case-folded", ()),
        ("encoded-slash-split", ()),
        ("trailing-junk-trimmed", ()),
        ("long-id-500", ()),
    ],
    ids=lambda value: value if isinstance(value, str) else (value[-1] if value else "immediate"),
)
def test_a_faulty_server_is_caught_live_without_a_control_plane(
    launch_server: StartServer, tmp_path: Path, fault: str, clock: tuple[str, ...]
) -> None:
    """The 409 windows and the derived and minted id probes find these over HTTP, with nothing but the public
    API, and the guard lets every probe through (it reaches only the run's own databases)."""
    server = launch_server("--no-control-plane", "--seed-golden", *clock, "--fault", fault)
    run = run_recorded(live_env(Staging(server, seeded_settings(server))), tmp_path, "--target=live", "-x")
    found = detection(run)
    assert found.detected, f"{fault}: {found.why}\n{run.output}"
    assert run.record["guard_refusals"] == []


def test_an_api_that_labels_its_answers_text_plain_is_a_contract_violation_not_a_setting(
    launch_server: StartServer, tmp_path: Path
) -> None:
    """content-type-wrong labels every answer text/plain, its errors too, so the preflight's first read is no JSON by
    its label; but the server answers in the API's envelopes: it is the API answering wrongly, and the run fails
    naming the property the fault breaks (emulator.faults.CAUGHT_BY), not with exit 2 and a setting to check."""
    server = launch_server("--no-control-plane", "--seed-golden", "--data", "memory", "--fault", "content-type-wrong")
    env = live_env(Staging(server, seeded_settings(server)), PRISMA_CONTRACT_DATA_PROBE="off")  # memory: no logins
    run = run_recorded(env, tmp_path, "--target=live", "-x")
    found = detection(run, CAUGHT_BY[Fault.CONTENT_TYPE_WRONG])
    assert found.detected, f"{found.why}\n{run.output}"
    assert "does not look like the Prisma Management API" not in run.output


# What answers at a URL that is not the API: (status, content type, body) for every path.
NOT_THE_API = {
    "a web page": (404, "text/html", b"<html><body><h1>Not Found</h1></body></html>"),
    "another service's JSON, labelled text/plain": (404, "text/plain", b'{"detail": "Not Found"}'),
    "a health check": (200, "text/plain", b'{"ok": true}'),
}


@pytest.fixture
def not_the_api(request: pytest.FixtureRequest) -> Iterator[tuple[str, list[str]]]:
    """A server on a free loopback port answering every request alike (`request.param` names how, NOT_THE_API):
    its URL, and the requests it got."""
    status, media_type, body = NOT_THE_API[request.param]
    seen: list[str] = []

    class Answer(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            seen.append(f"{self.command} {self.path}")
            self.send_response(status)
            self.send_header("content-type", media_type)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = _answer

        def log_message(self, format: str, *args: object) -> None:  # quiet: the test reads `seen`
            pass

    with serving(Answer) as url:
        yield url, seen


@pytest.mark.parametrize("not_the_api", list(NOT_THE_API), indirect=True)
def test_a_url_that_is_not_the_api_is_one_line_and_exit_2(staging: Staging, not_the_api: tuple[str, list[str]]) -> None:
    """Nothing there answers like the API (no error in its envelope, no read of the configured project or golden
    source with its `data`): a setting to check, one line, and nothing but reads sent."""
    url, seen = not_the_api
    done = run_live(live_env(staging, PRISMA_API_URL=url), "-x")
    _one_clear_line(done, f"{url} does not look like the Prisma Management API: GET /v1/databases/db_preflight0/")
    assert seen, "the run never asked the server"
    assert all(request.startswith("GET ") for request in seen), seen


def test_scratch_databases_a_killed_run_left_are_listed_with_how_to_delete_them_and_nothing_is_touched(
    staging: Staging, tmp_path: Path
) -> None:
    """A run killed hard leaves its scratch databases. The next run, even with PRISMA_CONTRACT_STALE_SCRATCH_HOURS=0,
    deletes none younger than the floor (they may be a run in progress elsewhere: deleting them made that run fail
    with false violations) and lists each with the request that deletes it; it never touches another database. (Which
    ages are deleted is tests/unit/test_stale_scratch.py, with databases hours old.)"""
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
            aged = live_env(staging, PRISMA_CONTRACT_STALE_SCRATCH_HOURS="0")
            run = run_recorded(aged, tmp_path / "aged", "--target=live", "-k", "no_valid_token")
            assert run.exit_code == 0, run.output
            assert run.record["stale_scratch_deleted"] == [], "a young scratch database is never stale"
            assert set(killed) <= set(database_names(staging.server, staging.settings))
            kept = run.record["stale_scratch_kept"]
            assert len(kept) >= len(killed), kept
            assert "scratch database of another run:" in run.output
            assert "curl -X DELETE" in run.output
            for line in kept:  # what a person does once no run uses them: the request the summary gives
                api.delete(line.rsplit(" ", 1)[-1]).raise_for_status()
            assert sorted(database_names(staging.server, staging.settings)) == sorted(
                ["contract-golden-source", "production", "contract-keep-me"]
            )
        finally:
            for database_id in others:
                api.delete(f"/v1/databases/{database_id}")


def _start_and_kill_a_live_run(staging: Staging) -> list[str]:
    """Start a live run, SIGKILL it once it has created scratch databases; their names."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PRISMA_", "PYTEST_"))}
    command = LIVE_RUN
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


def test_the_live_transport_stack_refuses_every_write_to_what_the_run_does_not_own(staging: Staging) -> None:
    """Every client of a live target is guarded (targets/live.py puts the guard under the transport stack): a
    restore, a delete or a new connection on the golden source never leaves the process, whatever code sends it."""
    golden = staging.settings["PRISMA_CONTRACT_SOURCE_DATABASE_ID"]
    settings = LiveSettings(
        url=staging.server.url,
        token=DEFAULT_TOKEN,
        project_id=staging.settings["PRISMA_CONTRACT_PROJECT_ID"],
        source_database_id=golden,
        run_id="0" * 32,
    )
    connections = _connections(staging, golden)
    target = live_target(settings)
    try:
        client = target.client()
        body = {"source": {"type": "backup", "databaseId": golden, "backupId": "bkp_x"}}
        for method, path in (
            ("POST", f"/v1/databases/{golden}/restore"),
            ("POST", f"/v1/databases/{golden}/connections"),
            ("DELETE", f"/v1/databases/{golden}"),
            ("POST", "/v1/projects/proj_someone_else/databases"),
        ):
            with pytest.raises(UnsafeRequestRefused, match="refused before sending"):
                client.request(method, path, json=body)
        assert target.guard is not None
        assert len(target.guard.refused) == 4
    finally:
        target.close()
    assert _connections(staging, golden) == connections
    assert "contract-golden-source" in database_names(staging.server, staging.settings)


# The same live run through the two wrappers that start pytest (the README's), which name the suite themselves.
DEV_CONTRACT = [sys.executable, "dev.py", "contract", *LIVE_RUN[4:]]
CLI_RUN = [sys.executable, "-m", "restore_contract.commands.cli", "run", *LIVE_RUN[4:]]


@dataclass(frozen=True)
class Stop:
    command: list[str]
    signal: signal.Signals
    group: bool = False  # to the whole process group, as a terminal's Ctrl-C; else to the started process only
    after_s: float = 0.0  # seconds after the run's second scratch database appeared
    restore_s: float = 2.5  # how long the server's restores take
    latency_s: float = 0.0  # added to every answer: 0.1 makes deleting the scratch databases outlast 0.25 s


@pytest.mark.parametrize(
    "stop",
    [
        pytest.param(Stop(LIVE_RUN, signal.SIGINT), marks=pytest.mark.waits(8)),
        pytest.param(Stop(LIVE_RUN, signal.SIGINT, after_s=8.0, restore_s=45.0), marks=pytest.mark.waits(20)),
        pytest.param(Stop(DEV_CONTRACT, signal.SIGINT, group=True, latency_s=0.1), marks=pytest.mark.waits(10)),
        pytest.param(Stop(DEV_CONTRACT, signal.SIGTERM, latency_s=0.1), marks=pytest.mark.waits(10)),
        pytest.param(Stop(CLI_RUN, signal.SIGTERM, latency_s=0.1), marks=pytest.mark.waits(10)),
    ],
    ids=[
        "SIGINT while creating its databases",
        "SIGINT while restoring",
        "Ctrl-C on dev.py contract",
        "SIGTERM to dev.py contract",
        "SIGTERM to restore-contract run",
    ],
)
@pytest.mark.usefixtures("ctrl_c")
def test_an_interrupted_run_deletes_what_it_created(launch_server: StartServer, tmp_path: Path, stop: Stop) -> None:
    """SIGINT (Ctrl-C) or SIGTERM (a cancelled CI job, a stopped container), then a kill if the run is still there
    30 s later: a slow correct server (restores of 2.5 s, provisioning of 1 s) once kept 8 scratch databases after
    that, when the interrupt came during the pool's set-up or while restores were being verified; SIGTERM ended the
    run at once, keeping them all; and `dev.py contract` killed its pytest 0.25 s after a Ctrl-C, in the middle of
    deleting them. Restores of 45 s: a run that waited for the verifications in flight (its test's, or the driver's
    at the end) instead of dropping them is still there at the kill."""
    server = launch_server(
        "--no-control-plane", "--seed-golden", "--clock", f"seconds:{stop.restore_s}", "--provisioning", "1",
        "--latency", str(stop.latency_s),
    )  # fmt: skip
    staging = Staging(server, seeded_settings(server))
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PRISMA_", "PYTEST_"))}
    env = {**clean, **live_env(staging, PRISMA_CONTRACT_PROFILE="ci", PRISMA_CONTRACT_RESTORE_TIMEOUT="60")}
    env["PYTHONFAULTHANDLER"] = "1"  # a run still there at the deadline is aborted: its threads' stacks say where
    output, summary = tmp_path / "interrupted-run.txt", tmp_path / "summary.json"
    command = [*stop.command, f"--summary-json={summary}", f"--reports={tmp_path / 'reports'}"]
    with output.open("wb") as log:  # a session of its own: the signals sent to its group reach no one else
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def scratch() -> list[str]:
        return [n for n in database_names(server, staging.settings) if n.startswith("contract-scratch-")]

    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(scratch()) < 2:
            time.sleep(0.05)
        assert scratch(), "the run created no scratch database"
        time.sleep(stop.after_s)
        if stop.group:
            os.killpg(process.pid, stop.signal)
        else:
            process.send_signal(stop.signal)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGABRT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
            tail = output.read_text(encoding="utf-8", errors="replace")[-6000:]
            pytest.fail(f"the interrupted run was still there 30 s after {stop.signal.name}; where it was:\n{tail}")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # the wrapper's pytest too, if it is still there
        process.wait()
    assert scratch() == [], "an interrupted run left its scratch databases"
    # Its summary says it was interrupted, and by what; a check it never got to says so, and what the verifications
    # it dropped met on the databases being deleted is no failure (it once was).
    record = json.loads(summary.read_text(encoding="utf-8"))
    assert record["interrupted"] == ("SIGTERM" if stop.signal == signal.SIGTERM else "SIGINT (Ctrl-C)"), record
    assert record["failures"] == {}, record["failures"]
    assert record["leftovers"] == []
    unreached = {row["why_not"] for row in record["coverage"] if not row["exercised"]}
    assert unreached, "an interrupted run reached every documented answer"
    assert f"the run was interrupted ({record['interrupted']}) first" in unreached, unreached
    assert f"INTERRUPTED by {record['interrupted']}" in output.read_text(encoding="utf-8", errors="replace")
    title = (tmp_path / "reports" / "summary.md").read_text(encoding="utf-8").splitlines()[0]
    assert title.startswith(f"# Restore contract run: INTERRUPTED by {record['interrupted']}"), title


def test_a_setup_that_fails_deletes_what_it_created_and_says_so(launch_server: StartServer, tmp_path: Path) -> None:
    """A database that does not become ready in time fails the run's set-up after it created its scratch
    databases: they are deleted, the record's leftovers are the truth, and the coverage table names the cause
    (it once said "set PRISMA_CONTRACT_PROJECT_ID", and kept 8 databases behind a record saying `leftovers: []`)."""
    server = launch_server("--no-control-plane", "--seed-golden", "--provisioning", "30")
    staging = Staging(server, seeded_settings(server))
    run = run_recorded(live_env(staging, PRISMA_CONTRACT_RESTORE_TIMEOUT="1"), tmp_path, "--target=live")
    assert run.exit_code == 1, run.output
    assert run.output.count("restore-contract: setting up the run's databases failed") == 1, run.output
    assert "Traceback" not in run.output
    assert database_names(server, staging.settings) == ["contract-golden-source"]
    assert run.record["leftovers"] == []
    unchecked = {row["why_not"] for row in run.record["coverage"]}
    assert all(why.startswith("the run's setup failed: ") for why in unchecked), unchecked


def test_recording_anything_but_a_live_run_is_one_line_before_the_run_starts() -> None:
    _one_clear_line(run_suite_with({}, "--record=nope"), "--record records a --target live run")
