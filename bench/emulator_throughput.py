#!/usr/bin/env python3
"""Throughput of the emulator's restore endpoint over real HTTP.

    .venv/bin/python bench/emulator_throughput.py [--requests N] [--concurrency C] [--data postgres|memory]

Starts `restore-emulator` on a free loopback port, seeds through the control plane one source database
with a completed backup and one target database per worker, then runs C workers, each with its own
httpx.AsyncClient and its own target, repeating:

    POST restore   -> 200   the target starts recovering
    POST restore   -> 409   still recovering: a restore is not a read, so the immediate clock has not moved
    GET  database           the read that ends the recovery (immediate clock), so the next restore starts

N counts the restores only, so they alternate 200, 409, 200, ... per target: half answer 200 and half 409
(a worker with an odd share ends on a 200). Their latencies are what p50/p99 describe. The GETs are sent
in the same run (the wall time includes them) and reported on their own line.

Prints a small table and writes the figures to bench/results/emulator_throughput.json. Every wait is
bounded (--timeout for the whole run) and the server is always stopped. Exit status 1 when a restore
answers anything but the expected 200/409 pattern.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere
from bench.figures import RESULTS, now, percentile, write_json
from restore_contract.emulator import DEFAULT_TOKEN
from restore_contract.harness.server import start_server

OUTPUT = RESULTS / "emulator_throughput.json"
AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
SEED_DATA = {"items": [{"id": n, "name": f"row {n}"} for n in range(10)]}


def _bounded(low: int, high: int) -> Any:
    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}")
        return value

    return parse


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=_bounded(1, 100_000), default=2000, help="restores to send (default 2000)")
    parser.add_argument("--concurrency", type=_bounded(1, 256), default=8, help="concurrent workers (default 8)")
    parser.add_argument("--data", choices=("postgres", "memory"), default="postgres", help="the emulator's data plane")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds the whole measurement may take")
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"JSON results (default {OUTPUT})")
    return parser.parse_args(argv)


# --- seeding ---------------------------------------------------------------------------------------------


def _expect(response: httpx.Response, status: int) -> Any:
    if response.status_code != status:
        raise RuntimeError(
            f"{response.request.method} {response.request.url} -> {response.status_code}: {response.text}"
        )
    return response.json() if response.content else None


def _ready_database(client: httpx.Client, project_id: str, name: str) -> str:
    created = _expect(client.post(f"/v1/projects/{project_id}/databases", json={"name": name}, headers=AUTH), 201)
    database_id = str(created["data"]["id"])
    _expect(client.put(f"/_emulator/databases/{database_id}/status", json={"status": "ready"}), 200)
    return database_id


def seed(url: str, targets: int) -> tuple[dict[str, str], list[str]]:
    """A source database with data and a completed backup; `targets` ready databases to restore into."""
    with httpx.Client(base_url=url, timeout=10) as client:
        project_id = str(_expect(client.post("/_emulator/projects", json={"name": "bench"}), 201)["id"])
        source_id = _ready_database(client, project_id, "source")
        _expect(client.put(f"/_emulator/databases/{source_id}/data", json={"tables": SEED_DATA}), 204)
        backup = _expect(client.post(f"/_emulator/databases/{source_id}/backups", json={"status": "completed"}), 201)
        source = {"type": "backup", "databaseId": source_id, "backupId": str(backup["id"])}
        return source, [_ready_database(client, project_id, f"target-{n}") for n in range(targets)]


# --- the measurement -------------------------------------------------------------------------------------


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    release_statuses: Counter[int] = field(default_factory=Counter)


async def worker(url: str, target: str, source: dict[str, str], restores: int, tally: Tally) -> None:
    path, body = f"/v1/databases/{target}/restore", {"source": source}
    async with httpx.AsyncClient(base_url=url, headers=AUTH, timeout=10) as client:
        for sent in range(restores):
            started = time.perf_counter()
            response = await client.post(path, json=body)
            tally.latencies_ms.append((time.perf_counter() - started) * 1000)
            tally.statuses[response.status_code] += 1
            if sent % 2 == 1:  # after the 409: read once, which ends the recovery
                tally.release_statuses[(await client.get(f"/v1/databases/{target}")).status_code] += 1


async def measure(
    url: str, source: dict[str, str], shares: list[tuple[str, int]], timeout: float
) -> tuple[float, Tally]:
    """Run every worker at once; the wall time and what they saw."""
    tally = Tally()
    started = time.perf_counter()
    workers = (worker(url, target, source, restores, tally) for target, restores in shares)
    await asyncio.wait_for(asyncio.gather(*workers), timeout)
    return time.perf_counter() - started, tally


def expected_statuses(shares: list[tuple[str, int]]) -> Counter[int]:
    return Counter({200: sum((n + 1) // 2 for _, n in shares), 409: sum(n // 2 for _, n in shares)})


def report(figures: dict[str, Any]) -> str:
    rows = [
        ("restores", f"{figures['requests']}"),
        ("concurrency", f"{figures['concurrency']} workers"),
        ("data plane", figures["data_plane"]),
        ("wall time", f"{figures['elapsed_s']:.3f} s"),
        ("restores/s", f"{figures['restores_per_s']:.0f}"),
        ("all requests/s", f"{figures['http_requests_per_s']:.0f} (restores + releasing GETs)"),
        ("p50 latency", f"{figures['latency_ms']['p50']:.2f} ms"),
        ("p99 latency", f"{figures['latency_ms']['p99']:.2f} ms"),
        ("restore statuses", ", ".join(f"{code}: {n}" for code, n in figures["status_counts"].items())),
        ("releasing GETs", ", ".join(f"{code}: {n}" for code, n in figures["release_status_counts"].items()) or "-"),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workers = min(args.concurrency, args.requests)
    server = start_server("--host", "127.0.0.1", "--data", args.data)
    try:
        source, targets = seed(server.url, workers)
        # Worker n restores its own target args.requests // workers times, the first ones once more.
        shares = [
            (target, args.requests // workers + (n < args.requests % workers)) for n, target in enumerate(targets)
        ]
        elapsed, tally = asyncio.run(measure(server.url, source, shares, args.timeout))
    except TimeoutError:
        print(f"error: the measurement took longer than --timeout {args.timeout} s", file=sys.stderr)
        return 1
    finally:
        server.stop()
    releases = sum(tally.release_statuses.values())
    expected = expected_statuses(shares)
    figures: dict[str, Any] = {
        "benchmark": "emulator restore throughput over HTTP (restores alternate 200/409 per target)",
        "timestamp": now(),
        "python": platform.python_version(),
        "requests": args.requests,
        "concurrency": workers,
        "data_plane": args.data,
        "elapsed_s": round(elapsed, 4),
        "restores_per_s": round(args.requests / elapsed, 1),
        "http_requests_per_s": round((args.requests + releases) / elapsed, 1),
        "latency_ms": {
            "p50": round(percentile(tally.latencies_ms, 50), 3),
            "p99": round(percentile(tally.latencies_ms, 99), 3),
            "mean": round(sum(tally.latencies_ms) / len(tally.latencies_ms), 3),
            "max": round(max(tally.latencies_ms), 3),
        },
        "status_counts": {str(code): n for code, n in sorted(tally.statuses.items())},
        "expected_status_counts": {str(code): n for code, n in sorted(expected.items())},
        "release_status_counts": {str(code): n for code, n in sorted(tally.release_statuses.items())},
    }
    print(report(figures))
    write_json(args.output, figures)
    print(f"\nwritten to {args.output}")
    if tally.statuses != expected or set(tally.release_statuses) - {200}:
        print(f"unexpected statuses: got {dict(tally.statuses)}, expected {dict(expected)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
