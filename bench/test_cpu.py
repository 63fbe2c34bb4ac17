"""A pytest plugin: the CPU each test cost, so CI's time is spent where it is measured to go, not where it is guessed.

    python3 dev.py test -p bench.test_cpu          (or any pytest command; xdist workers each write their own file)
    .venv/bin/python bench/test_cpu.py [FOLDER] [--output NAME] [--json]
                                                   the table: CPU by test file, and the costliest tests; with
                                                   --output, also bench/results/NAME.json

Per test (setup, call and teardown), in the process that ran it:
- its own user + system CPU,
- the CPU of the processes it waited for (a `python -m pytest` subprocess, a server it stopped, initdb),
- the CPU of the sessions the meta-tests' fork server ran for it (tests/meta/forked.py reports each job's),
written as one JSON line per test into FOLDER (default bench/results/test_cpu/, one file per process).

What it misses or misplaces: a process is counted where it is reaped, so a session-scoped server counts at the end of
the session (or nowhere), and a child nobody waited for is counted in whichever test's `subprocess` call reaps it
next (`subprocess._cleanup`): a cheap test can show a killed server's CPU. The fork servers' warm-up and the xdist
workers' start and collection are in no test. The totals are therefore below CI's whole-process CPU (bench/ci_time.py
measures that), and a file's figure is a guide to where the cost is, not a bill.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

FOLDER = Path(os.environ.get("BENCH_TEST_CPU", Path(__file__).resolve().parent / "results" / "test_cpu"))
_forked_cpu = [0.0]  # the fork server's jobs' CPU, as its client heard of them


def _cpu() -> tuple[float, float]:
    own, waited = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, waited.ru_utime + waited.ru_stime


def pytest_configure(config: pytest.Config) -> None:
    try:
        from tests.meta import forked
    except ImportError:
        return
    run = forked.Forks.run

    def counted(self: Any, jobs: Any, workers: int = 1) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = run(self, jobs, workers)
        _forked_cpu[0] += sum(float(result.get("cpu_s", 0.0)) for result in results)
        return results

    forked.Forks.run = counted  # type: ignore[method-assign]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    own, waited = _cpu()
    forked, started = _forked_cpu[0], time.monotonic()
    yield
    own_after, waited_after = _cpu()
    line = {
        "test": item.nodeid,
        "own_s": round(own_after - own, 3),
        "waited_s": round(waited_after - waited, 3),
        "forked_s": round(_forked_cpu[0] - forked, 3),
        "wall_s": round(time.monotonic() - started, 3),
    }
    FOLDER.mkdir(parents=True, exist_ok=True)
    with (FOLDER / f"{os.getpid()}.jsonl").open("a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")


def figures(folder: Path, top: int = 25) -> dict[str, Any]:
    """Per file (CPU-s, share, tests) and the `top` costliest tests, from the lines in `folder`."""
    tests = [json.loads(line) for path in sorted(folder.glob("*.jsonl")) for line in path.read_text().splitlines()]
    cpu = {t["test"]: round(t["own_s"] + t["waited_s"] + t["forked_s"], 2) for t in tests}
    by_file: dict[str, list[float]] = defaultdict(list)
    for test, seconds in cpu.items():
        by_file[test.split("::")[0]].append(seconds)
    total = sum(cpu.values())
    return {
        "tests": len(cpu),
        "cpu_s": round(total, 1),
        "files": [
            {
                "file": name,
                "cpu_s": round(sum(values), 1),
                "share": round(sum(values) / (total or 1.0), 3),
                "tests": len(values),
            }
            for name, values in sorted(by_file.items(), key=lambda item: -sum(item[1]))
        ],
        "costliest": [
            {"test": test, "cpu_s": seconds} for test, seconds in sorted(cpu.items(), key=lambda i: -i[1])[:top]
        ],
    }


def table(counted: dict[str, Any]) -> str:
    lines = [f"{counted['tests']} tests, {counted['cpu_s']:.0f} CPU-s counted", "", "CPU-s  share  tests  file"]
    lines += [f"{row['cpu_s']:6.1f} {row['share']:6.1%} {row['tests']:6d}  {row['file']}" for row in counted["files"]]
    lines += ["", f"the {len(counted['costliest'])} costliest tests", "CPU-s  test"]
    lines += [f"{row['cpu_s']:6.1f}  {row['test']}" for row in counted["costliest"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", nargs="?", type=Path, default=FOLDER)
    parser.add_argument("--output", help="also write bench/results/NAME.json")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of the table")
    args = parser.parse_args(argv)
    counted = figures(args.folder)
    print(json.dumps(counted) if args.json else table(counted))
    if args.output:
        from bench.figures import RESULTS, now, write_json

        commit = subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], text=True).strip()
        machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        write_json(RESULTS / f"{args.output}.json", {"date": now(), "commit": commit, "machine": machine, **counted})
        print(f"written to {RESULTS / args.output}.json")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: bench.figures
    sys.exit(main())
