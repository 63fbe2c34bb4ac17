"""cosmic-ray's test command in the mutation benchmark: run the tests meant to catch the mutant on disk now.

    python bench/mutation_tests.py PLAN.json SOCKET

cosmic-ray has written one mutant into the benchmark's clone of the project and runs this command there; it
counts the mutant killed when the command exits non-zero. The mutant is found by `git diff` (the clone is clean
otherwise); the tests chosen are those whose run executed the mutated line (the coverage map bench/mutation.py
made, one context per test; a line run only at import: every test that uses the module), or, for a line none of
them executes, the few tests that start the suite in subprocesses and keep a promise of that module (PLAN's
`promise_tests`): coverage cannot see into those subprocesses.

A mutant no test executes survives at once (exit 0). Only the standard library: it starts once per mutant.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

# The original file's lines (the coverage map's): a removed decorator's hunk starts there, not in the mutant's.
HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@", re.MULTILINE)
# pytest's own failures to run what it was given (4: usage, e.g. a test id not found; 5: no test collected) are no
# verdict on the mutant: counted survived, so the benchmark's score is never flattered by its own mistakes.
NOT_A_VERDICT = (4, 5)
COLLECTION_ERRORS = re.compile(r"\b\d+ errors? in [\d.]+s")  # but a test module the mutant broke on import is killed
# A mutant that makes a wait loop spin (`if not busy` → `if busy`) hangs its tests until the timeout, which counts
# as a kill: the tests' own time under coverage, thrice, plus a start-up margin, and never more than the plan's cap.
# Generous, since a correct run cut short would be counted a kill as well.
TIMEOUT_FACTOR, TIMEOUT_MARGIN = 3.0, 60.0


def timeout_for(tests: list[str], seconds: dict[str, float], cap: float) -> float:
    """Seconds the chosen tests may take in one fork before the mutant counts as a hang (killed)."""
    return min(cap, TIMEOUT_MARGIN + TIMEOUT_FACTOR * sum(seconds.get(test, 60.0) for test in tests))


def mutated_line() -> tuple[str, list[int]] | None:
    # Any module given with --module (bench/'s plugins too), not only restore_contract's: elsewhere a mutant went
    # untested and counted as a survivor.
    names = subprocess.run(
        ["git", "diff", "--name-only", "--", "*.py"], capture_output=True, text=True, check=True
    ).stdout.split()
    if not names:
        return None
    diff = subprocess.run(["git", "diff", "-U0", "--", names[0]], capture_output=True, text=True, check=True).stdout
    spans = [(int(start), int(count or 1)) for start, count in HUNK.findall(diff)]
    return names[0], [line for start, count in spans for line in range(start, start + max(count, 1))]


def run(socket_path: str, args: list[str], timeout: float) -> int:
    with tempfile.NamedTemporaryFile(prefix="mutant-", suffix=".log", delete=False) as log:
        output = log.name
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.connect(socket_path)
        with client.makefile("rw", encoding="utf-8") as stream:
            stream.write(json.dumps({"args": args, "output": output, "timeout": timeout}) + "\n")
            stream.flush()
            answer = json.loads(stream.readline())
    text = Path(output).read_text(encoding="utf-8", errors="replace")
    Path(output).unlink()
    print(text[-3000:])
    print(f"exit code {answer['exit_code']}{' (timed out)' if answer['timed_out'] else ''}")
    if answer["exit_code"] in NOT_A_VERDICT and not COLLECTION_ERRORS.search(text):
        return 0
    return int(answer["exit_code"])  # a test module that no longer imports (exit 4: its tests not found) is killed


def choose(plan: dict[str, Any], path: str, lines: list[int]) -> list[str]:
    """The tests to run for a mutant of `lines` in `path`: those that executed them, quickest first (-x stops at the
    first failure); then the module's promise tests, for a line no in-process test executes, or one run only at
    import (a decorator, a constant: its mutant changes what the module does for every user, e.g. a pytest hook's
    wiring, which only a whole run shows)."""
    covering = plan["coverage"].get(path, {})
    seconds = plan["seconds"]
    chosen_tests = {test for line in lines for test in covering.get(str(line), ())}
    tests = sorted(chosen_tests, key=lambda test: (seconds.get(test, 60.0), test))
    promise = plan["promise_tests"].get(path, [])
    imported = set(plan.get("imported", {}).get(path, []))
    if not tests or any(line in imported for line in lines):
        return tests + [test for test in promise if test not in chosen_tests]
    return tests


def main(argv: list[str]) -> int:
    plan = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    where = mutated_line()
    if where is None:
        print("no mutant on disk")
        return 0
    path, lines = where
    chosen = choose(plan, path, lines)
    promise = [test for test in chosen if test in plan["promise_tests"].get(path, [])]
    print(
        f"{path}:{','.join(map(str, lines))}: {len(chosen) - len(promise)} covering tests, {len(promise)} promise tests"
    )
    base = ["-x", "-q", "-p", "no:cacheprovider", "--no-header", "-o", "addopts=--import-mode=importlib"]
    timeout = timeout_for(chosen, plan["seconds"], plan["timeout"])
    return run(argv[1], [*base, *chosen], timeout) if chosen else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Exception:  # its own failure (no fork server, no git) is no kill: cosmic-ray counts any exit but 0 as one
        traceback.print_exc()
        print("the benchmark's test command failed: counted survived")
        sys.exit(0)
