"""bench/mutation.py's bookkeeping: a rerun finds the survivors of an earlier run by what they change (not by line
number), and `--combine` merges runs into figures that count every mutant once."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _script(name: str, file: str) -> ModuleType:
    """A bench script, loaded by its path (bench/ is scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / file)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return _script("bench_mutation", "mutation.py")


class Spec:
    """What cosmic-ray's work item says of a mutation (MutationSpec's fields that matter here)."""

    def __init__(self, module_path: str, operator_name: str, occurrence: int) -> None:
        self.module_path, self.operator_name, self.occurrence = module_path, operator_name, occurrence
        self.operator_args: dict[str, Any] = {}


def test_a_survivor_is_found_again_after_an_edit_above_it(bench: ModuleType, tmp_path: Path) -> None:
    """The stored diff (as the run kept it, header line and all) and the diff made now, lines lower and with the
    other comparison first in the file, name the same mutant; the other `==` mutant of the file is another one."""
    stored = {
        "where": "pkg/m.py:2",
        "operator": "ReplaceComparisonOperator_Eq_NotEq",
        "diff": "+++ b/pkg/m.py\n-    return a == b\n+    return a != b",
    }
    (tmp_path / "pkg").mkdir()
    source = "import os\n\n\ndef other(x):\n    return x == 1\n\n\ndef f(a, b):\n    return a == b\n"
    (tmp_path / "pkg" / "m.py").write_text(source)
    keys = [
        bench.mutant_key("pkg/m.py", spec.operator_name, bench._mutant_diff(tmp_path, spec))
        for spec in (Spec("pkg/m.py", "core/ReplaceComparisonOperator_Eq_NotEq", n) for n in (0, 1))
    ]
    assert keys[1] == bench._survivor_key(stored)
    assert keys[0] != keys[1]


def _run(modules: dict[str, dict[str, int]], survivors: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "commit": extra.pop("commit", "aaaaaaa"),
        "date": "2026-12-07T00:00:00+00:00",
        "machine": "2 cores",
        "tool": "cosmic-ray 8.7.0",
        "operators_excluded": [],
        "tests_mapped": ["tests/unit"],
        "promise_tests": False,
        "minutes": 10.0,
        "pending": 0,
        "modules": modules,
        "survivors": survivors,
        **extra,
    }


def _survivor(where: str, added: str) -> dict[str, Any]:
    return {"where": where, "operator": "NumberReplacer", "diff": f"+++ b/x\n-    old\n+    {added}", "tests": ""}


# A listed equivalent (bench/mutation_equivalent.toml), so the combined figures classify it as the list says now.
EQUIVALENT = ("restore_contract/targets/transient.py", "TOTAL_WAIT = 601.0")


def test_a_rerun_replaces_the_outcomes_of_the_survivors_it_reran(bench: ModuleType) -> None:
    guard, transient = "restore_contract/targets/guard.py", EQUIVALENT[0]
    first = _run(
        {guard: {"mutants": 10, "killed": 7}, transient: {"mutants": 4, "killed": 3}},
        [_survivor(f"{guard}:{line}", f"x = {line}") for line in (1, 2, 3)] + [_survivor(f"{transient}:9", "y")],
    )
    rerun = _run(
        {guard: {"mutants": 2, "killed": 1}},
        [_survivor(f"{guard}:2", "x = 2")],
        rerun_of="first",
        missing=[_survivor(f"{guard}:3", "x = 3")],  # its code changed: still counted a survivor
        commit="bbbbbbb",
    )
    later = _run({transient: {"mutants": 5, "killed": 4}}, [_survivor(f"{transient}:26", EQUIVALENT[1])])

    combined = bench.combine([("first", first), ("rerun", rerun), ("later", later)])

    assert combined["modules"][guard] == {
        "mutants": 10,
        "killed": 8,
        "errors": 0,
        "not_operators": 0,
        "survived": 2,
        "equivalent": 0,
        "score": 80.0,
    }
    # Measured again: the later run's figures, and its survivor is a listed equivalent.
    assert (combined["modules"][transient]["killed"], combined["modules"][transient]["equivalent"]) == (4, 1)
    assert combined["modules"][transient]["score"] == 100.0
    assert (combined["killed"], combined["scored"], combined["score"]) == (12, 14, 85.7)
    assert sorted(s["where"] for s in combined["survivors"]) == [f"{guard}:2", f"{guard}:3", f"{transient}:26"]
    assert combined["commit"] == "aaaaaaa, bbbbbbb"
    assert combined["minutes"] == 30.0
    assert [part["rerun_of"] for part in combined["parts"]] == [[], ["first"], []]
    text = bench.markdown(combined)
    assert "reran the survivors of first" in text
    assert f"`{guard}:3` NumberReplacer (not in the code a later rerun measured" in text
    assert f"`{guard}:2` NumberReplacer\n" in text
    assert f"| {guard} | 10 | 8 | 2 | 0 | 0 | 80.0 |" in text


