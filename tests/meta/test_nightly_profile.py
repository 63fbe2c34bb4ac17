"""The `nightly` profile (1,000 examples a test, random, shrinking) on a healthy emulator with PostgreSQL: sized by
a time budget it passes inside that budget, every test having checked something, the data probe keeping within
the database's connection limits."""

from __future__ import annotations

from pathlib import Path

from tests.meta.conftest import run_recorded
from tests.meta.records import pass_problems

# Long enough for well over a hundred restores verified end to end on 2 cores (the test asks for 20), and far too
# short for 1,000 examples a test (measured: 22 tests cut short at 10, 15 and 20 s alike). It was 40 s, then 20 s,
# then 12 s; 20 s again since the budget counts the set-up too and a test not started once it is spent is skipped
# (issue 27): at 12 s a loaded machine (4 xdist workers on 2 cores, as in CI) left 19 tests unstarted, and at 20 s one
# more loaded still (a benchmark beside CI, load 7) left 5; 30 s leaves room for that. The bound on open sessions is
# pinned by tests/unit/test_data_probe.py and tests/emulator/test_postgres_dataplane.py.
BUDGET = 30.0


def test_the_nightly_profile_passes_on_a_healthy_emulator_inside_its_budget(tmp_path: Path) -> None:
    run = run_recorded({"PRISMA_CONTRACT_PROFILE": "nightly", "PRISMA_CONTRACT_BUDGET": f"{BUDGET:g}"}, tmp_path)
    assert not pass_problems(run), f"{pass_problems(run)}\n{run.output}"
    assert run.record["profile"] == "nightly"
    assert run.record["budget_s"] == BUDGET
    assert run.record["cut_short_by_budget"], "1,000 examples a test do not fit in the budget: it sized the run"
    # A share ends at a test's next request, plus the verification of what it left in flight: seconds here.
    assert run.record["elapsed_s"] < BUDGET + 15, run.record["elapsed_s"]
    assert run.record["causes"].get("started: verified end to end", 0) >= 20, run.record["causes"]
