"""Parity of the emulator with recorded snapshots (issue 15).

Servers are started once for the module, in parallel (`restore-emulator --no-control-plane --seed-golden`, as
staging gives nothing but the public API), each with other correct options or a fault, and the scenario is
recorded against each over HTTP. The emulator compared with a snapshot of itself shows no divergence; compared
with one of another correct server, exactly the differences those options make, each docs silent (and the comparison
passes with nothing reviewed); with a fault, a contract-relevant divergence (and it fails). Recorded on the in-memory
data plane: ids, statuses and bodies do not depend on it (sizes, hosts and ports are normalised away), and it starts
in a fraction of the time.
"""

from __future__ import annotations

import copy
import json
import os
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from restore_contract.emulator import DEFAULT_TOKEN, EmulatorConfig
from restore_contract.emulator.clock import ClockConfig
from restore_contract.emulator.faults import Fault
from restore_contract.harness.server import Server, seeded_settings, start_server
from restore_contract.parity import record
from restore_contract.parity.__main__ import CLOCK, main
from restore_contract.parity.compare import CONTRACT, SILENT, Divergence, compare
from restore_contract.parity.known import Known, judge
from restore_contract.parity.normalise import SECRET, TIMESTAMP, Normaliser, id_format
from restore_contract.parity.record import record_emulator, record_live
from restore_contract.parity.report import render
from restore_contract.parity.scenario import STEPS, ScenarioError
from restore_contract.parity.snapshot import SNAPSHOTS, Snapshot, dumps, load
from restore_contract.targets.base import NO_ADMIN, OTHER_WORKSPACE, TargetConfigurationError
from restore_contract.targets.live import LiveSettings
from tests.unit.test_cassettes import assert_no_secrets

COMMITTED = SNAPSHOTS / "emulator.json"
# What the committed snapshot was recorded against; its clock is what `parity compare` gives the emulator.
COMMITTED_WITH = ("--no-control-plane", "--seed-golden", "--clock", CLOCK)
LABEL = "restore-emulator " + " ".join(COMMITTED_WITH)
KINDS = ("backup", "connection", "database", "project")

# Other correct servers: the options, and exactly the divergences they make from the default emulator.
VARIANTS: dict[str, tuple[tuple[str, ...], set[tuple[str, str]]]] = {
    "cuid2": (("--id-style", "cuid2"), {("id formats", f"{kind} ids") for kind in KINDS}),
    "no-alias": (("--no-alias",), {("get-by-unprefixed-id", "status")}),
    "backups-oldest-first": (("--backups-oldest-first",), {("list-golden-backups", "body $.data order")}),
    "slower-recovery": (("--clock", "seconds:2"), {("watch-scratch-ready", "watch"), ("watch-recovery", "watch")}),
}
# Faults visible over HTTP, and exactly the contract-relevant divergences each must show, in the scenario's order.
FAULTS: dict[str, list[tuple[str, str]]] = {
    "restore-answers-ready": [(step, "body $.data.status") for step in ("restore", "restore-after-recovery")],
    "response-schema-wrong": [
        (step, "schema $.data.createdAt: required") for step in ("restore", "restore-after-recovery")
    ],
    "scope-ignored": [("restore-without-admin-scope", "status")],
    # A sticky conflict: the restore after the recovery is refused although the read just before showed the target
    # ready. The emulator checks the lock before the backup, so the 404/422 steps after it answer 409 too (a server
    # that checks the backup first would show only the first).
    "lock-not-released": [
        ("restore-after-recovery", "status"),
        *((step, "status") for step in ("restore-source-missing", "restore-backup-missing")),
        *((step, "status") for step in ("restore-backup-of-another-database", "restore-backup-not-usable")),
    ],
    "prefix-case-folded": [("restore-wrong-case-prefix", "status")],
    # Every answer with a body labelled text/plain (the delete's 204 has none): recorded, not refused as no API.
    "content-type-wrong": [(step.name, "content type") for step in STEPS if step.name != "delete-scratch"],
}
# The docs-silent divergences a fault makes as well (any other fails the test).
FAULTS_ALSO_SILENT = {"lock-not-released": {("watch-recovery-again", "watch")}}  # no second recovery to watch
# Faults inside a 409 window, and the step that shows each: a restore accepted although the read just before saw
# the target busy.
WINDOW_FAULTS = {
    "no-conflict-while-recovering": ("restore-while-recovering", "recovering"),
    "no-conflict-while-provisioning": ("restore-while-provisioning", "provisioning"),
}
SERVERS = {
    "default": (),
    "default-again": (),  # the same server on another port
    **{name: args for name, (args, _) in VARIANTS.items()},
    **{f"fault-{fault}": ("--fault", fault) for fault in [*FAULTS, *WINDOW_FAULTS]},
}


STARTED_AT_ONCE = 3 * (os.cpu_count() or 1)


