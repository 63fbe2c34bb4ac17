"""Parity of the emulator with recorded snapshots (issue 15).

Servers are started once for the module, in parallel (`python -m emulator --no-control-plane --seed-golden`, as
staging gives nothing but the public API), each with other correct options or a fault, and the scenario is
recorded against each over HTTP. The emulator compared with a snapshot of itself shows no divergence; compared
with one of another correct server, exactly the differences those options make, each docs silent; with a fault,
a contract-relevant divergence. Recorded on the in-memory data plane: ids, statuses and bodies do not depend on
it (sizes, hosts and ports are normalised away), and it starts in a fraction of the time.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from emulator import DEFAULT_TOKEN, EmulatorConfig
from harness.server import Server, seeded_settings, start_server
from parity.__main__ import main
from parity.compare import CONTRACT, SILENT, Divergence, compare
from parity.known import Known, judge
from parity.normalise import SECRET, TIMESTAMP, Normaliser
from parity.record import record_emulator, record_live
from parity.report import render
from parity.snapshot import SNAPSHOTS, Snapshot, dumps, load
from targets.live import LiveSettings
from tests.unit.test_cassettes import assert_no_secrets

COMMITTED = SNAPSHOTS / "emulator.json"
COMMITTED_WITH = ("--no-control-plane", "--seed-golden")  # what the committed snapshot was recorded against
LABEL = "python -m emulator " + " ".join(COMMITTED_WITH)
KINDS = ("backup", "connection", "database", "project")

# Other correct servers: the options, and exactly the divergences they make from the default emulator.
VARIANTS: dict[str, tuple[tuple[str, ...], set[tuple[str, str]]]] = {
    "cuid2": (("--id-style", "cuid2"), {("id formats", f"{kind} ids") for kind in KINDS}),
    "no-alias": (("--no-alias",), {("get-by-unprefixed-id", "status")}),
    "backups-oldest-first": (("--backups-oldest-first",), {("list-golden-backups", "body $.data order")}),
    "slower-recovery": (("--clock", "seconds:2"), {("watch-scratch-ready", "watch"), ("watch-recovery", "watch")}),
}
# Faults visible over HTTP, and the contract-relevant divergence each must show.
FAULTS = {
    "restore-answers-ready": ("restore", "body $.data.status"),
    "response-schema-wrong": ("restore", "schema $.data.createdAt: required"),
}
# A fault inside a 409 window: without a control plane it looks like a fast server (see the test below).
WINDOW_FAULT = "no-conflict-while-recovering"
SERVERS = {
    "default": (),
    **{name: args for name, (args, _) in VARIANTS.items()},
    **{f"fault-{fault}": ("--fault", fault) for fault in [*FAULTS, WINDOW_FAULT]},
}


@dataclass(frozen=True)
class Recorded:
    servers: dict[str, Server]
    snapshots: dict[str, Snapshot]


def _settings(server: Server) -> LiveSettings:
    seeded = seeded_settings(server)
    return LiveSettings(
        url=server.url,
        token=DEFAULT_TOKEN,
        project_id=seeded["PRISMA_CONTRACT_PROJECT_ID"],
        source_database_id=seeded["PRISMA_CONTRACT_SOURCE_DATABASE_ID"],
        restore_timeout=10.0,
        data_probe=False,
        run_id=uuid.uuid4().hex,
    )


def _start_and_record(name: str) -> tuple[Server, Snapshot]:
    server = start_server(*COMMITTED_WITH, "--data", "memory", *SERVERS[name])
    try:
        return server, record_live(_settings(server), f"{LABEL} {' '.join(SERVERS[name])}".strip())
    except BaseException:
        server.stop()
        raise


@pytest.fixture(scope="module")
def recorded() -> Iterator[Recorded]:
    with ThreadPoolExecutor(max_workers=len(SERVERS)) as pool:
        futures = {name: pool.submit(_start_and_record, name) for name in SERVERS}
    try:
        done = {name: future.result() for name, future in futures.items()}
        yield Recorded({n: server for n, (server, _) in done.items()}, {n: snap for n, (_, snap) in done.items()})
    finally:
        started = [future.result()[0] for future in futures.values() if future.exception() is None]
        with ThreadPoolExecutor(max_workers=len(SERVERS)) as pool:
            list(pool.map(Server.stop, started))


@pytest.fixture(scope="module")
def emulator_snapshot() -> Snapshot:
    """The in-process emulator with its default options."""
    return record_emulator(EmulatorConfig(data_plane="memory"))


def _keys(divergences: list[Divergence]) -> set[tuple[str, str]]:
    return {(divergence.step, divergence.where) for divergence in divergences}


# --- (1) the emulator compared with a snapshot of itself


def test_the_in_process_emulator_matches_the_committed_snapshot(capsys: pytest.CaptureFixture[str]) -> None:
    """What CI runs: `python -m parity compare emulator`, the in-process emulator with the default options."""
    assert main(["compare", "emulator"]) == 0
    out = capsys.readouterr().out
    assert "0 divergence(s)" in out, out
    assert "restore-while-provisioning reached/reached, restore-while-recovering reached/reached" in out, out


def test_recording_the_server_again_gives_the_committed_file(
    recorded: Recorded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m parity record` from the environment's settings, against the server the committed snapshot was
    recorded against: byte for byte the committed file (normalised: nothing random is left)."""
    server = recorded.servers["default"]
    monkeypatch.setenv("PRISMA_API_URL", server.url)
    monkeypatch.setenv("PRISMA_API_TOKEN", DEFAULT_TOKEN)
    for name, value in seeded_settings(server).items():
        monkeypatch.setenv(name, value)
    assert main(["record", "again", "--dir", str(tmp_path), "--label", LABEL]) == 0
    assert "recorded 24 steps" in capsys.readouterr().out
    assert (tmp_path / "again.json").read_text(encoding="utf-8") == COMMITTED.read_text(encoding="utf-8"), (
        "re-record the committed snapshot if the scenario changed (README: Parity with staging)"
    )
    assert compare(load(COMMITTED), recorded.snapshots["default"]) == []


