#!/usr/bin/env python3
"""How long a `-x` run takes to stop on a server that breaks the contract: for every emulator fault, whole processes.

    .venv/bin/python bench/first_failure.py [--repeat N] [--faults all|name,name] [--against CHECKOUT] [--jobs 2]

For each fault of `restore_contract.emulator.Fault` (each one switchable on the server's command line, so reachable
over HTTP), two runs of the contract suite with `-x`, each timed as a whole process from its start to its exit:

- live: `restore-emulator --no-control-plane --seed-golden --fault NAME` started as a server of its own (a new one per
  run: a fault run leaves its databases as it broke them), and `pytest restore_contract/suite -x --target=live`
  against it with the settings the server printed, profile `ci`, `PRISMA_CONTRACT_RESTORE_TIMEOUT=10` (the emulator
  finishes a restore in well under a second: a restore that never ends is caught when that runs out);
  With the server's default clock (`immediate`: a transition ends at the first read after it) the 409 windows
  cannot be met over HTTP (the driver reads the target before each restore, which ends them): `--clock reads:2` or
  `seconds:0.5` opens them;
- in-process: `pytest restore_contract/suite -x --target=emulator --emulator-fault NAME`, profile `ci`.

A fault is caught when the run exits 1 with a contract violation (read from its run record, `--summary-json`); the
record names the test and the properties. `--against CHECKOUT` runs the same suite commands from another checkout
(e.g. `git worktree add --detach /tmp/old main`) with this virtualenv's Python (the package is imported from the
working directory), interleaved with this one's, so the old/new ratio is of one session under one load. Runs go
`--jobs` at a time (default 2, the cores); each run has a timeout (`--timeout`, default 600 s), then counts as lost.

Prints one table (median and max per target and checkout) and writes bench/results/first_failure.json with the
commits, the date, the machine and its load average: figures measured on a shared machine are slower and say so.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere
from bench.comparison.processes import base_env, run_timed
from bench.comparison.suite_runs import live_env
from bench.figures import RESULTS, now, write_json
from restore_contract.emulator import Fault
from restore_contract.emulator.faults import parse_faults
from restore_contract.harness import server as harness
from restore_contract.harness.server import REPO, seeded_settings, start_server

OUTPUT = RESULTS / "first_failure.json"
GOAL_S = 30.0
harness.SERVER_START_TIMEOUT = 120.0  # a server's start (initdb, seeding) on a loaded machine: not what is measured


def suite(checkout: Path, settings: dict[str, str], args: list[str], timeout: float) -> dict[str, Any]:
    """One `-x` run of the suite from `checkout`: exit code, wall seconds, and what its run record says failed."""
    with tempfile.TemporaryDirectory(prefix="first-failure-") as folder:
        record = Path(folder) / "summary.json"
        env = {**base_env(), "PRISMA_CONTRACT_REPORTS": folder, "PRISMA_CONTRACT_PROFILE": "ci", **settings}
        command = [sys.executable, "-m", "pytest", "restore_contract/suite", "-x", "-q", "-p", "no:cacheprovider"]
        done = run_timed([*command, *args, f"--summary-json={record}"], cwd=checkout, env=env, timeout=timeout)
        tests = json.loads(record.read_text(encoding="utf-8")).get("tests", {}) if record.is_file() else {}
    failed = {name: ended for name, ended in tests.items() if ended.get("outcome") in ("failed", "error")}
    violated = sorted({p for ended in failed.values() for p in ended.get("violated", [])})
    return {
        "exit_code": done.exit_code,
        "seconds": round(done.seconds, 1),
        "caught": done.exit_code == 1 and bool(violated),
        "failed_test": next(iter(failed), ""),
        "violated": violated,
        "tail": "" if done.exit_code == 1 and violated else done.tail()[-800:],
    }


CLOCK = ["immediate"]  # the live server's --clock (set from --clock)


def live_run(checkout: Path, fault: Fault, timeout: float) -> dict[str, Any]:
    server = start_server("--no-control-plane", "--seed-golden", "--clock", CLOCK[0], "--fault", fault.value)
    try:
        return suite(checkout, live_env(server.url, seeded_settings(server)), ["--target=live"], timeout)
    finally:
        server.stop()


def in_process_run(checkout: Path, fault: Fault, timeout: float) -> dict[str, Any]:
    return suite(checkout, {}, ["--target=emulator", f"--emulator-fault={fault.value}"], timeout)


TARGETS = {"live": live_run, "in-process": in_process_run}


def commit_of(checkout: Path) -> str:
    done = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=checkout, capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    seconds = [run["seconds"] for run in runs]
    return {
        "caught": sum(run["caught"] for run in runs),
        "runs": len(runs),
        "median_s": round(statistics.median(seconds), 1),
        "max_s": round(max(seconds), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--faults", default="all", help="all (default) or name,name,…")
    parser.add_argument("--targets", default="live,in-process", help="live,in-process (default: both)")
    parser.add_argument("--against", type=Path, help="another checkout, run interleaved with this one")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--clock", default="immediate", help="the live server's --clock (default: its own default)")
    args = parser.parse_args(argv)
    CLOCK[0] = args.clock
    faults = list(Fault) if args.faults == "all" else sorted(parse_faults(args.faults.split(",")))
    targets = [name for name in args.targets.split(",") if name]
    checkouts = {"this": REPO} | ({"against": args.against.resolve()} if args.against else {})
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    plan = [(c, t, f) for _ in range(args.repeat) for f in faults for t in targets for c in checkouts]
    results: dict[tuple[str, str, str], list[dict[str, Any]]] = {}

    def one(key: tuple[str, str, Fault]) -> None:
        checkout, target, fault = key
        run = TARGETS[target](checkouts[checkout], fault, args.timeout)
        results.setdefault((checkout, target, fault.value), []).append(run)
        verdict = f"caught by {run['violated']} in {run['failed_test']}" if run["caught"] else "LOST " + run["tail"]
        print(f"  {checkout:7} {target:10} {fault.value:32} {run['seconds']:6.1f} s  {verdict}", flush=True)

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        list(pool.map(one, plan))
    rows = {
        f"{checkout}/{target}": summary([run for f in faults for run in results[(checkout, target, f.value)]])
        for checkout in checkouts
        for target in targets
    }
    figures: dict[str, Any] = {
        "benchmark": "time until a -x run of the contract suite stops, per emulator fault (whole processes)",
        "date": now(),
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(), "python": platform.python_version()},
        "load_average_1min": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
        "commits": {name: commit_of(path) for name, path in checkouts.items()},
        "repeat": args.repeat,
        "jobs": args.jobs,
        "live_server_clock": args.clock,
        "goal_s": GOAL_S,
        "rows": rows,
        "faults": {f"{checkout}/{target}/{fault}": runs for (checkout, target, fault), runs in sorted(results.items())},
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    write_json(OUTPUT, figures)
    print(f"\n-x runs until they stop, {len(faults)} faults x {args.repeat} (load {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after; {args.jobs} at a time):")  # fmt: skip
    header = ("checkout/target", "commit", "caught", "median s", "max s", f"over {GOAL_S:.0f} s")
    print("  {:24} {:>12} {:>8} {:>9} {:>7} {:>8}".format(*header))
    for checkout in checkouts:
        for target in targets:
            name, row = f"{checkout}/{target}", rows[f"{checkout}/{target}"]
            runs = [run for f in faults for run in results[(checkout, target, f.value)]]
            over = sum(run["seconds"] > GOAL_S or not run["caught"] for run in runs)
            print(f"  {name:24} {figures['commits'][checkout]:>12} {row['caught']:>4}/{row['runs']:<3} "
                  f"{row['median_s']:9.1f} {row['max_s']:7.1f} {over:8}")  # fmt: skip
    print(f"written to {OUTPUT.relative_to(REPO)}")
    return 0 if all(row["caught"] == row["runs"] for name, row in rows.items() if name.startswith("this/")) else 1


if __name__ == "__main__":
    sys.exit(main())
