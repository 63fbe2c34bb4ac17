#!/usr/bin/env python3
"""How long CI takes: `python3 dev.py test` in a fresh clone of HEAD, as `.ci/run` runs it on a new machine.

    python3 bench/ci_time.py [--keep]

Clones the committed HEAD (not the work tree) into a temporary folder and runs the README's test command there
with `--durations=15` and bench/test_cpu.py's plugin, so the virtualenv is created and the project installed from
nothing, as on a fresh machine. Prints the wall time of each phase (setup, lint and types, pytest), the CPU the whole
command used (its own and every process it waited for), the outcome line, the slowest tests and the test files that
cost the most CPU, and writes them to bench/results/ci_time.json.
Issue 21's goal is a total under 5 minutes on the 2-core machine. Exit status: the command's. `--keep` leaves the
clone in place (its path is printed) to look at its reports.

Only the standard library: it runs before any setup, like dev.py.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "bench" / "results" / "ci_time.json"
PHASES = (  # dev.py's own lines, in order: where each phase starts
    ("setup", re.compile(r"^\[dev\] creating virtualenv|^\[dev\] .* -m pip install")),
    ("lint and types", re.compile(r"^\[dev\] .* -m ruff check")),
    ("pytest", re.compile(r"^\[dev\] python -m pytest")),
)
OUTCOME = re.compile(r"^=+ (.*(passed|failed|error).*) in [\d.]+s")
DURATION = re.compile(r"^([\d.]+)s (call|setup|teardown) +(\S+)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", action="store_true", help="keep the clone (its path is printed)")
    args = parser.parse_args(argv)
    commit = subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, text=True).strip()
    clone = Path(tempfile.mkdtemp(prefix="ci-time-"))
    try:
        subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PRISMA_", "PYTEST_", "VIRTUAL_ENV"))}
        started, phases = time.monotonic(), {}
        # Each test's CPU too (bench/test_cpu.py, a plugin of two getrusage calls per test): where CI's time goes.
        command = [sys.executable, "dev.py", "test", "--durations=15", "-p", "bench.test_cpu"]
        env["BENCH_TEST_CPU"] = str(clone / ".test-cpu")
        process = subprocess.Popen(command, cwd=clone, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert process.stdout is not None
        lines = []
        for raw in process.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            lines.append(line)
            for name, first_line in PHASES:
                if name not in phases and first_line.search(line):
                    phases[name] = time.monotonic() - started
        code = process.wait()
        total = time.monotonic() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        by_test = _test_cpu(clone)
    finally:
        if args.keep:
            print(f"clone kept in {clone}")
        else:
            shutil.rmtree(clone, ignore_errors=True)
    begins: list[float | None] = [*[phases.get(name) for name, _ in PHASES], total]
    seconds = {
        name: round(end - begin, 1)
        for (name, _), begin, end in zip(PHASES, begins, begins[1:], strict=False)
        if begin is not None and end is not None
    }
    outcome = next((m.group(1) for line in lines if (m := OUTCOME.match(line))), "no outcome line: see the output")
    slowest = [
        {"seconds": float(m.group(1)), "phase": m.group(2), "test": m.group(3)}
        for line in lines
        if (m := DURATION.match(line))
    ]
    figures = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
        "exit_code": code,
        "outcome": outcome,
        "total_s": round(total, 1),
        "phases_s": seconds,
        "cpu_s": {"user": round(usage.ru_utime, 1), "system": round(usage.ru_stime, 1)},
        "slowest": slowest,
        "cpu_by_file": by_test.get("files", [])[:15],
        "cpu_counted_in_tests_s": by_test.get("cpu_s"),
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    if code != 0:
        print("\n".join(lines[-60:]))
    print(f"`python3 dev.py test` in a fresh clone of {commit}: exit {code}, {outcome}")
    print(f"total {total:.1f} s (goal: under 300 s); " + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()))
    user, system = usage.ru_utime, usage.ru_stime
    print(f"CPU {user + system:.0f} s (user {user:.0f} s, system {system:.0f} s) on {os.cpu_count()} cores")
    print("slowest:")
    for each in slowest:
        print(f"  {each['seconds']:7.2f} s {each['phase']:8} {each['test']}")
    if by_test.get("files"):
        print(f"CPU counted in tests (bench/test_cpu.py): {by_test['cpu_s']:.0f} s; the costliest files:")
        for row in by_test["files"][:15]:
            print(f"  {row['cpu_s']:7.1f} s {row['share']:6.1%} {row['tests']:5d} tests  {row['file']}")
    print(f"written to {OUTPUT.relative_to(REPO)}")
    return code


def _test_cpu(clone: Path) -> dict[str, Any]:
    """The per-test CPU the plugin wrote in the clone, by file (its own script, with the clone's virtualenv)."""
    python = clone / ".venv" / "bin" / "python"
    if not python.exists() or not (clone / ".test-cpu").is_dir():
        return {}
    done = subprocess.run(
        [str(python), "bench/test_cpu.py", str(clone / ".test-cpu"), "--json"],
        cwd=clone,
        capture_output=True,
        text=True,
    )
    figures: dict[str, Any] = json.loads(done.stdout) if done.returncode == 0 else {}
    return figures


if __name__ == "__main__":
    sys.exit(main())