# --- (2) other correct servers: exactly their differences, each docs silent


@pytest.mark.parametrize("variant", VARIANTS)
def test_another_correct_server_differs_only_where_the_docs_are_silent(
    recorded: Recorded, emulator_snapshot: Snapshot, variant: str
) -> None:
    divergences = compare(recorded.snapshots[variant], emulator_snapshot)
    assert _keys(divergences) == VARIANTS[variant][1], [d.key for d in divergences]
    assert {d.kind for d in divergences} == {SILENT}, [(d.key, d.rule) for d in divergences]
    # ... and still every one of them fails the comparison until it is reviewed
    assert judge(divergences, [], variant).unlisted == divergences


# --- (3) a fault in the recorded server


@pytest.mark.parametrize("fault", FAULTS)
def test_a_fault_in_the_recorded_server_is_a_contract_relevant_divergence(
    recorded: Recorded, emulator_snapshot: Snapshot, fault: str
) -> None:
    divergences = compare(recorded.snapshots[f"fault-{fault}"], emulator_snapshot)
    assert [(d.step, d.where, d.kind) for d in divergences] == [(*FAULTS[fault], CONTRACT)], divergences


def test_a_fault_inside_a_409_window_fails_the_comparison_though_it_looks_like_timing(
    recorded: Recorded, emulator_snapshot: Snapshot
) -> None:
    """A server that accepts a restore while recovering answers what a server that recovered in the moment between
    two requests answers: without a control plane the scenario cannot tell them apart, so the divergence is
    timing (docs silent). Unreviewed, it still fails; only a reviewer's entry could hide it."""
    divergences = compare(recorded.snapshots[f"fault-{WINDOW_FAULT}"], emulator_snapshot)
    assert [(d.key, d.recorded, d.actual, d.kind) for d in divergences] == [
        ("restore-while-recovering · status", "200", "409", SILENT)
    ]
    assert not judge(divergences, [], "x").passed


# --- (4) reviewed divergences: known, unlisted, stale


def test_reviewed_entries_excuse_only_their_own_divergence_and_stale_ones_are_reported(
    recorded: Recorded, emulator_snapshot: Snapshot
) -> None:
    divergences = compare(recorded.snapshots["no-alias"], emulator_snapshot)
    reviewed = Known("no-alias", "get-by-unprefixed-id", "status", SILENT, "staging does not alias unprefixed ids")
    stale = Known("no-alias", "list-golden-backups", "body $.data order", SILENT, "staging lists oldest first")
    other_snapshot = Known("staging*", "restore", "*", CONTRACT, "about another snapshot: neither used nor stale")
    verdict = judge(divergences, [reviewed, stale, other_snapshot], "no-alias")
    assert verdict.passed
    assert [entry for _, entry in verdict.known] == [reviewed]
    assert verdict.stale == [stale]
    text = "\n".join(render("no-alias", recorded.snapshots["no-alias"], emulator_snapshot, verdict))
    assert "STALE     list-golden-backups · body $.data order" in text, text
    assert "staging does not alias unprefixed ids" in text, text
    # an entry reviewed as docs silent never excuses a contract-relevant divergence at the same place
    wrong_class = Known("*", "get-by-unprefixed-id", "status", CONTRACT, "reviewed as contract-relevant")
    assert judge(divergences, [wrong_class], "no-alias").unlisted == divergences
    # `where` is matched exactly first: its brackets are not a pattern's character class
    item = Divergence("restore", "body $.data.connections[<connection:1>]", "{}", "(absent)", CONTRACT, "identity")
    assert Known("x", "restore", item.where, CONTRACT, "reviewed").matches("x", item)
    assert Known("x", "restore", "body $.data.connections[*", CONTRACT, "reviewed").matches("x", item)


