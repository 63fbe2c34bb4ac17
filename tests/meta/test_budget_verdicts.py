"""The time budget and background verification never change a verdict: a failing run fails, near its budget, and a
restore that fails verification in the background fails the test that sent it, which stops sending at once."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from restore_contract.harness.server import seeded_settings
from tests.meta.conftest import Staging, live_env, run_recorded

if TYPE_CHECKING:
    from tests.conftest import StartServer

BUDGET = 8.0
SUCCESSFUL_RESTORE = "test_successful_restore_replaces_data_and_keeps_connections"
# Tests whose first examples restore successfully: with the fault on, each must fail, however its share ended.
MEET_A_200 = {
    "test_restore[POST /v1/databases/{targetDatabaseId}/restore]",
    SUCCESSFUL_RESTORE,
    "test_data_written_after_the_backup_is_gone",
}


def test_a_budget_never_turns_a_failing_run_green_and_the_run_still_ends_near_it(tmp_path: Path) -> None:
    """Each test stops once its share is spent, a failing one too (it ends with its first violation): measured, a
    run with this fault ran 138 s on an 8 s budget, and a budget that forgot the violation reported it passed."""
    # The nightly profile: Hypothesis goes on after a failure (it shrinks), so the share ends while a test has failed.
    env = {"PRISMA_CONTRACT_PROFILE": "nightly", "PRISMA_CONTRACT_BUDGET": f"{BUDGET:g}"}
    run = run_recorded(env, tmp_path, "--emulator-fault=source-not-echoed")
    assert run.exit_code == 1, run.output
    caught = {
        test.rsplit("::", 1)[-1] for test, props in run.violations().items() if "restore_starts_recovering" in props
    }
    assert caught >= MEET_A_200, f"a test whose 200 broke the contract passed: {sorted(MEET_A_200 - caught)}"
    assert run.record["budget_s"] == BUDGET
    # Start-up, the first example each of ~30 tests runs whatever its share (on a loaded CI machine, tens of seconds),
    # and the last verifications; once 138 s, seventeen times the budget.
    assert run.record["elapsed_s"] < BUDGET + 52, run.record["elapsed_s"]


def test_a_restore_that_fails_only_in_background_verification_fails_its_test_which_stops_sending(
    launch_server: StartServer, tmp_path: Path
) -> None:
    """On a live target a 200 is verified in the background while the test goes on. A server that leaves the data
    as it was shows it only there, once the recovery has ended: the test that sent that restore must fail with the
    data property, and send no restore after the failure was found."""
    server = launch_server(
        "--no-control-plane", "--seed-golden", "--clock", "seconds:0.5", "--fault", "data-not-replaced"
    )
    env = live_env(Staging(server, seeded_settings(server)), PRISMA_CONTRACT_PROFILE="ci")
    run = run_recorded(env, tmp_path, "--target=live", "-k", SUCCESSFUL_RESTORE)
    assert run.exit_code == 1, run.output
    violated = {test.rsplit("::", 1)[-1]: props for test, props in run.violations().items()}
    assert list(violated) == [SUCCESSFUL_RESTORE], violated
    assert "restore_finishes_with_backup_data" in violated[SUCCESSFUL_RESTORE], violated
    assert run.record["verified_in_background"] > 0, "the restores were verified in the background"
    restores = run.record["restores"]
    found = min(r["started_s"] + r["seconds"] for r in restores if not r["ok"])  # when the first failure was known
    after = [r for r in restores if r["started_s"] > found + 0.5]  # a send already under way may still go out
    assert after == [], f"{len(after)} restores sent after a failed verification: {after}"
    assert len(restores) < 30, "the test stopped before its examples ran out"