@dataclass(frozen=True)
class Recorded:
    servers: dict[str, Server]
    snapshots: dict[str, Snapshot]
    refused: dict[str, str]  # servers the recording stopped on (exit 2: a setting, or "not the API"), and why

    def of(self, name: str) -> Snapshot:
        """The snapshot of server `name`; the test fails with what the recording said if there is none."""
        if name in self.refused:
            pytest.fail(f"recording {name} stopped: {self.refused[name]}")
        return self.snapshots[name]


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
        principals={  # the other principals' tokens the server exported (the scenario's authorization steps)
            NO_ADMIN: seeded["PRISMA_CONTRACT_NO_ADMIN_TOKEN"],
            OTHER_WORKSPACE: seeded["PRISMA_CONTRACT_OTHER_WORKSPACE_TOKEN"],
        },
    )


def _start_and_record(name: str) -> tuple[Server, Snapshot | str]:
    """The server and its snapshot, or why the recording stopped (one server's failure is its tests' alone)."""
    server = start_server(*COMMITTED_WITH, "--data", "memory", *SERVERS[name])
    try:
        return server, record_live(_settings(server), f"{LABEL} {' '.join(SERVERS[name])}".strip())
    except (TargetConfigurationError, ScenarioError) as error:
        return server, f"{type(error).__name__}: {error}"
    except BaseException:
        server.stop()
        raise


# Session fixtures, though only this module uses them: under pytest-xdist a worker runs this module's tests between
# other modules' tests, and a module fixture would start the servers and record them again each time.
@pytest.fixture(scope="session")
def recorded() -> Iterator[Recorded]:
    # A few at a time: all of them at once on 2 busy cores took a server longer than its 15 s to start.
    with ThreadPoolExecutor(max_workers=STARTED_AT_ONCE) as pool:
        futures = {name: pool.submit(_start_and_record, name) for name in SERVERS}
    try:
        done = {name: future.result() for name, future in futures.items()}
        yield Recorded(
            {name: server for name, (server, _) in done.items()},
            {name: snap for name, (_, snap) in done.items() if not isinstance(snap, str)},
            {name: snap for name, (_, snap) in done.items() if isinstance(snap, str)},
        )
    finally:
        started = [future.result()[0] for future in futures.values() if future.exception() is None]
        with ThreadPoolExecutor(max_workers=len(SERVERS)) as pool:
            list(pool.map(Server.stop, started))


@pytest.fixture(scope="session")
def emulator_snapshot() -> Snapshot:
    """The in-process emulator as `python -m restore_contract.parity compare` runs it by default."""
    return record_emulator(EmulatorConfig(data_plane="memory", clock=ClockConfig.parse(CLOCK)))


def _keys(divergences: list[Divergence]) -> set[tuple[str, str]]:
    return {(divergence.step, divergence.where) for divergence in divergences}


def _environment(monkeypatch: pytest.MonkeyPatch, server: Server) -> None:
    """The live settings of `server`, as `python -m restore_contract.parity record` reads them."""
    monkeypatch.setenv("PRISMA_API_URL", server.url)
    monkeypatch.setenv("PRISMA_API_TOKEN", DEFAULT_TOKEN)
    for name, value in seeded_settings(server).items():
        monkeypatch.setenv(name, value)


