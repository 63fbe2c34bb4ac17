#!/usr/bin/env python3
"""The nightly against a staging-like emulator at full length, and how fast it catches what matters.

    .venv/bin/python bench/staging.py [--restore 60] [--provisioning 30] [--latency 0.04] [--rate 20]
                                      [--transient 0.01] [--only healthy|FAULT ...] [--budget S] [--out FILE]

Starts `restore-emulator --no-control-plane --seed-golden` with restores that take --restore seconds, databases
that take --provisioning seconds to create, --latency seconds on every answer, --rate requests per second (429 +
Retry-After above it) and --transient 503s on reads, then runs the README's nightly command against it, unchanged
and with the defaults the README documents:

    PRISMA_CONTRACT_PROFILE=nightly python3 dev.py contract --target live --junitxml=reports/junit.xml

(the settings the server exports in the environment, and PRISMA_CONTRACT_SUMMARY_JSON for the figures). A correct
server, and one server per contract fault (a restore that never finishes, one accepted while recovering, one
that changes credentials), all at the same time, each its own server; a faulty run adds `-x` (it ends at the first
failing test). Prints wall time, restores verified end to end, restores in flight on average, how busy the restore
targets were kept (restore-target-seconds used / available, run/utilisation.py), requests, retries and the time
waited on them, and for each fault when it was caught; writes bench/results/staging.json (`--out`), where a run
not made this time (`--only`) keeps its earlier figures, each with its date and commit. `--budget` sets
PRISMA_CONTRACT_BUDGET (a quicker run while developing, with shorter restores).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere
from bench.figures import RESULTS, now, write_json
from restore_contract.harness.server import REPO, exports, start_server

NIGHTLY = ["python3", "dev.py", "contract", "--target", "live", "--junitxml=reports/junit.xml"]
FAULTS = ("recovery-never-finishes", "no-conflict-while-recovering", "restore-rotates-credentials")
HEALTHY = "healthy"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--restore", type=float, default=60.0, help="seconds a restore takes (recovering → ready)")
    parser.add_argument("--provisioning", type=float, default=30.0, help="seconds a new database provisions")
    parser.add_argument("--latency", type=float, default=0.04, help="seconds added to every answer")
    parser.add_argument("--rate", type=float, default=20.0, help="requests per second before a 429")
    parser.add_argument("--transient", type=float, default=0.01, help="probability of a transient 503 on a read")
    parser.add_argument("--only", nargs="+", default=[HEALTHY, *FAULTS], help="the runs: healthy and/or faults")
    parser.add_argument(
        "--budget", type=float, default=None, help="the run's time budget in seconds (default: the nightly's, 1440)"
    )
    parser.add_argument("--out", default="staging.json", help="file name of the figures in bench/results")
    return parser.parse_args()


def run(name: str, server_options: list[str], budget: float | None = None, commit: str = "") -> dict[str, Any]:
    """One nightly run against its own server; its figures from the run record. `commit`: the code measured, read
    when the runs started (a commit made while they ran is not theirs)."""
    fault = [] if name == HEALTHY else ["--fault", name]
    server = start_server("--no-control-plane", "--seed-golden", *server_options, *fault)
    record_path = Path(tempfile.mkdtemp()) / "record.json"
    junit = f"--junitxml=reports/bench-staging-{name}.xml"
    command = [*NIGHTLY[:-1], junit, *([] if name == HEALTHY else ["-x"])]
    env = {
        **os.environ,
        **exports(server),
        "PRISMA_CONTRACT_PROFILE": "nightly",
        "PRISMA_CONTRACT_SUMMARY_JSON": str(record_path),
        **({"PRISMA_CONTRACT_BUDGET": f"{budget:g}"} if budget is not None else {}),
    }
    started = time.monotonic()
    try:
        finished = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    finally:
        server.stop()
    wall = time.monotonic() - started
    log = REPO / "reports" / f"bench-staging-{name}.log"  # long; beside the run's other reports, not committed
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(finished.stdout + finished.stderr, encoding="utf-8")
    if not record_path.exists():
        return {"run": name, "exit": finished.returncode, "wall_s": round(wall, 1), "error": f"no record; see {log}"}
    record = json.loads(record_path.read_text(encoding="utf-8"))
    (REPO / "reports" / f"bench-staging-{name}.json").write_text(record_path.read_text(encoding="utf-8"), "utf-8")
    violated = sorted({p for test in record["tests"].values() for p in test.get("violated", [])})
    return {
        "run": name,
        "date": now(),
        "commit": commit,
        "exit": finished.returncode,
        "wall_s": round(wall, 1),
        "verified_end_to_end": record["causes"].get("started: verified end to end", 0),
        "restores_started": record.get("restores_started", 0),
        "in_flight_average": record.get("in_flight_average"),
        "restore_targets": record.get("restore_targets"),
        "utilisation": record.get("utilisation"),
        "target_seconds_used": record.get("target_seconds_used"),
        "target_seconds_available": record.get("target_seconds_available"),
        "elapsed_s": record.get("elapsed_s"),
        "tests": dict(sorted(Counter(test["outcome"] for test in record["tests"].values()).items())),
        "requests": record["requests"],
        "retries": record["retries"],
        "waited_for_retries_s": record["waited_for_retries_s"],
        "first_failure_after_s": record.get("first_failure_after_s"),
        "violated": violated,
        "log": str(log.relative_to(REPO)),
    }


def _commit() -> str:
    described = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    return described.stdout.strip()


def _percent(fraction: float | None) -> str:
    return "-" if fraction is None else f"{fraction * 100:.0f}%"


def main() -> int:
    args = parse_args()
    server_options = [
        *("--clock", f"seconds:{args.restore:g}", "--provisioning", f"{args.provisioning:g}"),
        *("--latency", f"{args.latency:g}", "--rate-limit", f"{args.rate:g}"),
        *("--transient-503", f"{args.transient:g}"),
    ]
    print(
        f"server: python -m restore_contract.emulator --no-control-plane --seed-golden {' '.join(server_options)}",
        flush=True,
    )
    print(f"command: PRISMA_CONTRACT_PROFILE=nightly {' '.join(NIGHTLY)}  (faults: -x)", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["python3", "dev.py", "setup"], cwd=REPO, check=True)  # once, not by every run at the same time
    with ThreadPoolExecutor(len(args.only)) as pool:
        commit = _commit()
        results = list(pool.map(lambda name: run(name, server_options, args.budget, commit), args.only))
    print(f"{'run':32} {'exit':>4} {'wall':>8} {'verified':>8} {'in flight':>9} {'busy':>5} {'requests':>8} "
          f"{'retries':>7} {'waited':>7}  caught")  # fmt: skip
    for result in results:
        if "error" in result:
            print(f"{result['run']:32} {result['exit']:>4} {result['wall_s']:>7}s  {result['error']}")
            continue
        caught = (
            f"after {result['first_failure_after_s']} s: {', '.join(result['violated'])}" if result["violated"] else "-"
        )
        print(
            f"{result['run']:32} {result['exit']:>4} {result['wall_s']:>7}s {result['verified_end_to_end']:>8} "
            f"{result['in_flight_average']:>9} {_percent(result['utilisation']):>5} {result['requests']:>8} "
            f"{result['retries']:>7} "
            f"{result['waited_for_retries_s']:>6.0f}s  {caught}"
        )
    # A run not made this time (`--only`) keeps its earlier figures, with the date and commit they were measured at.
    path = RESULTS / args.out
    earlier = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    made = {result["run"] for result in results}
    kept = [{"date": earlier.get("date"), **run} for run in earlier.get("runs", []) if run.get("run") not in made]
    write_json(
        path,
        {
            "date": now(),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
            "server": server_options,
            "command": " ".join(NIGHTLY),
            "budget_s": args.budget,
            "runs": sorted(kept + results, key=lambda run: [HEALTHY, *FAULTS, run["run"]].index(run["run"])),
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