def test_the_command_compares_two_snapshots_with_a_reviewed_file(
    recorded: Recorded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshot = tmp_path / "oldest.json"
    snapshot.write_text(dumps(recorded.snapshots["backups-oldest-first"]), encoding="utf-8")
    reviewed = tmp_path / "known.yaml"
    reviewed.write_text(
        "divergences:\n"
        "  - {snapshot: oldest, step: list-golden-backups, where: body $.data order, class: docs-silent,\n"
        "     reason: the docs leave the order open}\n"
        "  - {snapshot: oldest, step: restore, where: status, class: contract-relevant, reason: no longer happens}\n",
        encoding="utf-8",
    )
    assert main(["compare", str(snapshot), "--against", str(COMMITTED), "--known", str(reviewed)]) == 0
    out = capsys.readouterr().out
    assert "1 divergence(s): 0 contract-relevant, 1 docs-silent; 0 unlisted, 1 known, 1 stale" in out, out
    assert main(["compare", str(snapshot), "--against", str(COMMITTED), "--known", str(tmp_path / "none")]) == 2
    reviewed.write_text("divergences: []\n", encoding="utf-8")
    assert main(["compare", str(snapshot), "--against", str(COMMITTED), "--known", str(reviewed)]) == 1
    assert "UNLISTED  docs-silent" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["compare", "no-such-snapshot"], {}, "no snapshot"),
        (["compare", "emulator", "--emulator-clock", "soon"], {}, "bad clock 'soon'"),
        (["compare", "../etc"], {}, "bad snapshot name"),
        (["record", "x"], {"PRISMA_API_URL": ""}, "needs PRISMA_API_URL"),
        (["record", "x"], {"PRISMA_API_URL": "http://127.0.0.1:9", "PRISMA_API_TOKEN": "t"}, "needs PRISMA_CONTRACT"),
        (["frobnicate"], {}, "invalid choice"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str],
    env: dict[str, str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("PRISMA_CONTRACT_PROJECT_ID", "PRISMA_CONTRACT_SOURCE_DATABASE_ID"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code = _exit_code(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err, err
    assert len(err.strip().splitlines()) == 1, err


def _exit_code(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as ended:  # argparse's own errors end the process
        return int(str(ended.code))


# --- (5) snapshots hold no secrets; normalisation keeps identities


def test_recorded_snapshots_hold_no_secrets_and_the_scan_would_see_one(recorded: Recorded) -> None:
    for name, snapshot in recorded.snapshots.items():
        assert_no_secrets(dumps(snapshot), name)
    issued = next(step for step in recorded.snapshots["default"]["steps"] if step["step"] == "issue-connection")
    assert issued["body"]["data"]["connectionString"] == SECRET
    leaky = copy.deepcopy(recorded.snapshots["default"])
    next(step for step in leaky["steps"] if step["step"] == "issue-connection")["body"]["data"]["pass"] = "hunter2"
    with pytest.raises(AssertionError, match="secret fields"):
        assert_no_secrets(dumps(leaky), "planted")


def test_normalising_keeps_the_same_id_again_and_blanks_the_rest() -> None:
    normaliser = Normaliser("https://api.example", run_id="run12345")
    normaliser.learn("db_cabcdefghijklmnopqrstuvwx", "database")
    answer = {
        "data": {
            "id": "db_cabcdefghijklmnopqrstuvwx",
            "url": "https://api.example/v1/databases/db_cabcdefghijklmnopqrstuvwx",
            "name": "contract-scratch-run12345-parity",
            "createdAt": "2026-01-02T03:04:05.678Z",
            "connections": [{"id": "con_c0000000000000000000000a", "type": "connection", "user": "u_x"}],
            "defaultConnectionId": "con_c0000000000000000000000a",
            "connectionString": "postgres://u_x:hunter2@db.example:5432/d",
            "note": "see postgres://someone:hunter2@db.example/x",
            "region": {"id": "us-east-1", "name": "US East"},
        }
    }
    normaliser.learn_from(answer)
    data = normaliser.body(answer)["data"]
    assert data["id"] == "<database:1>"
    assert data["url"] == "<api>/v1/databases/<database:1>"
    assert data["name"] == "contract-scratch-<run>-parity"
    assert data["createdAt"] == TIMESTAMP
    assert data["connections"][0]["id"] == data["defaultConnectionId"] == "<connection:1>"
    assert data["connectionString"] == SECRET
    assert "hunter2" not in json.dumps(data)
    assert data["region"] == {"id": "us-east-1", "name": "US East"}  # not an id of a resource
    assert normaliser.text("/v1/databases/cabcdefghijklmnopqrstuvwx") == "/v1/databases/<database:1:unprefixed>"
    assert normaliser.id_formats() == {"connection": ["con_[0-9a-z]{24}"], "database": ["db_[a-z]{25}"]}
