"""Offline replay: the committed cassette replays in seconds with no network and no credentials; a fresh
recording replays to the same verdicts; a request the cassette lacks is one clear message."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from restore_contract.emulator import DEFAULT_TOKEN
from restore_contract.harness.server import REPO, seeded_settings, start_server
from restore_contract.targets.cassettes import CASSETTES
from tests.meta.conftest import database_names, run_suite_with
from tests.meta.records import RunRecord

VERDICT = re.compile(r"^(\d+ (?:passed|failed|skipped|errors?)(?:, \d+ \w+)*) in ", re.MULTILINE)


def replay(cassette: Path | str, *args: str, record: Path | None = None) -> subprocess.CompletedProcess[str]:
    # No PRISMA_API_URL, no token: a replay needs neither.
    return run_suite_with(
        {"PRISMA_CONTRACT_PROFILE": "replay"}, "--target=replay", f"--cassette={cassette}", *args, record=record
    )


def verdict(done: subprocess.CompletedProcess[str]) -> str:
    found = VERDICT.search(done.stdout)
    assert found, done.stdout[-2000:]
    return found.group(1)


SUCCESSFUL = "recovering → ready, the backup's data, the same credentials"  # the 200 row of the coverage table


def why_the_200_is_not_checked(run: RunRecord) -> str:
    """A cassette run's coverage table on its 200 row: why it was not verified end to end."""
    [row] = [row for row in run.record["coverage"] if row["answer"] == "200"]
    assert row["cause"] == SUCCESSFUL, row
    assert row["exercised"] == 0, "a recording or a replay never logs in, so it never verifies a 200's data"
    return str(row["why_not"])


def assert_says_a_cassette_never_logs_in(run: RunRecord) -> None:
    """The true reason, not the data probe's setting, which a recording or a replay ignores."""
    why = why_the_200_is_not_checked(run)
    assert "recording and its replay never" in why, why
    assert "PRISMA_CONTRACT_DATA_PROBE" not in why, why


def test_the_committed_cassette_replays(tmp_path: Path) -> None:
    done = replay("emulator-http", record=tmp_path / "replayed.json")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-1000:]
    assert "restore answers: 200 x" in done.stdout
    assert_says_a_cassette_never_logs_in(RunRecord.read(tmp_path / "replayed.json", done.returncode))


@pytest.mark.parametrize(
    ("fault", "breaks"),
    [pytest.param(None, None, marks=pytest.mark.waits(40)), ("source-not-echoed", "restore_starts_recovering")],
)
def test_record_then_replay_gives_the_same_verdicts(tmp_path: Path, fault: str | None, breaks: str | None) -> None:
    # In memory: a recording speaks HTTP only and never logs in, so the server's data plane is not what is checked here.
    server = start_server(
        "--no-control-plane", "--seed-golden", "--data", "memory", *(["--fault", fault] if fault else [])
    )
    try:
        settings = seeded_settings(server)
        live = {"PRISMA_API_URL": server.url, "PRISMA_API_TOKEN": DEFAULT_TOKEN, "PRISMA_CONTRACT_PROFILE": "replay"}
        cassette = tmp_path / "fresh"
        recorded = run_suite_with(
            {**live, **settings}, "--target=live", f"--record={cassette}", "-x", record=tmp_path / "recorded.json"
        )
        # Scratch databases are deleted at the end of the run, also when it fails (here: stopped by -x).
        assert database_names(server, settings) == ["contract-golden-source"], "scratch left behind"
    finally:
        server.stop()
    replayed = replay(cassette, "-x", record=tmp_path / "replayed.json")
    assert recorded.returncode == replayed.returncode == (0 if fault is None else 1), replayed.stdout[-3000:]
    assert verdict(recorded) == verdict(replayed)
    # The same tests broke the same properties, and with a fault on, the property that fault breaks
    live_run = RunRecord.read(tmp_path / "recorded.json", recorded.returncode)
    replay_run = RunRecord.read(tmp_path / "replayed.json", replayed.returncode)
    assert live_run.violations() == replay_run.violations()
    broken = {prop for props in replay_run.violations().values() for prop in props}
    assert broken == ({breaks} if breaks else set()), replayed.stdout[-3000:]
    # A recording never logs in (its replay could not), whatever PRISMA_CONTRACT_DATA_PROBE says: its report says so.
    assert_says_a_cassette_never_logs_in(live_run)
    assert_says_a_cassette_never_logs_in(replay_run)


def test_a_request_missing_from_the_cassette_says_how_to_re_record(tmp_path: Path) -> None:
    copy = tmp_path / "tampered"
    shutil.copytree(CASSETTES / "emulator-http", copy)
    session = copy / "session.yaml"
    text = session.read_text(encoding="utf-8")
    session.write_text(
        text.replace("contract-scratch-recorded-target-1", "contract-scratch-elsewhere-target-1"), encoding="utf-8"
    )
    done = replay(copy, "-x")
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "is not in cassette 'tampered'" in output, output[-3000:]
    assert "--record" in output
    assert str(REPO) in output or "restore_contract/suite" in output


def only_line(done: subprocess.CompletedProcess[str]) -> str:
    """The one line a configuration mistake prints: exit 2, nothing else on either stream (no pytest header, no
    collection, no `Exit` banner)."""
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert done.returncode == 2, "\n".join(lines[-30:])
    assert len(lines) == 1, "\n".join(lines[-30:])
    assert lines[0].startswith("restore-contract: ")
    return lines[0]


def test_replaying_a_cassette_that_is_not_there_is_one_line() -> None:
    line = only_line(replay("never-recorded"))
    assert "no cassette at" in line
    assert "never-recorded" in line


def test_replaying_with_another_profile_is_one_line() -> None:
    done = run_suite_with({"PRISMA_CONTRACT_PROFILE": "ci"}, "--target=replay", "--cassette=emulator-http")
    assert "was recorded with the Hypothesis profile replay" in only_line(done)


def test_recording_over_a_cassette_is_one_line_and_leaves_it_as_it_was() -> None:
    server = start_server("--no-control-plane", "--seed-golden", "--data", "memory", "--port", "0")
    try:
        live = {"PRISMA_API_URL": server.url, "PRISMA_API_TOKEN": DEFAULT_TOKEN, "PRISMA_CONTRACT_PROFILE": "replay"}
        settings = {**seeded_settings(server), **live}
        before = {path.name: path.read_bytes() for path in (CASSETTES / "emulator-http").iterdir()}
        done = run_suite_with(settings, "--target=live", "--record=emulator-http")
    finally:
        server.stop()
    assert "cassettes/emulator-http already holds a cassette: pass --force" in only_line(done)
    assert {path.name: path.read_bytes() for path in (CASSETTES / "emulator-http").iterdir()} == before
