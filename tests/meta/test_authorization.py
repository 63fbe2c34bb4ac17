"""The scope and the workspaces (issue 33), end to end: a live run against the emulator server (which exports the
other principals' tokens with `--seed-golden`) checks both coverage rows, says why not without the tokens, catches
each authorization fault by the property it names over HTTP, and a correct server passes whether it answers a
missing scope 401 or 403. The preflight refuses a token given as lacking workspace:admin that has it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from restore_contract.emulator.faults import CAUGHT_BY, Fault
from restore_contract.harness.server import seeded_settings
from tests.meta.conftest import Staging, live_env, run_recorded, run_suite_with
from tests.meta.records import detection

if TYPE_CHECKING:
    from tests.conftest import StartServer

TESTS = "restore_contract/suite/test_authorization.py"
PRINCIPALS = (
    "PRISMA_CONTRACT_NO_ADMIN_TOKEN",
    "PRISMA_CONTRACT_OTHER_WORKSPACE_TOKEN",
    "PRISMA_CONTRACT_OTHER_WORKSPACE_PROJECT_ID",
)
ROWS = (
    "401/403 token without workspace:admin (403 tolerated)",
    "404 target of another workspace (its admin token)",
    "404 source of another workspace (a backup of this one's)",
)


def _coverage(record: dict[str, object]) -> dict[str, dict[str, object]]:
    rows = record.get("coverage", [])
    assert isinstance(rows, list)
    return {f"{row['answer']} {row['cause']}": row for row in rows}


@pytest.mark.parametrize("status", ["401", "403"])
def test_a_live_run_with_the_extra_tokens_checks_both_rows_and_passes_with_401_and_403(
    launch_server: StartServer, tmp_path: Path, status: str
) -> None:
    server = launch_server("--no-control-plane", "--seed-golden", "--data", "memory", "--missing-scope-status", status)
    env = live_env(Staging(server, seeded_settings(server)), PRISMA_CONTRACT_DATA_PROBE="off")
    assert set(PRINCIPALS) <= set(env), "restore-emulator --seed-golden exports the other principals"
    run = run_recorded(env, tmp_path, "--target=live", tests=TESTS)
    assert run.exit_code == 0, run.output
    assert not run.skipped(), run.skipped()
    coverage = _coverage(run.record)
    assert all(coverage[row]["exercised"] for row in ROWS), coverage
    assert run.record["statuses"].get(status), run.record["statuses"]
    for name in PRINCIPALS[:2]:  # never written anywhere: not in the terminal, not in the record
        assert env[name] not in run.output
        assert env[name] not in str(run.record)


def test_without_the_extra_tokens_the_coverage_table_says_which_to_set(staging: Staging, tmp_path: Path) -> None:
    env = {name: value for name, value in live_env(staging).items() if name not in PRINCIPALS}
    run = run_recorded(env, tmp_path, "--target=live", tests=TESTS)
    assert run.exit_code == 0, run.output
    coverage = _coverage(run.record)
    assert "set PRISMA_CONTRACT_NO_ADMIN_TOKEN" in str(coverage[ROWS[0]]["why_not"])
    assert "set PRISMA_CONTRACT_OTHER_WORKSPACE_TOKEN" in str(coverage[ROWS[1]]["why_not"])
    assert set(run.skipped()) == set(run.tests), "every probe skips, saying why"


def test_the_preflight_refuses_a_token_given_as_without_admin_that_has_it(staging: Staging) -> None:
    env = live_env(staging)
    env["PRISMA_CONTRACT_NO_ADMIN_TOKEN"] = env["PRISMA_API_TOKEN"]
    done = run_suite_with(env, "--target=live", tests=TESTS)
    assert done.returncode == 2, done.stdout[-3000:]
    assert "PRISMA_CONTRACT_NO_ADMIN_TOKEN can list and create databases" in done.stdout + done.stderr
    assert env["PRISMA_API_TOKEN"] not in done.stdout + done.stderr


@pytest.mark.parametrize(
    "fault", [Fault.SCOPE_IGNORED, Fault.OTHER_WORKSPACE_TARGET_ACCEPTED, Fault.OTHER_WORKSPACE_BACKUP_ACCEPTED]
)
def test_each_authorization_fault_is_caught_live_by_its_property(
    launch_server: StartServer, tmp_path: Path, fault: Fault
) -> None:
    server = launch_server("--no-control-plane", "--seed-golden", "--data", "memory", "--fault", fault.value)
    env = live_env(Staging(server, seeded_settings(server)), PRISMA_CONTRACT_DATA_PROBE="off")
    run = run_recorded(env, tmp_path, "--target=live", "-x", tests=TESTS)
    found = detection(run, CAUGHT_BY[fault])
    if fault is Fault.OTHER_WORKSPACE_TARGET_ACCEPTED:
        # Live, the second workspace has no backup the run knows of, so its restore of the run's database names the
        # golden source's: the source check refuses it first. Only the emulator's control plane isolates this fault.
        assert not found.detected, found
        assert run.exit_code == 0, run.output
        return
    assert found.detected, f"{fault}: {found.why}\n{run.output}"
