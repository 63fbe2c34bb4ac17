#!/usr/bin/env python3
"""Mutation score of the code that keeps the README's promises (issue 28): one-line mutants, each run against the
tests meant to catch it; a mutant that no test fails on is a promise nobody checks.

    .venv/bin/python bench/mutation.py [--module PATH ...] [--workdir DIR] [--keep]
    .venv/bin/python bench/mutation.py --module PATH ... --survivors-of NAME --output NAME-rerun
    .venv/bin/python bench/mutation.py --combine NAME [NAME-rerun ...] [--output mutation]

The tool is cosmic-ray: it writes each mutant into the module's file on disk and
runs a test command, so the tests that start the suite in subprocesses and fork servers run the mutant too
(mutmut 3 switches mutants inside the test process and mutates only function bodies: a module constant such as
a secret key or an exit code is never mutated, and a subprocess never sees a mutant).

1. HEAD is cloned into a temporary folder (your uncommitted edits are not measured, and are never overwritten);
   the project's .venv runs there with PYTHONPATH on the clone.
2. A coverage map: tests/unit, tests/parity, tests/emulator and the contract suite run once under coverage, each
   test's lines under its node id (bench/mutation_context.py).
3. cosmic-ray init, its operators filter (OPERATORS below), exec, with bench/mutation_tests.py as the test command:
   per mutant, the tests that executed its line (then PROMISE_TESTS), in forked children of a warm pytest
   (bench/mutation_forks.py).
4. The score per module and every survivor (file:line, operator, diff); a survivor listed in
   bench/mutation_equivalent.toml (reviewed: it changes nothing a user could observe) is counted apart.
   Figures: bench/results/mutation.json and mutation.md.
5. `--survivors-of NAME` runs again only the survivors in bench/results/NAME.json (at HEAD: after tests were added
   for them), each found by its module, operator and changed lines (an edit elsewhere shifts line numbers);
   `--combine` merges runs (a rerun replaces its survivors' outcomes in the run it reran) into one table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
EQUIVALENT = REPO / "bench" / "mutation_equivalent.toml"

# The modules that keep a promise of the README (issue 28's list), in its order.
MODULES = (
    "restore_contract/targets/guard.py",  # safety, by construction
    "restore_contract/contracts/oracle.py",  # which answers the docs allow
    "restore_contract/checks/restore.py",  # the restore checks
    "restore_contract/checks/probe.py",  # the data probe: what it compares
    "restore_contract/targets/data.py",  # the data probe: logging in
    "restore_contract/redaction/__init__.py",  # secrets never written
    "restore_contract/targets/transient.py",  # transient answers are not verdicts
    "restore_contract/settings.py",  # settings: option over variable, bounds
    "restore_contract/run/configuration.py",  # a wrong setting: one line, exit 2
    "restore_contract/targets/live.py",  # the live preflight
    "restore_contract/targets/pool.py",  # scratch databases: sweep and leftovers
    "restore_contract/run/budget.py",  # the time budget
    "restore_contract/run/inflight.py",  # restores verified in the background
    "restore_contract/run/driver.py",  # the driver
    "restore_contract/run/record.py",  # the run record: what the run found, its merge, the terminal's verdicts
    "restore_contract/run/report.py",  # the record's parts: how each test ended
    "restore_contract/reporting/markdown.py",  # summary.md's verdict
    "restore_contract/plugin/tests.py",  # exit codes
    "restore_contract/parity/compare.py",  # parity's classification
    "restore_contract/targets/cassettes.py",  # cassettes: matching, scrubbing
    "restore_contract/targets/api.py",  # the one client: every id encoded one way, every refusal with its status
    "restore_contract/run/keepbusy.py",  # the nightly's targets kept busy, never a target a test is choosing
    "restore_contract/run/utilisation.py",  # how busy the targets were, in every summary and the progress line
    "restore_contract/targets/pace.py",  # a live run paces itself to the server's rate limit after its first 429
)
# Modules that moved since a stored run measured them (old path → new path): bench/results/ keeps each run as it was
# written, so its figures are read under the modules' paths now (issue 29: the run's machinery left checks/ for run/).
MOVED = {
    f"restore_contract/checks/{name}.py": f"restore_contract/run/{name}.py"
    for name in ("budget", "configuration", "coverage", "driver", "inflight", "progress", "record", "report", "repro")
}
# The tests the coverage map runs, in-process (tests/meta starts the suite in subprocesses: PROMISE_TESTS below).
MAPPED_TESTS = ("tests/unit", "tests/parity", "tests/emulator", "restore_contract/suite")
# Tests that start the suite in a subprocess or a fork (coverage does not see into them) and keep a promise of the
# module: with --promise-tests, run for a mutant of a line no in-process test executes, or of one run only at import
# (a hook's decorator: its wiring shows in a whole run alone). Each costs 15-60 s here.
PROMISE_TESTS = {
    "restore_contract/plugin/tests.py": [
        # A hook that answers for every test (pytest_pyfunc_call without its wrapper decorator) passes them all, these
        # promise tests too: only the session's canary (tests/conftest.py) notices its own body did not run.
        "tests/test_bodies_run.py::test_a_test_body_runs",
        # The quickest (~10 s): a test ends only once its background verifications did, failing with theirs.
        "tests/meta/test_budget_verdicts.py::"
        "test_a_restore_that_fails_only_in_background_verification_fails_its_test_which_stops_sending",
        "tests/meta/test_rate_limited.py::test_a_run_still_rate_limited_after_its_retries_ends_with_exit_75_and_one_line",
        "tests/meta/test_budget_verdicts.py::test_a_budget_never_turns_a_failing_run_green_and_the_run_still_ends_near_it",
    ],
    "restore_contract/run/record.py": [
        "tests/meta/test_xdist.py::test_two_workers_on_the_in_process_emulator_give_one_merged_record"
    ],
    "restore_contract/reporting/markdown.py": [
        "tests/meta/test_reports.py::test_a_contract_run_writes_reports_that_say_what_the_terminal_said"
    ],
    # The floor's plugin (bench/default_run.py --floor) acts in the pytest session its test starts.
    "bench/empty_bodies.py": ["tests/unit/test_bench_floor.py::test_bodies_are_emptied_and_examples_still_drawn"],
    # Where vcrpy is imported: a fresh interpreter tells (a test process has imported it long before).
    "restore_contract/targets/cassettes.py": [
        "tests/unit/test_plugin_entry.py::test_a_run_that_neither_records_nor_replays_never_imports_vcrpy"
    ],
}
# One-line bugs, not every operator pair: a comparison's negation and its boundary, + and -, * and /, a dropped
# `not` or minus sign; cosmic-ray's other pairs (`+` → `<<`, `==` → `is`, `<` → `>=`, …) add four mutants per site
# that mostly fail on a type error or repeat the negation, and would triple the hour. Not `|` → `&`: here `|` is
# nearly always in a type annotation (`str | None`), which `from __future__ import annotations` never evaluates.
KEEP = {
    "ReplaceComparisonOperator": "Eq_NotEq|NotEq_Eq|Lt_LtE|LtE_Lt|Gt_GtE|GtE_Gt|Is_IsNot|IsNot_Is",
    "ReplaceBinaryOperator": "Add_Sub|Sub_Add|Mul_Div|Div_Mul|FloorDiv_Mul",
    "ReplaceUnaryOperator": "Delete_Not|Delete_USub",
}
OPERATORS = [f"core/{family}_(?!({pairs})$)" for family, pairs in KEEP.items()]
TIMEOUT = 240  # seconds for one mutant's tests: a mutant that hangs them is killed (cosmic-ray counts it so)


def _env(clone: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRISMA_", "PYTEST_", "COVERAGE_"))}
    return env | {"PYTHONPATH": str(clone), "PYTHONDONTWRITEBYTECODE": "1"}


def _say(message: str) -> None:
    print(f"[mutation {datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


def coverage_map(clone: Path, modules: list[str], tests: list[str], log: Path) -> dict[str, Any]:
    """Which tests execute each line of the modules ({path: {line: [node ids]}}, quickest first), and how long each
    test took."""
    import coverage

    rc = clone / ".mutation-coveragerc"
    include = "".join(f"\n    {module}" for module in modules)
    rc.write_text(f"[run]\ndata_file = {clone / '.mutation-coverage'}\ninclude ={include}\n")
    command = [sys.executable, "-m", "coverage", "run", f"--rcfile={rc}", "-m", "pytest", "-q"]
    command += ["-p", "no:cacheprovider", "-p", "bench.mutation_context"]
    command += tests
    durations = clone / ".mutation-durations.json"
    env = _env(clone) | {"MUTATION_DURATIONS": str(durations)}
    with log.open("w") as output:
        code = subprocess.run(command, cwd=clone, env=env, stdout=output, stderr=subprocess.STDOUT).returncode
    if code != 0:
        _say(f"the coverage run exited {code} (see {log}): a failing test would kill every mutant it covers")
    data = coverage.CoverageData(basename=str(clone / ".mutation-coverage"))
    data.read()
    seconds: dict[str, float] = json.loads(durations.read_text()) if durations.exists() else {}
    result: dict[str, dict[str, list[str]]] = {}
    imported: dict[str, list[int]] = {}  # lines run only at import: their mutants get the promise tests too
    for measured in data.measured_files():
        path = Path(measured).resolve().relative_to(clone.resolve()).as_posix()
        contexts_by_line = data.contexts_by_lineno(measured).items()
        by_line = {line: sorted(c for c in contexts if c) for line, contexts in contexts_by_line}
        # A line run only at import (a constant, a decorator, a signature) is run for every test that uses the
        # module: those are the tests meant to catch its mutants.
        users = sorted({test for tests in by_line.values() for test in tests})
        result[path] = {
            str(line): sorted(tests or users, key=lambda test: (seconds.get(test, 60.0), test))
            for line, tests in by_line.items()
        }
        imported[path] = sorted(line for line, tests in by_line.items() if not tests)
    return {"coverage": result, "seconds": seconds, "imported": imported}


def cosmic_ray(
    clone: Path, modules: list[str], plan: Path, socket_path: Path, log: Path, survivors_of: list[str] | None = None
) -> Path:
    config = clone / ".mutation-cosmic-ray.toml"
    command = f"{sys.executable} bench/mutation_tests.py {plan} {socket_path}"
    config.write_text(
        "[cosmic-ray]\n"
        f"module-path = {json.dumps(modules)}\n"
        f"timeout = {TIMEOUT + 60}\nexcluded-modules = []\n"
        f"test-command = {json.dumps(command)}\n"
        '[cosmic-ray.distributor]\nname = "local"\n'
        f"[cosmic-ray.filters.operators-filter]\nexclude-operators = {json.dumps(OPERATORS)}\n"
    )
    session = clone / ".mutation-session.sqlite"
    binaries = Path(sys.executable).parent
    with log.open("a") as output:
        for step in (
            [binaries / "cosmic-ray", "init", config, session],
            [binaries / "cr-filter-operators", session, config],
            [binaries / "cosmic-ray", "exec", config, session],
        ):
            if step[1] == "exec" and survivors_of and not (clone / RERUN).exists():
                earlier = [
                    survivor
                    for name in survivors_of
                    for survivor in _read(name)["survivors"]
                    if survivor["where"].rsplit(":", 1)[0] in modules
                ]
                missing = only_survivors(clone, session, earlier)
                (clone / RERUN).write_text(json.dumps({"rerun_of": survivors_of, "missing": missing}), "utf-8")
                _say(f"only the survivors of {', '.join(survivors_of)}; {len(missing)} of them not found in this tree")
            _say(" ".join(str(part) for part in step[:2]))
            subprocess.run([str(part) for part in step], cwd=clone, env=_env(clone), stdout=output, stderr=output)
    return session


RERUN = ".mutation-rerun.json"  # in the clone: which run's survivors it reruns, and those it could not find
Key = tuple[str, str, tuple[str, ...]]


def mutant_key(module: str, operator: str, diff: str) -> Key:
    """A mutant by its module, operator and the lines it removes and adds (whitespace folded): unlike a line number
    or cosmic-ray's occurrence index, it names the same mutant after an edit elsewhere in the module."""
    headers = ("--- a/", "+++ b/", "--- mutation diff")
    changed = tuple(
        line[0] + " ".join(line[1:].split())
        for line in diff.splitlines()
        if line[:1] in ("-", "+") and not line.startswith(headers)
    )
    return module, operator.removeprefix("core/"), changed


