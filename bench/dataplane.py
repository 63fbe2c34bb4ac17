#!/usr/bin/env python3
"""What the PostgreSQL data plane costs: startup, and each operation a restore involves.

    .venv/bin/python bench/dataplane.py [--repeat N]

- startup: a fresh process starting the embedded cluster (initdb + server; what every emulator pays once),
  and `python -m restore_contract.emulator` until its "data: ... ready in" line, each the median of --starts runs;
- per operation, the median and p90 of --repeat runs on one plane: create a database, take a backup (a logical
  snapshot of the tables), restore (end sessions, replace the tables), a fresh login with an issued connection
  string, and a data read through a kept session; the same restore on the in-memory plane for comparison.

Prints a table and writes bench/results/dataplane.json.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere
from bench.figures import RESULTS, now, percentile, write_json
from restore_contract.dataset.golden import fixture_data
from restore_contract.emulator.dataplane import MemoryDataPlane
from restore_contract.emulator.dataplane.cluster import embedded_cluster
from restore_contract.emulator.dataplane.postgres import PostgresDataPlane
from restore_contract.harness.server import REPO, start_server
from restore_contract.targets.data import PostgresAccess

READY = re.compile(r"^data: .* \(ready in ([\d.]+) s\)")
COLD_START = (
    "import time; t = time.perf_counter(); "
    "from restore_contract.emulator.dataplane.cluster import embedded_cluster; "
    "embedded_cluster(); print(time.perf_counter() - t)"
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=50, help="runs of each operation (default 50)")
    parser.add_argument("--starts", type=int, default=3, help="cold starts to time (default 3)")
    parser.add_argument("--output", type=Path, default=RESULTS / "dataplane.json")
    return parser.parse_args(argv)


def timed(action: Callable[[], object], repeat: int) -> dict[str, float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(samples), 2), "p90_ms": round(percentile(samples, 90), 2)}


def cold_starts(starts: int) -> dict[str, float]:
    cluster = [
        float(subprocess.check_output([sys.executable, "-c", COLD_START], cwd=REPO, text=True)) for _ in range(starts)
    ]
    ready = []
    for _ in range(starts):
        server = start_server()
        try:
            ready.append(float(server.wait_for_line(READY, 30).group(1)))
        finally:
            server.stop()
    return {
        "cluster_cold_start_s": round(statistics.median(cluster), 2),
        "emulator_data_ready_s": round(statistics.median(ready), 2),
    }


def operations(repeat: int) -> dict[str, dict[str, float]]:
    plane = PostgresDataPlane(embedded_cluster())
    access = PostgresAccess()
    try:
        counter = iter(range(10**6))
        plane.create_database("target")
        user = plane.create_login("target", "u_bench", "secret")
        secret = plane.connection_string("target", user, "secret")
        access.write(secret, fixture_data("bench"))
        backup = plane.snapshot("target")
        figures = {
            "create database": timed(lambda: plane.create_database(f"db{next(counter)}"), repeat),
            "take a backup (logical snapshot)": timed(lambda: plane.snapshot("target"), repeat),
            "restore (end sessions, replace tables)": timed(lambda: plane.restore("target", backup), repeat),
            "fresh login (scram)": timed(lambda: access.login(secret), repeat),
            "read the data (kept session)": timed(lambda: access.read(secret), repeat),
        }
    finally:
        access.close()
        plane.shutdown()
    memory = MemoryDataPlane()
    memory.create_database("target")
    memory.write("target", fixture_data("bench"))
    snapshot = memory.snapshot("target")
    figures["restore, in-memory plane"] = timed(lambda: memory.restore("target", snapshot), repeat)
    return figures


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    startup = cold_starts(args.starts)
    per_operation = operations(args.repeat)
    figures: dict[str, Any] = {
        "benchmark": "PostgreSQL data plane: startup and per-operation cost",
        "timestamp": now(),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "startup": startup,
        "operations": per_operation,
        "repeat": args.repeat,
    }
    print(
        f"embedded cluster cold start (initdb + server), median of {args.starts}: {startup['cluster_cold_start_s']} s"
    )
    print(f"restore-emulator: data plane ready in, median of {args.starts}: {startup['emulator_data_ready_s']} s")
    width = max(len(name) for name in per_operation)
    print(f"\n{'operation':<{width}}  median ms  p90 ms   ({args.repeat} runs each)")
    for name, value in per_operation.items():
        print(f"{name:<{width}}  {value['median_ms']:>9}  {value['p90_ms']:>6}")
    write_json(args.output, figures)
    print(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
