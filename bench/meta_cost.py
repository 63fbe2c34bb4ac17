#!/usr/bin/env python3
"""What the fault meta-test costs CI: CPU and wall seconds of `pytest tests/meta/test_fault_detection.py`, whole
processes, in this checkout and (with --against) in another one, in the same session so the figures compare.

    .venv/bin/python bench/meta_cost.py [-k SELECTION] [--against PATH] [--repeat N]

- Each measurement is one `python -m pytest tests/meta/test_fault_detection.py -k SELECTION` in the checkout (its
  runs forked from one warm process, two at a time, as when the module runs alone), timed as a whole process:
  wall seconds, and CPU seconds (user + system) of it and every process it waited for (resource usage of children:
  the fork server, each forked session, its embedded PostgreSQL).
- `--against PATH`: a checkout of the code to compare with (e.g. a `git worktree add --detach` of the branch it
  started from), run with this virtualenv's Python from its own folder (the package is imported from the
  working directory first), alternately with this one, so load that comes and goes weighs on both.
- Prints a table and writes bench/results/meta_cost.json with the commits, the date, the machine and its load
  average (figures measured on a shared machine are slower, and say so).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "bench" / "results" / "meta_cost.json"
PYTHON = REPO / ".venv" / "bin" / "python"
SUMMARY = re.compile(r"(\d+) (passed|failed|skipped|error|errors)")


def measure(checkout: Path, selection: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRISMA_", "PYTEST_", "GITHUB_"))}
    command = [str(PYTHON), "-m", "pytest", "tests/meta/test_fault_detection.py", "-q", "-p", "no:cacheprovider"]
    command += ["-k", selection] if selection else []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    counts = {kind: int(n) for n, kind in SUMMARY.findall(last)}
    return {"exit_code": done.returncode, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "tests": counts,
            "last_line": last}  # fmt: skip


def commit_of(checkout: Path) -> str:
    return subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], cwd=checkout, text=True).strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-k", dest="selection", default="", help="pytest -k selection (default: the whole module)")
    parser.add_argument("--against", type=Path, help="another checkout, measured alternately with this one")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    checkouts = {"this": REPO} | ({"against": args.against.resolve()} if args.against else {})
    load_before = os.getloadavg()[0]
    measured: dict[str, list[dict[str, object]]] = {name: [] for name in checkouts}
    for _ in range(args.repeat):
        for name, checkout in checkouts.items():
            measured[name].append(measure(checkout, args.selection))
            print(f"  {name} ({commit_of(checkout)}): {measured[name][-1]}", flush=True)
    rows: dict[str, dict[str, Any]] = {
        name: {
            "commit": commit_of(checkouts[name]),
            "wall_s": statistics.median(float(str(run["wall_s"])) for run in runs),
            "cpu_s": statistics.median(float(str(run["cpu_s"])) for run in runs),
            "runs": runs,
        }
        for name, runs in measured.items()
    }
    result = {
        "date": datetime.now(UTC).isoformat(timespec="minutes"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average_1min": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
        "selection": args.selection or "(all)",
        "repeat": args.repeat,
        "rows": rows,
    }
    print(f"fault meta-test, -k {result['selection']!r}, medians of {args.repeat} (load {load_before:.1f} before):")
    for name, row in rows.items():
        print(f"  {name:8} {row['commit']}  {row['wall_s']:8.1f} s wall  {row['cpu_s']:8.1f} s CPU")
    if "against" in rows and rows["against"]["cpu_s"]:
        print(f"  CPU ratio this/against: {rows['this']['cpu_s'] / rows['against']['cpu_s']:.2f}")
    OUTPUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written to {OUTPUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
