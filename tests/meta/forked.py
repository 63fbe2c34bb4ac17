"""Run many contract-suite sessions quickly: import everything once, then fork one child per session.

    python -m tests.meta.forked JOBS.json RESULTS.json

The fault meta-test runs the whole suite some 70 times; a fresh `python -m pytest` spends ~3 s importing
pytest, Hypothesis, schemathesis and jsonschema before it tests anything, which was half of its time.
Here the imports happen once, then each session is a `fork()`ed child running `pytest.main(args)` with
its output in a file: the same isolation as a new process (own memory, own emulator, own PostgreSQL
cluster), without the import cost. At most WORKERS children run at once. Linux and macOS only (fork).

JOBS.json is a list of {"args": [...], "output": "path"}; RESULTS.json gets, per job, {"exit_code", "seconds"}.
The environment (PRISMA_CONTRACT_PROFILE above all, read at import) is the caller's, the same for all jobs.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

WORKERS = max(2, os.cpu_count() or 2)


def _warm_up() -> None:
    """Import what every session imports, so children inherit it instead of importing it again."""
    import hypothesis  # noqa: F401
    import jsonschema  # noqa: F401
    import psycopg  # noqa: F401
    import pytest  # noqa: F401
    import schemathesis  # noqa: F401

    import restore_contract.checks.driver
    import restore_contract.emulator.dataplane.postgres
    import restore_contract.targets.pool  # noqa: F401


def _child(job: dict[str, Any]) -> None:
    """In the forked child: run one pytest session with its output in the job's file, then exit."""
    import pytest

    code = 3
    try:
        descriptor = os.open(job["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(descriptor, 1)
        os.dup2(descriptor, 2)
        code = int(pytest.main(job["args"]))
    finally:
        atexit._run_exitfuncs()  # e.g. stop this child's embedded PostgreSQL and remove its folder
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def run(jobs: list[dict[str, Any]]) -> list[dict[str, float]]:
    results: list[dict[str, float]] = [{} for _ in jobs]
    running: dict[int, tuple[int, float]] = {}  # pid → (job index, start time)
    waiting = list(range(len(jobs)))
    while waiting or running:
        while waiting and len(running) < WORKERS:
            index = waiting.pop(0)
            pid = os.fork()
            if pid == 0:
                _child(jobs[index])
            running[pid] = (index, time.monotonic())
        pid, status = os.wait()
        index, started = running.pop(pid)
        results[index] = {"exit_code": os.waitstatus_to_exitcode(status), "seconds": time.monotonic() - started}
    return results


def main(argv: list[str]) -> int:
    jobs_file, results_file = Path(argv[0]), Path(argv[1])
    _warm_up()
    results = run(json.loads(jobs_file.read_text(encoding="utf-8")))
    results_file.write_text(json.dumps(results), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
