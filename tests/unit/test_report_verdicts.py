"""What the reports say of a run is how it ended: summary.md (and GitHub's job summary, made from it) read as the
run's verdict by people and CI pages, from the run's record as write_reports writes it after the tests."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from restore_contract.reporting.write import Destinations, write_reports
from restore_contract.run.record import RunRecord
from restore_contract.run.report import Outcome

FAILED_TEST = "restore_contract/suite/test_properties.py::test_successful_restore_replaces_the_data"
ERRORED = "restore_contract/suite/test_lifecycle.py::test_lifecycle"


def _record(exit_status: int, **fields: object) -> RunRecord:
    return RunRecord(exit_status=exit_status, target={"name": "emulator"}, profile="ci", **fields)  # type: ignore[arg-type]


def _summary(tmp_path: Path, record: RunRecord) -> list[str]:
    write_reports(Destinations(tmp_path, step_summary=tmp_path / "step-summary.md"), record)
    return (tmp_path / "summary.md").read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("exit_status", [1, 2, 75])
def test_a_failed_run_is_never_reported_as_passed(
    tmp_path: Path, exit_status: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    step_summary = tmp_path / "step-summary.md"
    skipped = "restore_contract/suite/test_conflicts.py::test_held_provisioning"
    failed = {
        FAILED_TEST: Outcome("failed", violated=("restore_replaces_data",)),
        skipped: Outcome("skipped", skip_reason="needs the emulator's control plane"),
        ERRORED: Outcome("error", error="TimeoutError: the lifecycle model's own timeout"),
    }
    lines = _summary(tmp_path, _record(exit_status, tests=failed, failures={FAILED_TEST: "curl -X POST …"}))
    assert lines[0] == f"# Restore contract run: FAILED (exit {exit_status})"
    assert "passed" not in lines[0]
    assert f"- `{FAILED_TEST}`: restore_replaces_data" in lines
    assert lines[lines.index(f"- `{FAILED_TEST}`: restore_replaces_data") + 1] == "  - request: `curl -X POST …`"
    errored = f"- `{ERRORED}`: TimeoutError: the lifecycle model's own timeout"
    assert errored in lines, "not a verdict: why it ended"
    assert not lines[lines.index(errored) + 1].startswith("  - request"), "it sent no request that failed"
    assert f"| {skipped} | needs the emulator's control plane |" in lines, "a skip is a check that did not run"
    assert step_summary.read_text(encoding="utf-8").splitlines()[0] == lines[0], "the job's page says the same"


def test_a_passing_run_says_passed_and_an_interrupted_one_by_what(tmp_path: Path) -> None:
    assert _summary(tmp_path, _record(0))[0] == "# Restore contract run: passed"
    interrupted = _summary(tmp_path, _record(1, interrupted="SIGTERM"))[0]
    assert interrupted == "# Restore contract run: INTERRUPTED by SIGTERM (exit 1)"


def test_summary_md_says_how_the_run_used_its_workers_time_and_what_it_tolerated(tmp_path: Path) -> None:
    """The run's figures that the terminal summary gives are in summary.md too (README: "the same for people")."""
    page = _summary(
        tmp_path,
        _record(
            0,
            workers=2,
            seed=7,
            partial=True,
            budget_s=60.0,
            elapsed_s=58.5,
            verified_in_background=7,
            lifecycle=Counter({"restores answered 200": 3}),
            deviations=Counter({"400 for invalid input": 2, "405 for an empty id": 5}),
        ),
    )
    assert page[2].startswith("Target **emulator**, 2 workers, profile **ci** (seed 7), 0 requests")
    assert "**PARTIAL run** (`--partial`): what it could not reach is marked below." in page
    assert any(line.startswith("Ran 58.5 s (budget: 60.0); restores verified in the background: 7") for line in page)
    assert "| restores answered 200 | 3 |" in page
    tolerated = page[page.index("## Documentation deviations tolerated") :]
    assert tolerated[4:6] == ["| 405 for an empty id | 5 |", "| 400 for invalid input | 2 |"], "most frequent first"
    one_worker = _summary(tmp_path, _record(0, workers=1, generation="derandomized"))
    assert one_worker[2].startswith("Target **emulator**, profile **ci** (derandomized), 0 requests")
    assert not any(line.startswith("**PARTIAL") for line in one_worker)
    assert "## Checks not run here" not in one_worker
    assert not any(line.startswith("Ran ") for line in one_worker), "no budget, nothing in the background: no line"
    assert "## Lifecycle state machine" not in one_worker
    unbudgeted = _summary(tmp_path, _record(0, verified_in_background=2, elapsed_s=3.0))
    ran = "Ran 3.0 s (budget: none); restores verified in the background: 2"
    assert any(line.startswith(ran) for line in unbudgeted)


def test_summary_md_gives_each_failed_test_its_rerun_command_and_none_an_empty_one(tmp_path: Path) -> None:
    """A failure in summary.md says how to run that test again, as the terminal does; one without a command (a
    failure outside a contract test's call) gets no empty block."""
    again = f"PRISMA_CONTRACT_PROFILE=ci python3 dev.py contract {FAILED_TEST} -x"
    tests = {
        FAILED_TEST: Outcome("failed", ("restore_finishes_with_backup_data",), reproduce=again),
        ERRORED: Outcome("error", error="RuntimeError: set-up failed"),
    }
    lines = _summary(tmp_path, _record(1, tests=tests))
    assert f"    {again}" in lines
    assert lines.count("  - reproduce:") == 1