def _mutant_diff(clone: Path, mutation: Any) -> str:
    """The diff cosmic-ray would apply for `mutation`, made in memory (the file on disk is left alone)."""
    import difflib

    import cosmic_ray.plugins
    from cosmic_ray.mutating import MutationVisitor

    operator = cosmic_ray.plugins.get_operator(mutation.operator_name)(**(mutation.operator_args or {}))
    code = (clone / mutation.module_path).read_text(encoding="utf-8")
    try:
        mutated = MutationVisitor.mutate_code(code, operator, mutation.occurrence)
    except Exception:  # cosmic-ray's ExceptionReplacer fails on some `except (a.B, C)`: its exec says no verdict too
        return ""
    path = Path(mutation.module_path).as_posix()
    lines = code.split("\n"), (mutated or code).split("\n")
    return "\n".join(difflib.unified_diff(*lines, fromfile=f"a/{path}", tofile=f"b/{path}", lineterm=""))


def only_survivors(clone: Path, session: Path, survivors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mark every pending mutant of `session` skipped but one per survivor (matched by `mutant_key`); the survivors
    that match none (their code changed) are returned."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    wanted: Counter[Key] = Counter(_survivor_key(survivor) for survivor in survivors)
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item in list(db.pending_work_items):
            mutation = item.mutations[0]
            path = Path(mutation.module_path).as_posix()
            key = mutant_key(path, mutation.operator_name, _mutant_diff(clone, mutation))
            if wanted[key] > 0:
                wanted[key] -= 1
                continue
            db.set_result(item.job_id, WorkResult(output="not a survivor", worker_outcome=WorkerOutcome.SKIPPED))
    missing = []
    for survivor in survivors:
        key = _survivor_key(survivor)
        if wanted[key] > 0:
            wanted[key] -= 1
            missing.append(survivor)
    return missing


def _survivor_key(survivor: dict[str, Any]) -> Key:
    return mutant_key(survivor["where"].rsplit(":", 1)[0], survivor["operator"], survivor["diff"])


def _read(name: str) -> dict[str, Any]:
    figures: dict[str, Any] = json.loads((RESULTS / f"{name}.json").read_text(encoding="utf-8"))
    return renamed(figures)


def _moved(where: str) -> str:
    """A module's path, or a survivor's `path:line`, under the module's path now (MOVED)."""
    path, colon, line = where.partition(":")
    return MOVED.get(path, path) + colon + line


def _moved_survivor(survivor: dict[str, Any]) -> dict[str, Any]:
    path = survivor["where"].rsplit(":", 1)[0]
    diff = survivor["diff"].replace(f"+++ b/{path}", f"+++ b/{_moved(path)}")  # its header names the module too
    return survivor | {"where": _moved(survivor["where"]), "diff": diff}


def renamed(figures: dict[str, Any]) -> dict[str, Any]:
    """A stored run's figures keyed by the modules' paths now: its modules, survivors and missing survivors."""
    moved: dict[str, Any] = {"modules": {_moved(path): row for path, row in figures["modules"].items()}}
    for key in ("survivors", "missing"):
        if key in figures:
            moved[key] = [_moved_survivor(survivor) for survivor in figures[key]]
    return figures | moved


def _equivalents() -> list[dict[str, str]]:
    return list(tomllib.loads(EQUIVALENT.read_text(encoding="utf-8")).get("equivalent", []))


def _changed_line(diff: str) -> str:
    """The mutant's first added line; for a mutant that only removes (a decorator), `-` and the first line it
    removes, so an equivalent removal is listed as exactly that removal."""
    lines = diff.splitlines()
    added = (line[1:].strip() for line in lines if line.startswith("+") and not line.startswith("++"))
    removed = (f"-{line[1:].strip()}" for line in lines if line.startswith("-") and not line.startswith("--"))
    return next(added, None) or next((line for line in removed if line != "-"), "")


# A signature's bare `*` (keyword-only parameters follow) that cosmic-ray's `*` → `/` turned into positional-only
# ones: no operator, no one-line bug, whether the signature is on the `def` line or spread over several.
SIGNATURE_STAR = re.compile(r"^(def .*\(.*|.*,\s*|\s*)/,")


def not_an_operator(operator: str, diff: str) -> bool:
    return operator.endswith("_Mul_Div") and SIGNATURE_STAR.match(_changed_line(diff)) is not None


def _equivalent_reason(path: str, diff: str, equivalents: list[dict[str, str]]) -> str | None:
    """Why the mutant `diff` of `path` changes nothing a user could observe, if it is listed as such."""
    changed = _changed_line(diff)
    listed = (e for e in equivalents if path in e.get("files", [e.get("file")]) and e["mutant"].strip() == changed)
    return next((e["reason"] for e in listed), None)


def results(session: Path, modules: list[str]) -> dict[str, Any]:
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    equivalents = _equivalents()
    per_module: dict[str, Counter[str]] = defaultdict(Counter)
    survivors = []
    with use_db(str(session), WorkDB.Mode.open) as db:
        pending = db.num_work_items - db.num_results
        for item, result in db.completed_work_items:
            mutation = item.mutations[0]
            path = Path(mutation.module_path).as_posix()
            counts = per_module[path]
            if result.worker_outcome == WorkerOutcome.SKIPPED:
                continue
            if result.worker_outcome != WorkerOutcome.NORMAL or result.test_outcome == TestOutcome.INCOMPETENT:
                counts["errors"] += 1  # cosmic-ray could not apply it or start the tests: no verdict, not scored
                continue
            counts["mutants"] += 1
            if result.test_outcome == TestOutcome.KILLED:
                counts["killed"] += 1
                continue
            if not_an_operator(mutation.operator_name, result.diff):
                counts["mutants"] -= 1
                counts["not_operators"] += 1
                continue
            survivor = {
                "where": f"{path}:{mutation.start_pos[0]}",
                "operator": mutation.operator_name.removeprefix("core/"),
                "diff": "\n".join(line for line in result.diff.splitlines()[2:] if line.startswith(("-", "+"))),
                "tests": (result.output or "").splitlines()[0] if result.output else "",
            }
            reason = _equivalent_reason(path, result.diff, equivalents)
            if reason is not None:
                counts["equivalent"] += 1
                survivor["equivalent"] = reason
            else:
                counts["survived"] += 1
            survivors.append(survivor)
    return {"pending": pending} | _scores({path: per_module[path] for path in modules}, survivors)


def _scores(per_module: dict[str, Counter[str]], survivors: list[dict[str, Any]]) -> dict[str, Any]:
    table = {}
    for path, counts in per_module.items():
        scored = counts["mutants"] - counts["equivalent"]
        table[path] = dict(counts) | {"score": round(100 * counts["killed"] / scored, 1) if scored else None}
    killed = sum(c["killed"] for c in per_module.values())
    scored = sum(c["mutants"] - c["equivalent"] for c in per_module.values())
    return {
        "score": round(100 * killed / scored, 1) if scored else None,
        "killed": killed,
        "scored": scored,
        "modules": table,
        "survivors": sorted(survivors, key=lambda s: (s["where"].split(":")[0], int(s["where"].split(":")[1]))),
    }


def _names(rerun_of: str | list[str] | None) -> list[str]:
    """The runs a rerun reran the survivors of (one name, as a first version of this file wrote, or several)."""
    return [rerun_of] if isinstance(rerun_of, str) else list(rerun_of or [])


def combine(parts: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """One set of figures from several runs (name, figures), in order: a module measured again replaces its earlier
    figures; a rerun (`--survivors-of`) replaces the outcomes of the survivors it reran, in the run it names, which
    must come before it (survivors it could not find count as still surviving). Every survivor is classified again
    by the equivalents list as it is now."""
    counts: dict[str, Counter[str]] = {}
    left: dict[str, list[dict[str, Any]]] = {}
    combined: list[str] = []
    parts = [(name, renamed(figures)) for name, figures in parts]  # a stored run's old paths, as they are now
    for name, figures in parts:
        rerun_of = _names(figures.get("rerun_of"))
        if rerun_of and not set(rerun_of) <= set(combined):
            earlier = ", ".join(rerun_of)
            raise ValueError(f"{name} reruns the survivors of {earlier}: name {earlier} before it")
        of_module: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
        gone = [survivor | {"gone": True} for survivor in figures.get("missing", [])]
        for survivor in figures["survivors"] + gone:
            of_module[survivor["where"].rsplit(":", 1)[0]].append(survivor)
        for path, row in figures["modules"].items():
            measured = Counter({key: row.get(key, 0) for key in ("mutants", "killed", "errors", "not_operators")})
            if not rerun_of:
                counts[path] = measured
            elif path not in counts:
                raise ValueError(f"{name} reruns {path}, which {', '.join(rerun_of)} did not measure")
            else:  # its mutants were survivors of the earlier run: now killed, still surviving, or no verdict
                counts[path]["killed"] += measured["killed"]
                moved = measured["errors"] + measured["not_operators"]
                counts[path].update({"errors": measured["errors"], "not_operators": measured["not_operators"]})
                counts[path]["mutants"] -= moved
            left[path] = of_module[path]
        combined.append(name)
    equivalents = _equivalents()
    survivors = []
    for path, kept in left.items():
        counts[path]["survived"] = counts[path]["equivalent"] = 0
        for survivor in kept:
            if not_an_operator(survivor["operator"], survivor["diff"]):  # one a run before this rule counted
                counts[path]["mutants"] -= 1
                counts[path]["not_operators"] += 1
                continue
            survivor = {key: value for key, value in survivor.items() if key != "equivalent"}
            reason = _equivalent_reason(path, survivor["diff"], equivalents)
            counts[path]["equivalent" if reason is not None else "survived"] += 1
            survivors.append(survivor | ({"equivalent": reason} if reason is not None else {}))
    order = sorted(counts, key=lambda path: (MODULES.index(path) if path in MODULES else len(MODULES), path))
    first = parts[0][1]
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": ", ".join(dict.fromkeys(figures["commit"] for _, figures in parts)),
        "machine": first["machine"],
        "tool": first["tool"],
        "operators_excluded": first["operators_excluded"],
        "minutes": round(sum(figures.get("minutes") or 0.0 for _, figures in parts), 1),
        "pending": sum(figures.get("pending", 0) for _, figures in parts),
        "parts": [
            {key: figures.get(key) for key in ("commit", "date", "minutes", "tests_mapped", "promise_tests")}
            | {"name": name, "rerun_of": _names(figures.get("rerun_of")), "modules": list(figures["modules"])}
            for name, figures in parts
        ],
    } | _scores({path: counts[path] for path in order}, survivors)


def markdown(figures: dict[str, Any]) -> str:
    lines = [
        f"# Mutation score: {figures['score']} % killed ({figures['killed']} of {figures['scored']})",
        "",
        f"{figures['date']}, commit {figures['commit']}, {figures['machine']}, {figures['minutes']} min"
        f"{', ' + str(figures['pending']) + ' mutants NOT RUN (partial)' if figures['pending'] else ''}.",
        "",
    ]
    if figures.get("parts"):
        lines += ["Combined from these runs (a rerun ran again only the survivors of the run it names):", ""]
        for part in figures["parts"]:
            what = f"reran the survivors of {', '.join(part['rerun_of'])}" if part["rerun_of"] else "measured"
            tests = " ".join(part["tests_mapped"] or [])
            promise = ", with --promise-tests" if part["promise_tests"] else ""
            lines.append(
                f"- `{part['name']}`: {what} {len(part['modules'])} modules at {part['commit']}, {part['date']}, "
                f"{part['minutes']} min, `--tests {tests}`{promise}"
            )
        lines.append("")
    lines += [
        "| module | mutants | killed | survived | equivalent | no verdict | score |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for path, row in figures["modules"].items():
        lines.append(
            f"| {path} | {row.get('mutants', 0)} | {row.get('killed', 0)} | {row.get('survived', 0)} "
            f"| {row.get('equivalent', 0)} | {row.get('errors', 0)} | {row['score']} |"
        )
    lines += ["", "## Survivors", ""]
    for survivor in figures["survivors"]:
        label = f" (equivalent: {survivor['equivalent']})" if "equivalent" in survivor else ""
        if survivor.get("gone"):
            label += " (not in the code a later rerun measured, which changed there: counted survived)"
        lines += [f"- `{survivor['where']}` {survivor['operator']}{label}", "", "  ```diff"]
        lines += [f"  {line}" for line in survivor["diff"].splitlines()] + ["  ```", ""]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--module", action="append", help="measure only this module (repeatable); default: all")
    parser.add_argument(
        "--tests",
        nargs="+",
        default=list(MAPPED_TESTS),
        help="the tests the coverage map runs (default: every in-process folder; narrower is faster, and a mutant "
        "only those tests cover is measured against them alone)",
    )
    parser.add_argument(
        "--promise-tests",
        action="store_true",
        help="for a line no mapped test executes, run the module's PROMISE_TESTS (subprocess runs, ~60 s each niced)",
    )
    parser.add_argument("--workdir", type=Path, help="the clone's folder (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the clone (coverage map, session, logs)")
    parser.add_argument(
        "--report",
        action="store_true",
        help="only report the session in --workdir as it stands (a run still going, or stopped, counts what it did)",
    )
    parser.add_argument("--output", default="mutation", help="name of the figures in bench/results/ (.json, .md)")
    parser.add_argument(
        "--survivors-of",
        nargs="+",
        metavar="NAME",
        help="run only the survivors in bench/results/NAME.json (several: of each) again, of the --module given, e.g. "
        "once tests were added for them",
    )
    parser.add_argument(
        "--combine",
        nargs="+",
        metavar="NAME",
        help="run nothing: merge bench/results/NAME.json of several runs, in order (a rerun after the run it "
        "reran), into --output",
    )
    args = parser.parse_args(argv)
    if args.combine:
        return _write(args.output, combine([(name, _read(name)) for name in args.combine]))
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))  # `kill`: clean up (finally) as on Ctrl-C
    modules = args.module or list(MODULES)
    started = time.monotonic()
    commit = subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, text=True).strip()
    clone = args.workdir or Path(tempfile.mkdtemp(prefix="mutation-"))
    log = clone.parent / f"{clone.name}.log"
    server = None
    try:
        if args.report:
            return _report(args, clone, modules, started)
        if not (clone / ".git").exists():
            subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
        elif (held := stale_clone(clone, commit)) is not None:
            # A kept --workdir resumes its session; one of another commit would measure old code under HEAD's name.
            message = f"--workdir {clone} holds a clone of {held}, not HEAD ({commit}): remove it, or pass another"
            print(message, file=sys.stderr)
            return 2
        _say(f"clone of {commit} in {clone}; logs in {log}")
        plan_path = clone / ".mutation-plan.json"
        if not plan_path.exists():
            _say("coverage map: the in-process tests once, under coverage")
            plan = {
                **coverage_map(clone, modules, args.tests, log),
                "promise_tests": PROMISE_TESTS if args.promise_tests else {},
                "timeout": TIMEOUT,
            }
            plan_path.write_text(json.dumps(plan), encoding="utf-8")
        socket_path = Path(tempfile.mkdtemp(prefix="mutation-sock-")) / "forks.sock"
        server = subprocess.Popen(
            [sys.executable, "bench/mutation_forks.py", str(socket_path)],
            cwd=clone,
            env=_env(clone),
            stdout=subprocess.PIPE,
            text=True,
        )
        assert server.stdout is not None
        if server.stdout.readline().strip() != "ready":
            raise SystemExit("the fork server did not start")
        _say("mutants: cosmic-ray exec")
        cosmic_ray(clone, modules, plan_path, socket_path, log, args.survivors_of)
        return _report(args, clone, modules, started)
    finally:
        if server is not None:
            server.kill()
            server.wait()
        if args.keep or args.workdir:
            print(f"clone kept in {clone}")
        else:
            shutil.rmtree(clone, ignore_errors=True)