def _compare(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    """`restore_contract.parity compare …` (the in-process emulator, memory data plane): exit code, report lines."""
    code = main(["compare", *argv, "--emulator-data", "memory"])
    return code, capsys.readouterr().out.splitlines()


# --- (1) the emulator compared with a snapshot of itself


def test_the_in_process_emulator_matches_the_committed_snapshot(capsys: pytest.CaptureFixture[str]) -> None:
    """What CI runs: `restore_contract.parity compare emulator`, the in-process emulator with the default options."""
    assert main(["compare", "emulator"]) == 0
    out = capsys.readouterr().out
    assert "0 divergence(s)" in out, out
    assert (
        "restore-while-provisioning reached (provisioning)/reached (provisioning), "
        "restore-while-recovering reached (recovering)/reached (recovering)"
    ) in out, out


def test_recording_the_server_again_gives_the_committed_file(
    recorded: Recorded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`restore_contract.parity record` from the environment's settings, against the server the committed snapshot was
    recorded against: byte for byte the committed file (normalised: nothing random is left)."""
    _environment(monkeypatch, recorded.servers["default"])
    assert main(["record", "again", "--dir", str(tmp_path), "--label", LABEL]) == 0
    assert "recorded 30 steps" in capsys.readouterr().out
    assert (tmp_path / "again.json").read_text(encoding="utf-8") == COMMITTED.read_text(encoding="utf-8"), (
        "re-record the committed snapshot if the scenario changed (docs/parity.md)"
    )
    assert compare(load(COMMITTED), recorded.of("default")) == []


# --- (2) other correct servers: exactly their differences, each docs silent


@pytest.mark.parametrize("variant", VARIANTS)
def test_another_correct_server_differs_only_where_the_docs_are_silent(
    recorded: Recorded, emulator_snapshot: Snapshot, variant: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    divergences = compare(recorded.of(variant), emulator_snapshot)
    assert _keys(divergences) == VARIANTS[variant][1], [d.key for d in divergences]
    assert {d.kind for d in divergences} == {SILENT}, [(d.key, d.rule) for d in divergences]
    # ... none of them reviewed, and none fails the comparison: the command exits 0 with nothing listed
    verdict = judge(divergences, [], variant)
    assert verdict.unlisted == divergences
    assert verdict.passed
    snapshot, reviewed = tmp_path / f"{variant}.json", tmp_path / "known.yaml"
    snapshot.write_text(dumps(recorded.of(variant)), encoding="utf-8")
    reviewed.write_text("divergences: []\n", encoding="utf-8")
    assert main(["compare", str(snapshot), "--known", str(reviewed), "--emulator-data", "memory"]) == 0
    assert "OK: no unlisted contract-relevant divergence" in capsys.readouterr().out


# --- (3) a fault in the recorded server


@pytest.mark.parametrize("fault", FAULTS)
def test_a_fault_in_the_recorded_server_is_a_contract_relevant_divergence(
    recorded: Recorded, emulator_snapshot: Snapshot, fault: str
) -> None:
    divergences = compare(recorded.of(f"fault-{fault}"), emulator_snapshot)
    relevant = [d for d in divergences if d.kind == CONTRACT]
    assert [(d.step, d.where) for d in relevant] == FAULTS[fault], [(d.key, d.kind) for d in divergences]
    assert _keys([d for d in divergences if d.kind == SILENT]) == FAULTS_ALSO_SILENT.get(fault, set()), divergences
    assert judge(divergences, [], fault).failing == relevant


@pytest.mark.parametrize("fault", WINDOW_FAULTS)
def test_a_fault_inside_a_409_window_recorded_over_http_is_contract_relevant(
    recorded: Recorded, emulator_snapshot: Snapshot, fault: str
) -> None:
    """A server that accepts a restore while recovering (or provisioning): its read just before the restore saw the
    target busy, so its 200 is no closed window but a restore the docs answer 409."""
    step, busy = WINDOW_FAULTS[fault]
    divergences = compare(recorded.of(f"fault-{fault}"), emulator_snapshot)
    assert [(d.key, d.recorded, d.actual, d.kind, d.rule) for d in divergences if d.kind == CONTRACT] == [
        (
            f"{step} · status",
            f"200 ({busy} just before)",
            f"409 ({busy} just before)",
            CONTRACT,
            f"status: the target was {busy} just before, the docs say 409",
        )
    ]
    assert judge(divergences, [], fault).failing == [d for d in divergences if d.kind == CONTRACT]


@pytest.mark.parametrize("fault", WINDOW_FAULTS)
def test_the_in_process_emulator_with_a_409_window_fault_fails_the_comparison(
    fault: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`parity compare emulator --emulator-fault no-conflict-while-…` (the default clock, reads:1, keeps the
    window open past the read just before; a slower one, reads:2, too): exit 1, the step contract-relevant."""
    step, busy = WINDOW_FAULTS[fault]
    for clock in ([], ["--emulator-clock", "reads:2"]):
        code, lines = _compare(["emulator", "--emulator-fault", fault, *clock], capsys)
        assert code == 1, lines
        unlisted = [line for line in lines if line.startswith("  UNLISTED")]
        assert unlisted == [
            f"  UNLISTED  {step} · status: snapshot 409 ({busy} just before), emulator 200 ({busy} just before) "
            f"(status: the target was {busy} just before, the docs say 409)"
        ], lines


def test_a_fast_correct_server_whose_windows_closed_differs_only_in_timing(capsys: pytest.CaptureFixture[str]) -> None:
    """`--emulator-clock immediate`: the read just before each window restore ends the transient status (a server
    faster than two requests), so the restore is accepted after a `ready` read: timing, docs silent, exit 0."""
    code, lines = _compare(["emulator", "--emulator-clock", "immediate", "--show-silent"], capsys)
    assert code == 0, lines
    assert "restore-while-provisioning reached (provisioning)/closed (ready)" in lines[2], lines
    assert not any(line.startswith("  UNLISTED") for line in lines), lines
    for step, busy in WINDOW_FAULTS.values():
        assert (
            f"  silent    {step} · status: snapshot 409 ({busy} just before), emulator 200 (ready just before) "
            "(timing: the 409 window was reached on one side and had closed on the other)"
        ) in lines, lines
    timing = "     3  timing          in restore-while-provisioning, restore-while-recovering, watch-recovery-again"
    assert timing in lines, lines  # the last: a recovery that ended before the watch's first read


def _with_window_step(snapshot: Snapshot, step: str, status: int, before: str | None) -> Snapshot:
    """`snapshot` with `step` answered `status` (a 2xx: the restore's answer) after a read that showed `before`."""
    changed = copy.deepcopy(snapshot)
    steps = {each["step"]: each for each in changed["steps"]}
    answer = steps[step]
    if status != 409:
        accepted = steps["restore"]
        answer.update({key: copy.deepcopy(accepted[key]) for key in ("body", "content_type", "schema_errors")})
    answer.update(status=status, window="closed")
    answer.pop("before", None)
    if before is not None:
        answer["before"] = before
    return changed


def test_a_window_step_is_judged_by_the_status_read_just_before() -> None:
    """A 2xx in a 409 window is contract-relevant on the side whose read just before showed the target busy, even
    when the other side answered the same 2xx (its window had closed); timing when the read showed it ready, or
    when an older snapshot did not record the read."""
    committed, step = load(COMMITTED), "restore-while-recovering"
    ignored = _with_window_step(committed, step, 200, "recovering")
    closed = _with_window_step(committed, step, 200, "ready")
    unrecorded = _with_window_step(committed, step, 200, None)
    why = "status: the target was recovering just before, the docs say 409"
    shown = [(d.key, d.recorded, d.actual, d.kind, d.rule) for d in compare(closed, ignored)]
    assert shown == [(f"{step} · status", "200 (ready just before)", "200 (recovering just before)", CONTRACT, why)]
    assert [(d.key, d.kind, d.rule) for d in compare(ignored, committed)] == [(f"{step} · status", CONTRACT, why)]
    for other_side in (closed, unrecorded):
        assert [(d.key, d.kind, d.category) for d in compare(committed, other_side)] == [
            (f"{step} · status", SILENT, "timing")
        ]
    assert compare(ignored, ignored) == []  # both sides alike: no divergence (the contract suite judges each)


def _with_settled_step(snapshot: Snapshot, status: int, before: str) -> Snapshot:
    """`snapshot` with the restore after the recovery answered `status` after a read that showed `before`."""
    changed = copy.deepcopy(snapshot)
    answer = next(each for each in changed["steps"] if each["step"] == "restore-after-recovery")
    answer.update(status=status, before=before)
    return changed


def test_the_restore_after_the_recovery_is_judged_by_the_status_read_just_before() -> None:
    """A 409 after a read that showed the target ready is a conflict that outlived the recovery (contract-relevant,
    whichever side it is on, even when both sides answered 409); after a read that still showed it recovering, a
    slower recovery (timing: the docs do not say how long one takes); a 200 after that read, a restore accepted
    while recovering."""
    committed, key = load(COMMITTED), "restore-after-recovery · status"
    sticky = _with_settled_step(committed, 409, "ready")
    slower = _with_settled_step(committed, 409, "recovering")
    accepted_busy = _with_settled_step(committed, 200, "recovering")
    outlived = "status: the target was ready just before, the docs say 409 only while provisioning or recovering"
    assert [(d.key, d.recorded, d.actual, d.kind, d.rule) for d in compare(committed, sticky)] == [
        (key, "200 (ready just before)", "409 (ready just before)", CONTRACT, outlived)
    ]
    assert [(d.key, d.kind, d.rule) for d in compare(sticky, committed)] == [(key, CONTRACT, outlived)]
    assert [(d.key, d.recorded, d.actual, d.kind) for d in compare(slower, sticky)] == [
        (key, "409 (recovering just before)", "409 (ready just before)", CONTRACT)
    ]
    for one, other in ((committed, slower), (slower, committed)):
        assert [(d.key, d.kind, d.rule) for d in compare(one, other)] == [
            (key, SILENT, "timing: the read just before showed the target ready on one side only (a slower recovery)")
        ]
    why = "status: the target was recovering just before, the docs say 409"
    assert [(d.key, d.kind, d.rule) for d in compare(committed, accepted_busy)] == [(key, CONTRACT, why)]
    assert compare(sticky, sticky) == compare(slower, slower) == []


# --- (4) reviewed divergences: known, unlisted, stale


def test_reviewed_entries_excuse_only_their_own_divergence_and_stale_ones_are_reported(
    recorded: Recorded, emulator_snapshot: Snapshot
) -> None:
    divergences = compare(recorded.of("no-alias"), emulator_snapshot)
    reviewed = Known("no-alias", "get-by-unprefixed-id", "status", SILENT, "staging does not alias unprefixed ids")
    stale = Known("no-alias", "list-golden-backups", "body $.data order", SILENT, "staging lists oldest first")
    other_snapshot = Known("staging*", "restore", "*", CONTRACT, "about another snapshot: neither used nor stale")
    verdict = judge(divergences, [reviewed, stale, other_snapshot], "no-alias")
    assert verdict.passed
    assert [entry for _, entry in verdict.known] == [reviewed]
    assert verdict.stale == [stale]
    text = "\n".join(render("no-alias", recorded.of("no-alias"), emulator_snapshot, verdict))
    assert "STALE     list-golden-backups · body $.data order" in text, text
    assert "     1  which code      in get-by-unprefixed-id (1 known)" in text, text
    assert "staging does not alias unprefixed ids" not in text, text  # docs silent: listed on request
    text = "\n".join(render("no-alias", recorded.of("no-alias"), emulator_snapshot, verdict, show_silent=True))
    assert "  known     get-by-unprefixed-id · status: snapshot 404, emulator 200" in text, text
    assert "reviewed: staging does not alias unprefixed ids" in text, text
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
    snapshot.write_text(dumps(recorded.of("backups-oldest-first")), encoding="utf-8")
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
    assert "1 divergence(s): 0 contract-relevant (0 unlisted), 1 docs-silent (0 unlisted); 1 known, 1 stale" in out
    assert "  STALE     restore · status (contract-relevant, snapshot oldest): listed, no longer occurs" in out, out
    assert main(["compare", str(snapshot), "--against", str(COMMITTED), "--known", str(tmp_path / "none")]) == 2
    reviewed.write_text("divergences: []\n", encoding="utf-8")
    assert main(["compare", str(snapshot), "--against", str(COMMITTED), "--known", str(reviewed)]) == 0
    out = capsys.readouterr().out
    assert "1 divergence(s): 0 contract-relevant (0 unlisted), 1 docs-silent (1 unlisted); 0 known, 0 stale" in out
    assert "     1  list order      in list-golden-backups" in out, out
    faulty = tmp_path / "faulty.json"
    faulty.write_text(dumps(recorded.of("fault-restore-answers-ready")), encoding="utf-8")
    assert main(["compare", str(faulty), "--against", str(COMMITTED), "--known", str(reviewed)]) == 1
    assert "  UNLISTED  restore · body $.data.status" in capsys.readouterr().out


def test_the_report_puts_contract_relevant_divergences_first_and_counts_docs_silent_ones_per_kind(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A server with a contract fault and other correct options: the fault's divergence first, on one line with its
    step, place, both sides and rule; then one line per docs-silent kind with its count; exit 1 for the fault alone.
    `--show-silent` lists the docs-silent ones one by one."""
    options = ["--emulator-id-style", "cuid2", "--emulator-backups-oldest-first", "--emulator-no-alias"]
    code, lines = _compare(["emulator", *options, "--emulator-fault", "restore-answers-ready"], capsys)
    assert code == 1, lines
    assert lines[3] == (
        "8 divergence(s): 2 contract-relevant (2 unlisted), 6 docs-silent (6 unlisted); 0 known, 0 stale"
    ), lines
    assert lines[4:] == [
        "contract-relevant (the docs decide):",
        '  UNLISTED  restore · body $.data.status: snapshot "recovering", emulator "ready" '
        "(state: a documented status)",
        '  UNLISTED  restore-after-recovery · body $.data.status: snapshot "recovering", emulator "ready" '
        "(state: a documented status)",
        "docs-silent (any correct server may differ here; --show-silent lists each), per kind:",
        "     1  which code      in get-by-unprefixed-id",
        "     4  id format       in id formats",
        "     1  list order      in list-golden-backups",
        "FAILED: 2 unlisted contract-relevant divergence(s): fix the emulator, or review each into "
        "restore_contract/parity/known-divergences.yaml with a reason",
    ]
    code, lines = _compare(["emulator", *options, "--show-silent"], capsys)
    assert code == 0, lines
    listed = [line for line in lines if line.startswith("  silent")]
    assert len(listed) == 6, lines
    assert (
        '  silent    id formats · backup ids: snapshot ["bkp_[0-9a-z]{25}"], emulator ["bkp_[0-9a-z]{24}"] (id format)'
        in listed
    )
    assert lines[-1] == "OK: no unlisted contract-relevant divergence", lines


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


# --- (5) lists: an environment's extra resources are docs silent, the scenario's own are not


def _with_an_extra_completed_backup(monkeypatch: pytest.MonkeyPatch, **options: object) -> Snapshot:
    """The in-process emulator whose golden source keeps one more (older) completed backup than `--seed-golden`."""
    monkeypatch.setattr(record, "SEEDED_BACKUPS", ("completed", *record.SEEDED_BACKUPS))
    return record_emulator(EmulatorConfig(data_plane="memory", clock=ClockConfig.parse(CLOCK), **options))  # type: ignore[arg-type]


@pytest.mark.parametrize("newest_first", [True, False])
def test_a_golden_source_with_more_backups_is_docs_silent_and_the_order_is_still_compared(
    monkeypatch: pytest.MonkeyPatch, emulator_snapshot: Snapshot, newest_first: bool
) -> None:
    """Staging's golden source keeps more backups than the emulator seeds: the extra one (named nowhere else in the
    scenario) is the environment's; the backups both list are still compared in order."""
    golden = _with_an_extra_completed_backup(monkeypatch, backups_newest_first=newest_first)
    divergences = compare(golden, emulator_snapshot)
    shown = [(d.key, d.kind, d.category) for d in divergences]
    extra = ("list-golden-backups · body $.data[<completed-backup:1>]", SILENT, "extra resource")
    order = ("list-golden-backups · body $.data order", SILENT, "list order")
    assert shown == ([extra] if newest_first else [order, extra]), shown
    assert judge(divergences, [], "staging").passed
    if not newest_first:  # the order of the backups both sides list, without the extra one
        assert (divergences[0].recorded, divergences[0].actual) == (
            '["<running-backup:1>", "<backup:2>", "<backup:1>"]',
            '["<backup:1>", "<backup:2>", "<running-backup:1>"]',
        )


def test_a_resource_the_scenario_knows_missing_from_a_list_is_contract_relevant(emulator_snapshot: Snapshot) -> None:
    """A restore that replaces the database's connections: the connections the scenario issued are gone from the
    restored database's list (identity), however the new ones are named."""
    faulty = record_emulator(
        EmulatorConfig(
            data_plane="memory", clock=ClockConfig.parse(CLOCK), faults=frozenset({Fault.CONNECTIONS_REPLACED})
        )
    )
    divergences = compare(emulator_snapshot, faulty)
    lists = [d for d in divergences if "connections[" in d.where]
    assert {(d.step, d.where, d.recorded != "(absent)") for d in lists} >= {
        ("restore", "body $.data.connections[<connection:1>]", True),
        ("restore", "body $.data.connections[<connection:2>]", True),
    }, [d.key for d in lists]
    assert {(d.kind, d.category) for d in lists} == {(CONTRACT, "identity")}, [(d.key, d.rule) for d in lists]
    # a backup the scenario restores from, gone from the golden source's list, is no extra either
    missing = copy.deepcopy(emulator_snapshot)
    golden = next(step for step in missing["steps"] if step["step"] == "list-golden-backups")
    golden["body"]["data"] = [item for item in golden["body"]["data"] if item["id"] != "<backup:1>"]
    assert [(d.key, d.kind) for d in compare(emulator_snapshot, missing)] == [
        ("list-golden-backups · body $.data[<backup:1>]", CONTRACT)
    ]


# --- (6) snapshots hold no secrets; normalisation keeps identities; labels and id shapes hold no environment


def test_recorded_snapshots_hold_no_secrets_and_the_scan_would_see_one(recorded: Recorded) -> None:
    for name, snapshot in recorded.snapshots.items():
        assert_no_secrets(dumps(snapshot), name)
    issued = next(step for step in recorded.of("default")["steps"] if step["step"] == "issue-connection")
    assert issued["body"]["data"]["connectionString"] == SECRET
    leaky = copy.deepcopy(recorded.of("default"))
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


def test_recording_the_same_server_on_two_ports_gives_identical_files(
    recorded: Recorded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The default label, `live <PRISMA_API_URL>`, is stored with its origin normalised as the snapshot's URLs are."""
    files = []
    for name in ("default", "default-again"):
        _environment(monkeypatch, recorded.servers[name])
        assert main(["record", name, "--dir", str(tmp_path)]) == 0, capsys.readouterr()
        files.append((tmp_path / f"{name}.json").read_text(encoding="utf-8"))
    assert recorded.servers["default"].url != recorded.servers["default-again"].url
    assert json.loads(files[0])["recorded_against"] == "live <api>"
    assert files[0] == files[1]


@pytest.mark.parametrize(
    ("value", "shape"),
    [
        ("db_cabcdefghijklmnopqrstuvwx", "db_[a-z]{25}"),
        ("bkp_20261204_120000", "bkp_[0-9_]{15}"),  # a prefix, then a timestamp with an underscore
        ("20261204T120000Z", "[0-9A-Z]{16}"),  # v2-style: a bare timestamp
        ("20261204_120000", "[0-9_]{15}"),  # the same, split by an underscore: no prefix, so no leading `_`
        ("v2_20261204120000", "[0-9a-z_]{17}"),  # `v2` is no prefix (prefixes are letters)
        ("_c0ffee", "[0-9a-z_]{7}"),
        ("c0ffee", "[0-9a-z]{6}"),
    ],
)
def test_an_id_shape_has_no_spurious_leading_underscore(value: str, shape: str) -> None:
    assert id_format(value) == shape


# --- (7) the rule each divergence is given, on the committed snapshot changed by hand (what the report prints)


def _changed(step: str, change: Callable[[dict[str, Any]], None]) -> Snapshot:
    """The committed snapshot with `change` applied to one step's record."""
    snapshot = load(COMMITTED)
    change(next(each for each in snapshot["steps"] if each["step"] == step))
    return snapshot


def _shown(divergences: list[Divergence]) -> list[tuple[str, str, str, str, str]]:
    return [(d.key, d.recorded, d.actual, d.kind, d.rule) for d in divergences]


def test_a_schema_divergence_names_its_rule_and_hides_only_what_it_explains() -> None:
    """A missing required field is one divergence (not one more for the body that lacks it), and a body difference
    elsewhere is still shown; a broken error envelope explains every difference of that answer's body."""

    def lacks_created_at(step: dict[str, Any]) -> None:
        del step["body"]["data"]["createdAt"]
        step["body"]["data"]["note"] = "elsewhere"
        step["schema_errors"] = ["$.data.createdAt: required"]

    assert _shown(compare(load(COMMITTED), _changed("restore", lacks_created_at))) == [
        ("restore · schema $.data.createdAt: required", "conforms", "breaks it", CONTRACT, "schema: a required field"),
        (
            "restore · body $.data.note",
            "(absent)",
            '"elsewhere"',
            SILENT,
            "extra field: the schema does not require it",
        ),
    ]

    def another_envelope(step: dict[str, Any]) -> None:
        step["body"] = {"message": "Database was not found."}
        step["schema_errors"] = ["$.error: required"]

    assert _shown(compare(_changed("restore-target-missing", another_envelope), load(COMMITTED))) == [
        ("restore-target-missing · schema $.error: required", "breaks it", "conforms", CONTRACT,
         "schema: the error envelope"),
    ]  # fmt: skip


PROSE = "error code: the message and hint are prose, not documented"


@pytest.mark.parametrize(
    ("step", "path", "value", "rule"),
    [
        ("restore-target-missing", ("error", "code"), "missing", "error code: the docs name no error codes"),
        ("restore-target-missing", ("error", "message"), "No.", PROSE),
        ("restore-target-missing", ("error", "details"), "x", "extra field: the schema does not require it"),
        ("restore", ("data", "message"), "x", "extra field: the schema does not require it"),
        ("restore", ("data", "name"), "another-name", "value: allowed by the schema, not pinned by the docs"),
        ("restore", ("data", "region"), ["us-east-1"], "value: allowed by the schema, not pinned by the docs"),
    ],
)  # fmt: skip
def test_a_body_divergence_is_docs_silent_by_the_rule_of_its_field(
    step: str, path: tuple[str, str], value: object, rule: str
) -> None:
    """Error codes and the error's prose, extra fields and free values: docs silent, each saying which rule."""

    def set_field(record: dict[str, Any]) -> None:
        record["body"][path[0]][path[1]] = value

    divergences = compare(load(COMMITTED), _changed(step, set_field))
    assert [(d.key, d.kind, d.rule) for d in divergences] == [(f"{step} · body $.{'.'.join(path)}", SILENT, rule)]


def test_prose_fields_are_prose_only_inside_the_error() -> None:
    """`message` or `code` outside `$.error` is a value like any other, and another field of the error is no
    prose."""
    for where, rule in ((("data", "message"), "value"), (("data", "code"), "value"), (("error", "details"), "value")):
        step = "restore" if where[0] == "data" else "restore-target-missing"

        def both(snapshot: Snapshot, value: str, field: tuple[str, str] = where, name: str = step) -> Snapshot:
            record = next(each for each in snapshot["steps"] if each["step"] == name)
            record["body"][field[0]][field[1]] = value
            return snapshot

        divergences = compare(both(load(COMMITTED), "one"), both(load(COMMITTED), "two"))
        assert [(d.key, d.category) for d in divergences] == [(f"{step} · body $.{'.'.join(where)}", rule)]


def test_a_list_that_repeats_an_id_is_compared_by_position() -> None:
    """Items are matched by id only where each has its own: repeated ids would hide one of the items."""

    def listed(second: int) -> Snapshot:
        items = [{"id": "<backup:1>", "n": 1}, {"id": "<backup:1>", "n": second}]
        return _changed("restore", lambda step: step["body"]["data"].update(items=items))

    assert [(d.key, d.recorded, d.actual) for d in compare(listed(2), listed(3))] == [
        ("restore · body $.data.items[1].n", "2", "3")
    ]


@pytest.mark.parametrize("with_ids", ["recorded", "actual"])
def test_a_list_with_ids_on_one_side_only_is_compared_by_position(with_ids: str) -> None:
    def listed(items: list[Any]) -> Snapshot:
        return _changed("restore", lambda step: step["body"]["data"].update(items=items))

    ids, plain = listed([{"id": "<backup:1>"}]), listed(["<backup:1>"])
    recorded, actual = (ids, plain) if with_ids == "recorded" else (plain, ids)
    assert [(d.key, d.category) for d in compare(recorded, actual)] == [("restore · body $.data.items[0]", "identity")]


@pytest.mark.parametrize("status", [200, 202, 299])
def test_any_2xx_after_a_read_that_showed_the_target_busy_is_a_restore_accepted_while_busy(status: int) -> None:
    busy = _with_window_step(load(COMMITTED), "restore-while-recovering", status, "recovering")
    assert [(d.key, d.kind, d.rule) for d in compare(load(COMMITTED), busy)] == [
        (
            "restore-while-recovering · status",
            CONTRACT,
            "status: the target was recovering just before, the docs say 409",
        )
    ]


@pytest.mark.parametrize("longer", ["recorded", "actual"])
def test_lists_without_ids_are_compared_by_position_whichever_side_is_longer(longer: str) -> None:
    def tagged(tags: list[str]) -> Snapshot:
        return _changed("restore", lambda step: step["body"]["data"].update(tags=tags))

    short, long = tagged(["a"]), tagged(["a", "b"])
    recorded, actual = (long, short) if longer == "recorded" else (short, long)
    sides = ('"b"', "(absent)") if longer == "recorded" else ("(absent)", '"b"')
    assert _shown(compare(recorded, actual)) == [
        ("restore · body $.data.tags[1]", *sides, SILENT, "extra field: the schema does not require it")
    ]


@pytest.mark.parametrize(
    ("step", "recorded", "actual", "rule"),
    [
        ("create-scratch", 201, 200, "status: the docs allow [201] here"),  # the same class, not the documented code
        ("restore-target-missing", 499, 404, "status: the docs allow [404] here"),  # a proxy's 499: a 4xx too
        ("restore-target-missing", 404, 499, "status: the docs allow [404] here"),
        ("restore-while-recovering", 409, 300, "status: another class (the docs allow [409] here)"),  # no timing
        ("restore-target-missing", 404, 500, "status: another class (the docs allow [404] here)"),
        ("restore-regex-invalid-id", 404, 422, "which code: the docs allow any of [400, 404, 422] here"),
    ],
)
def test_a_status_divergence_says_whether_the_class_differs(step: str, recorded: int, actual: int, rule: str) -> None:
    def answered(status: int) -> Snapshot:
        return _changed(step, lambda record: record.update(status=status))

    divergences = compare(answered(recorded), answered(actual))
    assert [(d.key, d.recorded.split()[0], d.actual.split()[0], d.rule) for d in divergences] == [
        (f"{step} · status", str(recorded), str(actual), rule)
    ]


def test_a_step_skipped_on_both_sides_is_no_divergence_and_on_one_side_it_is() -> None:
    """A target without the other principals skips the authorization steps: compared with another such target,
    nothing; compared with one that ran them, each is a documented answer checked on one side only."""

    def skipped(record: dict[str, Any]) -> None:
        for key in ("request", "status", "content_type", "body", "schema_errors"):
            del record[key]
        record["skipped"] = "no no-admin token (live: set PRISMA_CONTRACT_NO_ADMIN_TOKEN)"

    step, why = "restore-without-admin-scope", "skipped: no no-admin token (live: set PRISMA_CONTRACT_NO_ADMIN_TOKEN)"
    assert compare(_changed(step, skipped), _changed(step, skipped)) == []
    one_side = (CONTRACT, "step: a documented answer checked on one side only")
    assert _shown(compare(load(COMMITTED), _changed(step, skipped))) == [
        (f"{step} · step", "answered 403", why, *one_side)
    ]
    assert _shown(compare(_changed(step, skipped), load(COMMITTED))) == [
        (f"{step} · step", why, "answered 403", *one_side)
    ]


def test_a_step_the_scenario_no_longer_has_says_to_re_record() -> None:
    """An older snapshot's step that the scenario dropped (or renamed): contract-relevant, and the fix is named."""
    older = _changed("restore", lambda record: record.update(step="restore-as-it-was-called"))
    assert _shown(compare(older, load(COMMITTED)))[:1] == [
        ("restore-as-it-was-called · step", "answered 200", "(no such step)", CONTRACT,
         "step: the scenario has no such step any more (re-record the snapshot: restore_contract.parity record)"),
    ]  # fmt: skip


@pytest.mark.parametrize(("length", "shown"), [(70, 70), (71, 70)])
def test_a_long_value_is_shown_cut_to_70_characters(length: int, shown: int) -> None:
    """Both sides of a divergence fit on the report's line: a value longer than 70 characters is cut, with `…`."""
    long = "n" * (length - 2)  # quoted as JSON: two characters more
    divergences = compare(load(COMMITTED), _changed("restore", lambda step: step["body"]["data"].update(name=long)))
    assert [len(d.actual) for d in divergences] == [shown]
    assert divergences[0].actual.endswith("…" if length > 70 else '"')


def test_a_watch_is_compared_by_the_statuses_it_saw_when_both_sides_recorded_them() -> None:
    """Other busy statuses on the way to the same end: timing. A side that did not record them (an older
    snapshot) is compared by the final read alone."""
    slower = _changed("watch-recovery", lambda step: step.update(seen=["recovering", "recovering", "ready"]))
    unrecorded = _changed("watch-recovery", lambda step: step.pop("seen"))
    assert [(d.key, d.kind, d.category) for d in compare(load(COMMITTED), slower)] == [
        ("watch-recovery · watch", SILENT, "timing")
    ]
    assert compare(load(COMMITTED), unrecorded) == compare(unrecorded, load(COMMITTED)) == []


def test_a_step_one_snapshot_lacks_is_a_documented_answer_checked_on_one_side_only() -> None:
    """A snapshot recorded before the scenario had the step (re-record it to compare the step again)."""
    older = load(COMMITTED)
    older["steps"] = [step for step in older["steps"] if step["step"] != "restore-after-recovery"]
    one_side = (CONTRACT, "step: a documented answer checked on one side only")
    assert _shown(compare(older, load(COMMITTED))) == [
        ("restore-after-recovery · step", "(no such step)", "answered 200", *one_side)
    ]
    assert _shown(compare(load(COMMITTED), older)) == [
        ("restore-after-recovery · step", "answered 200", "(no such step)", *one_side)
    ]


@pytest.mark.parametrize("status", [200, 202, 299])
def test_any_2xx_after_a_read_that_showed_the_target_ready_is_a_closed_window(status: int) -> None:
    closed = _with_window_step(load(COMMITTED), "restore-while-recovering", status, "ready")
    assert [(d.key, d.kind, d.category) for d in compare(load(COMMITTED), closed)] == [
        ("restore-while-recovering · status", SILENT, "timing")
    ]


def test_a_value_is_shown_as_the_server_wrote_it_accents_and_all() -> None:
    divergences = compare(load(COMMITTED), _changed("restore", lambda step: step["body"]["data"].update(name="café")))
    assert [d.actual for d in divergences] == ['"café"']


@pytest.mark.parametrize("keys", [("b", "a"), ("a", "b")])
def test_a_value_shows_its_keys_in_one_order_whatever_order_the_server_sent(keys: tuple[str, str]) -> None:
    note = {key: index for index, key in enumerate(keys)}
    divergences = compare(load(COMMITTED), _changed("restore", lambda step: step["body"]["data"].update(note=note)))
    assert [d.actual for d in divergences] == [json.dumps(dict(sorted(note.items())))]


def test_an_answer_with_a_body_on_one_side_only_is_one_divergence_of_the_whole_body() -> None:
    """A 204 that came with a body on one side: the body as a whole, docs silent (its schema documents none)."""
    with_body = _changed("delete-scratch", lambda step: step.update(body={"deleted": True}))
    assert [(d.key, d.recorded, d.actual, d.kind) for d in compare(load(COMMITTED), with_body)] == [
        ("delete-scratch · body $", "null", '{"deleted": true}', SILENT)
    ]
