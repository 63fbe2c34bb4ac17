"""Scale-out on pytest-xdist: `-n 2` runs the contract suite in two workers, each a whole session with its own
target, scratch databases and guard allowlist; the controller prints one merged summary and writes one run record,
and nothing is left behind."""

from __future__ import annotations

from pathlib import Path

from tests.meta.conftest import Staging, database_names, live_env, run_recorded, run_suite_with
from tests.meta.records import pass_problems


def test_two_workers_on_the_in_process_emulator_give_one_merged_record(tmp_path: Path) -> None:
    # Merging is the subject, not the data plane: in memory, each worker costs about half of what it costs on its own
    # embedded PostgreSQL (the healthy fault-matrix runs and the default run cover PostgreSQL).
    run = run_recorded({}, tmp_path, "-n", "2", "--emulator-data=memory")
    assert not pass_problems(run), f"{pass_problems(run)}\n{run.output}"
    assert run.record["workers"] == 2, run.output
    collected = [line for line in run_suite_with({}, "--collect-only").stdout.splitlines() if "::" in line]
    assert len(run.tests) == len(collected), f"every test, in one worker or the other: {sorted(run.tests)}"
    assert run.count("statuses", "200") > 50, run.record["statuses"]
    assert "(2 workers)" in run.output, "one summary, of both workers"


def test_two_workers_on_a_live_target_each_clean_up_their_own(staging: Staging, tmp_path: Path) -> None:
    run = run_recorded(live_env(staging), tmp_path, "--target=live", "-n", "2")
    problems = [problem for problem in pass_problems(run) if " skipped: " not in problem]
    assert not problems, f"{problems}\n{run.output}"
    assert run.record["workers"] == 2
    assert not run.record["leftovers"]
    assert not run.record["guard_refusals"]
    left = [name for name in database_names(staging.server, staging.settings) if name.startswith("contract-scratch-")]
    assert not left, f"scratch databases left behind: {left}"


def test_a_replay_under_xdist_replays_the_cassette_in_order_in_one_process(tmp_path: Path) -> None:
    """A cassette is one conversation (a read of a URL answers what it answered at that point of the recording):
    `-n` is accepted and the replay runs in one process, in the recorded order."""
    run = run_recorded({"PRISMA_CONTRACT_PROFILE": "replay"}, tmp_path, "--target=replay", "-n", "2")
    assert run.exit_code == 0, run.output
    assert run.record["workers"] == 1, "one process, one record"
    assert run.count("statuses", "200") > 0, run.record["statuses"]
