#!/usr/bin/env python3
"""Where a user waits before anything is checked, and the default run itself: whole processes, as a user starts them.

    .venv/bin/python bench/startup.py [--repeat N] [--quick]

- `another project`: `pytest -q test_x.py` in a folder of its own with one test, in this virtualenv (the plugin is
  installed), and the same with `-p no:restore_contract`: the difference is what the plugin costs every pytest start
  of an environment it is installed in (issue 27's goal: under 0.1 s).
- `configuration error`: the contract suite with `--budget=soon`, until its one line (goal: under 1 s above pytest's
  own start, which the first row measures).
- `default run` (not with --quick): `python3 dev.py contract`, the README's first command, on a warm virtualenv.

Medians of N runs (default 5; the default run 3), wall and CPU (user + system of the process and its children),
written to bench/results/startup.json with the commit and the machine. Figures mean something only on an otherwise
idle machine: the script says how loaded it was (the 1-minute load average before and after).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "bench" / "results" / "startup.json"
PYTHON = REPO / ".venv" / "bin" / "python"


def measure(command: list[str], cwd: Path, repeat: int) -> dict[str, float]:
    """Median wall and CPU seconds of `command` over `repeat` runs (each a fresh process)."""
    walls, cpus = [], []
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRISMA_", "PYTEST_"))}
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=False)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return {"wall_s": round(statistics.median(walls), 3), "cpu_s": round(statistics.median(cpus), 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="leave the default run out")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    rows: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="other-project-") as folder:
        other = Path(folder)
        (other / "test_x.py").write_text("def test_x():\n    assert True\n", encoding="utf-8")
        pytest = [str(PYTHON), "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_x.py"]
        rows["another project, plugin installed"] = measure(pytest, other, args.repeat)
        rows["another project, -p no:restore_contract"] = measure(
            [*pytest, "-p", "no:restore_contract"], other, args.repeat
        )
        suite = [str(PYTHON), "-m", "pytest", "restore_contract/suite", "-p", "no:cacheprovider", "--budget=soon"]
        rows["configuration error (--budget=soon)"] = measure([*suite, f"--reports={other}"], REPO, args.repeat)
    if not args.quick:
        default = [sys.executable, str(REPO / "dev.py"), "contract"]
        rows["default run (python3 dev.py contract)"] = measure(default, REPO, max(1, min(args.repeat, 3)))
    plugin = (
        rows["another project, plugin installed"]["cpu_s"] - rows["another project, -p no:restore_contract"]["cpu_s"]
    )
    commit = subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, text=True).strip()
    result = {
        "date": datetime.now(UTC).date().isoformat(),
        "commit": commit,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average_1min": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
        "repeat": args.repeat,
        "rows": rows,
        "plugin_cpu_s_per_pytest_start": round(plugin, 3),
    }
    width = max(len(name) for name in rows)
    print(f"startup at {commit} ({result['machine']}; load {load_before:.2f} before), medians of {args.repeat}:")
    for name, row in rows.items():
        print(f"  {name:{width}}  {row['wall_s']:7.2f} s wall  {row['cpu_s']:7.2f} s CPU")
    print(f"  the plugin's cost per pytest start elsewhere: {plugin:+.3f} s CPU")
    OUTPUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written to {OUTPUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