def stale_clone(clone: Path, commit: str) -> str | None:
    """The commit a kept clone holds, when it is not `commit` (None: it is)."""
    held = subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], cwd=clone, text=True).strip()
    return None if held == commit else held


def _report(args: argparse.Namespace, clone: Path, modules: list[str], started: float) -> int:
    session = clone / ".mutation-session.sqlite"
    figures = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], cwd=clone, text=True).strip(),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
        "tool": "cosmic-ray 8.7.0",
        "operators_excluded": OPERATORS,
        "tests_mapped": args.tests,
        "promise_tests": args.promise_tests,
        "minutes": None if args.report else round((time.monotonic() - started) / 60, 1),
        **results(session, modules),
    }
    if (clone / RERUN).exists():  # only the survivors of an earlier run: `combine` puts them back in it
        figures |= json.loads((clone / RERUN).read_text(encoding="utf-8"))
    return _write(args.output, figures)


def _write(output: str, figures: dict[str, Any]) -> int:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{output}.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    (RESULTS / f"{output}.md").write_text(markdown(figures), encoding="utf-8")
    for path, row in figures["modules"].items():
        print(f"{row['score']!s:>6} %  {row.get('killed', 0):4}/{row.get('mutants', 0):<4} {path}")
    for survivor in figures["survivors"]:
        label = " (equivalent)" if "equivalent" in survivor else ""
        print(f"survived{label}: {survivor['where']} {survivor['operator']}")
        print(re.sub(r"^", "    ", survivor["diff"], flags=re.MULTILINE))
    partial = f"; {figures['pending']} mutants not run (partial)" if figures["pending"] else ""
    print(f"score: {figures['score']} % killed ({figures['killed']} of {figures['scored']}){partial}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