def test_a_rerun_is_combined_only_after_the_run_it_reran(bench: ModuleType) -> None:
    rerun = _run({"m.py": {"mutants": 1, "killed": 1}}, [], rerun_of="first")
    with pytest.raises(ValueError, match="name first before it"):
        bench.combine([("rerun", rerun)])
    first = _run({"m.py": {"mutants": 2, "killed": 1}}, [_survivor("m.py:3", "x")])
    both = _run({"m.py": {"mutants": 1, "killed": 1}}, [], rerun_of=["other", "first"])
    with pytest.raises(ValueError, match="name other, first before it"):
        bench.combine([("first", first), ("both", both)])


def test_one_rerun_replaces_the_survivors_of_several_runs(bench: ModuleType) -> None:
    one = _run({"a.py": {"mutants": 3, "killed": 2}}, [_survivor("a.py:1", "x = 1")])
    two = _run({"b.py": {"mutants": 2, "killed": 1}}, [_survivor("b.py:5", "y = 5")])
    rerun = _run({"a.py": {"mutants": 1, "killed": 1}, "b.py": {"mutants": 1}}, [_survivor("b.py:5", "y = 5")])
    combined = bench.combine([("one", one), ("two", two), ("again", rerun | {"rerun_of": ["one", "two"]})])
    assert (combined["modules"]["a.py"]["score"], combined["modules"]["b.py"]["score"]) == (100.0, 50.0)
    assert [survivor["where"] for survivor in combined["survivors"]] == ["b.py:5"]
    assert "reran the survivors of one, two" in bench.markdown(combined)


def test_combine_writes_the_figures_it_was_asked_for(
    bench: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bench, "RESULTS", tmp_path)
    module = "restore_contract/run/report.py"
    (tmp_path / "one.json").write_text(json.dumps(_run({module: {"mutants": 4, "killed": 4}}, [])))
    assert bench.main(["--combine", "one", "--output", "both"]) == 0
    written = json.loads((tmp_path / "both.json").read_text())
    assert (written["score"], written["modules"][module]["score"]) == (100.0, 100.0)
    assert (tmp_path / "both.md").read_text().startswith("# Mutation score: 100.0 % killed (4 of 4)")


def test_a_run_stored_under_a_modules_old_path_combines_under_its_new_one(bench: ModuleType) -> None:
    """bench/results/ keeps runs as written: one that measured checks/driver.py before it moved to run/driver.py
    counts for run/driver.py, and a later run of the new path replaces it as any run measured again would."""
    old, new = "restore_contract/checks/driver.py", "restore_contract/run/driver.py"
    assert bench.MOVED[old] == new
    stored = _run({old: {"mutants": 4, "killed": 3}}, [_survivor(f"{old}:12", "x = 12")])
    combined = bench.combine([("before", stored)])
    assert list(combined["modules"]) == [new]
    assert (combined["modules"][new]["killed"], combined["modules"][new]["survived"]) == (3, 1)
    assert [survivor["where"] for survivor in combined["survivors"]] == [f"{new}:12"]
    rerun = _run({new: {"mutants": 1, "killed": 1}}, [], rerun_of="before")
    again = bench.combine([("before", stored), ("rerun", rerun)])
    assert (again["modules"][new]["killed"], again["modules"][new]["score"], again["survivors"]) == (4, 100.0, [])


@pytest.fixture(scope="module")
def tests_command() -> ModuleType:
    return _script("bench_mutation_tests", "mutation_tests.py")


PLAN: dict[str, Any] = {
    "coverage": {"m.py": {"10": ["t::slow", "t::quick"], "11": ["t::quick"], "1": ["t::quick", "t::slow"]}},
    "seconds": {"t::quick": 0.1, "t::slow": 5.0},
    "imported": {"m.py": [1]},
    "promise_tests": {"m.py": ["meta::whole_run"]},
    "timeout": 240,
}


def test_a_mutant_runs_the_tests_that_executed_its_line_quickest_first(tests_command: ModuleType) -> None:
    assert tests_command.choose(PLAN, "m.py", [10]) == ["t::quick", "t::slow"]
    assert tests_command.choose(PLAN, "m.py", [11]) == ["t::quick"]


def test_a_line_no_test_runs_or_run_at_import_gets_the_promise_tests_too(tests_command: ModuleType) -> None:
    assert tests_command.choose(PLAN, "m.py", [99]) == ["meta::whole_run"]
    assert tests_command.choose(PLAN, "m.py", [1]) == ["t::quick", "t::slow", "meta::whole_run"]
    assert tests_command.choose(PLAN, "other.py", [1]) == []


def test_a_mutants_timeout_follows_its_tests_time_under_the_cap(tests_command: ModuleType) -> None:
    assert tests_command.timeout_for(["t::quick", "t::slow"], PLAN["seconds"], 240) == pytest.approx(60 + 3 * 5.1)
    assert tests_command.timeout_for(["meta::whole_run"] * 3, PLAN["seconds"], 240) == 240


@pytest.mark.parametrize(
    ("removed", "added", "signature"),
    [
        ("def f(unit: str, *, zero: bool = False) -> P:", "def f(unit: str, /, zero: bool = False) -> P:", True),
        (
            "    values: Settings, profile: str, *, preflight: bool = True",
            "    values: Settings, profile: str, /, preflight: bool = True",
            True,
        ),
        ("    *,", "    /,", True),
        ("    x = a * b", "    x = a / b", False),
    ],
)
def test_a_signatures_star_made_a_slash_is_no_operator(
    bench: ModuleType, removed: str, added: str, signature: bool
) -> None:
    diff = f"+++ b/m.py\n-{removed}\n+{added}"
    assert bench.not_an_operator("core/ReplaceBinaryOperator_Mul_Div", diff) is signature
    assert not bench.not_an_operator("core/NumberReplacer", diff)


def test_a_combined_run_drops_a_signature_survivor_an_older_rule_counted(bench: ModuleType) -> None:
    module = "restore_contract/run/configuration.py"
    star = {"where": f"{module}:40", "operator": "ReplaceBinaryOperator_Mul_Div", "diff": "+++ b/x\n-    *,\n+    /,"}
    combined = bench.combine([("run", _run({module: {"mutants": 5, "killed": 4}}, [star]))])
    assert combined["modules"][module]["mutants"] == 4
    assert combined["modules"][module]["not_operators"] == 1
    assert (combined["modules"][module]["score"], combined["survivors"]) == (100.0, [])


def test_a_mutant_cosmic_ray_cannot_make_matches_no_survivor(
    bench: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """cosmic-ray's ExceptionReplacer raises on some handlers; such a mutant is no survivor of anything (its run
    counts it as no verdict), and the rerun goes on."""
    from cosmic_ray.mutating import MutationVisitor

    def fails(*args: object) -> str:
        raise AttributeError("'PythonNode' object has no attribute 'value'")

    (tmp_path / "m.py").write_text("try:\n    pass\nexcept (a.B, C):\n    pass\n")
    monkeypatch.setattr(MutationVisitor, "mutate_code", fails)
    assert bench._mutant_diff(tmp_path, Spec("m.py", "core/ExceptionReplacer", 0)) == ""


def test_a_removal_is_named_by_what_it_removes(bench: ModuleType) -> None:
    removal = "+++ b/m.py\n-\n-\n-@pytest.hookimpl(tryfirst=True)  # why"
    assert bench._changed_line(removal) == "-@pytest.hookimpl(tryfirst=True)  # why"
    assert bench._changed_line("+++ b/m.py\n-    x = 1\n+    x = 2") == "x = 2"
    listed = [{"file": "m.py", "mutant": "-@pytest.hookimpl(tryfirst=True)  # why", "reason": "order"}]
    assert bench._equivalent_reason("m.py", removal, listed) == "order"
    other_removal = "+++ b/m.py\n-\n-\n-@pytest.hookimpl(wrapper=True)"
    assert bench._equivalent_reason("m.py", other_removal, listed) is None


def test_one_reviewed_entry_may_list_the_files_it_was_checked_in(bench: ModuleType) -> None:
    listed = [{"files": ["a.py", "b.py"], "mutant": "@dataclass(frozen=False)", "reason": "nothing assigns"}]
    diff = "+++ b/x\n-@dataclass(frozen=True)\n+@dataclass(frozen=False)"
    assert bench._equivalent_reason("b.py", diff, listed) == "nothing assigns"
    assert bench._equivalent_reason("c.py", diff, listed) is None


def test_every_listed_equivalent_names_its_files_a_mutant_and_a_reason(bench: ModuleType) -> None:
    for entry in bench._equivalents():
        files = entry.get("files", [entry.get("file")])
        assert files, entry
        assert all((ROOT / str(path)).is_file() for path in files), entry
        assert entry["mutant"].strip(), entry
        assert entry["reason"].strip(), entry


def test_a_kept_clone_of_another_commit_is_named_not_measured(bench: ModuleType, tmp_path: Path) -> None:
    # A --workdir kept from an earlier run resumes there: at another commit it measured old code under HEAD's name.
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "one"], check=True)
    held = subprocess.check_output([*git, "rev-parse", "--short", "HEAD"], text=True).strip()
    assert bench.stale_clone(tmp_path, held) is None
    assert bench.stale_clone(tmp_path, "0000000") == held


def test_a_mutant_is_found_in_any_module_not_only_the_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A mutant of bench/empty_bodies.py was reported as no mutant on disk, and counted as a survivor untested.
    runner = _script("bench_mutation_tests", "mutation_tests.py")
    module = tmp_path / "bench" / "plugin.py"
    module.parent.mkdir()
    module.write_text("a = 1\nb = 2\n", encoding="utf-8")
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "one"], check=True)
    monkeypatch.chdir(tmp_path)
    assert runner.mutated_line() is None
    module.write_text("a = 1\nb = 3\n", encoding="utf-8")
    assert runner.mutated_line() == ("bench/plugin.py", [2])
