"""Run many pytest sessions quickly: import everything once, then fork one child per session.

    python -m tests.meta.forked JOBS.json RESULTS.json   run the jobs, at most WORKERS at a time, then exit
    python -m tests.meta.forked --serve                  a fork server: batches of jobs on stdin (see `Forks`)

The meta-tests run the contract suite some 150 times; a fresh `python -m pytest` spends ~1.5 s of CPU importing
pytest, its plugins, Hypothesis, schemathesis and jsonschema before it tests anything, which was half of the fault
meta-test's time. Here the imports happen once, then each session is a `fork()`ed child running `pytest.main(args)`
with its output in files: the same isolation as a new process (own memory, own emulator, own PostgreSQL databases
and roles, own environment and working directory), without the import cost; the children share the server's
embedded PostgreSQL, started once. Linux and macOS only (fork).

A job is {"args": [...], "output": "path"} and optionally "stderr" (a path: stderr apart from stdout), "env" (the
child's whole environment; default: the server's), "cwd" and "timeout" (seconds, then the child is killed). Its
result is {"exit_code", "seconds", "timed_out", "cpu_s"}.

`Forks` is the client a test process uses: `FORKS.run(jobs, workers)` starts the process's fork server on first use
and runs a batch there; `run_pytest` runs one session like `subprocess.run([python, "-m", "pytest", ...])` does.
Tests that send a session signals or start it from another folder still start a real process.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
WORKERS = max(2, os.cpu_count() or 2)
# Not passed on to the server: the suite's settings (each job brings its own environment), and the switch that
# would keep pytest from caching its assertion rewrites between the many sessions.
_NOT_INHERITED = ("PRISMA_", "PYTEST_", "GITHUB_")


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """stdout and stderr to /dev/null, at the file descriptors (the server's stdout is its answer pipe)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        os.dup2(null, 2)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for descriptor in (null, *saved):
            os.close(descriptor)


def _warm_up() -> None:
    """Import what every session imports, so children inherit it instead of importing it again.

    First an empty pytest session: pytest imports its plugins (Hypothesis, schemathesis, xdist, anyio) the way it
    always does, assertion-rewritten; imported any other way, every child's session would warn that it cannot
    rewrite them. The session collects an empty folder, outside the project, so it loads none of the project's
    conftest files (they stay the children's own, imported under the profile each one runs with)."""
    import pytest

    with tempfile.TemporaryDirectory(prefix="restore-contract-warm-") as empty, _quiet():
        (Path(empty) / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        pytest.main([empty, "-q", "-p", "no:cacheprovider", "-c", str(Path(empty) / "pytest.ini")])

    import hypothesis  # noqa: F401
    import jsonschema  # noqa: F401
    import psycopg  # noqa: F401
    import schemathesis  # noqa: F401

    import restore_contract.emulator.dataplane.postgres
    import restore_contract.run.driver
    import restore_contract.targets.pool  # noqa: F401
    from restore_contract.emulator.dataplane.cluster import embedded_cluster

    # One embedded PostgreSQL for every child (they inherit it as the process's cluster): initdb and a server start
    # cost ~1 CPU-s, and some thirty sessions run on PostgreSQL. Each child's data plane keeps to a namespace of its
    # own and drops it when it ends; the cluster stops with this server (the children leave it alone).
    embedded_cluster()

    # What is imported now stays: the collector leaves it alone, in the children too (less to scan at every
    # collection, and pages shared with the server stay shared instead of being copied when it touches them).
    gc.collect()
    gc.freeze()


def _child(job: Mapping[str, Any]) -> None:
    """In the forked child: run one pytest session with its output in the job's files, then exit."""
    import pytest

    code = 3
    try:
        if "env" in job:
            os.environ.clear()
            os.environ.update(job["env"])
        if "cwd" in job:
            os.chdir(job["cwd"])
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)  # never the server's request pipe
        descriptor = os.open(job["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(descriptor, 1)
        errors = os.open(job["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644) if job.get("stderr") else None
        os.dup2(errors if errors is not None else descriptor, 2)
        code = int(pytest.main(job["args"]))
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        traceback.print_exc()
        code = 3
    finally:
        with contextlib.suppress(BaseException):
            atexit._run_exitfuncs()  # e.g. stop this child's embedded PostgreSQL and remove its folder
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def run(jobs: Sequence[Mapping[str, Any]], workers: int = WORKERS) -> list[dict[str, Any]]:
    """Every job in a forked child, at most `workers` at a time; their results, in the jobs' order."""
    results: list[dict[str, Any]] = [{} for _ in jobs]
    running: dict[int, tuple[int, float]] = {}  # pid → (job index, start time)
    killed: set[int] = set()
    waiting = list(range(len(jobs)))
    # A child's end is a SIGCHLD: held back, it is waited for with a timeout (the next job's deadline), not polled.
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
    try:
        while waiting or running:
            while waiting and len(running) < max(1, workers):
                index = waiting.pop(0)
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    signal.pthread_sigmask(signal.SIG_SETMASK, held)
                    _child(jobs[index])
                running[pid] = (index, time.monotonic())
            pid, status, usage = os.wait4(-1, os.WNOHANG)
            if pid == 0:
                signal.sigtimedwait({signal.SIGCHLD}, _kill_overdue(jobs, running, killed))
                continue
            if pid not in running:
                continue
            index, started = running.pop(pid)
            results[index] = {
                "exit_code": os.waitstatus_to_exitcode(status),
                "seconds": time.monotonic() - started,
                "timed_out": pid in killed,
                "cpu_s": usage.ru_utime + usage.ru_stime,  # the session's and every process it waited for
            }
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
    return results


def _kill_overdue(jobs: Sequence[Mapping[str, Any]], running: dict[int, tuple[int, float]], killed: set[int]) -> float:
    """Kill the children past their job's timeout; the seconds until the next one is due (an hour if none)."""
    now, due = time.monotonic(), 3600.0
    for child, (index, started) in running.items():
        timeout = jobs[index].get("timeout")
        if timeout is None or child in killed:
            continue
        left = started + float(timeout) - now
        if left <= 0:
            os.kill(child, signal.SIGKILL)
            killed.add(child)
        else:
            due = min(due, left)
    return max(due, 0.01)


def serve() -> int:
    """Answer each batch read from stdin ({"jobs": [...], "workers": N}, one line) with one line of results."""
    _warm_up()
    requests = sys.stdin.buffer
    while line := requests.readline():
        batch = json.loads(line)
        answer = json.dumps(run(batch["jobs"], int(batch.get("workers", 1)))).encode() + b"\n"
        view = memoryview(answer)
        while view:
            view = view[os.write(1, view) :]
    return 0


class Forks:
    """This process's fork server, started on first use (~1.5 s) and ended with the process."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._log: Path | None = None  # the server's stderr
        self._lock = threading.Lock()

    def run(self, jobs: Sequence[Mapping[str, Any]], workers: int = 1) -> list[dict[str, Any]]:
        with self._lock:
            process = self._server()
            assert process.stdin is not None
            assert process.stdout is not None
            try:
                process.stdin.write(json.dumps({"jobs": jobs, "workers": workers}).encode() + b"\n")
                process.stdin.flush()
                answer = process.stdout.readline()
            except BrokenPipeError:
                answer = b""
            if not answer:
                process.wait(timeout=30)
                raise RuntimeError(f"the fork server ended (exit {process.returncode}): {self._log_tail()}")
        results: list[dict[str, Any]] = json.loads(answer)
        return results

    def _server(self) -> subprocess.Popen[bytes]:
        if self._process is not None and self._process.poll() is None:
            return self._process
        env = {key: value for key, value in os.environ.items() if not key.startswith(_NOT_INHERITED)}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        if self._log is None:
            descriptor, name = tempfile.mkstemp(prefix="restore-contract-forks-", suffix=".log")
            os.close(descriptor)
            self._log = Path(name)
            atexit.register(self.close)
        with self._log.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "tests.meta.forked", "--serve"],
                cwd=ROOT,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
            )
        return self._process

    def _log_tail(self) -> str:
        return self._log.read_text(errors="replace")[-3000:] if self._log is not None else ""

    def close(self) -> None:
        """End the server: it finishes what it runs, then sees the end of its input and exits."""
        process, self._process = self._process, None
        if self._log is not None:
            self._log.unlink(missing_ok=True)
            self._log = None
        if process is None:
            return
        assert process.stdin is not None
        with contextlib.suppress(OSError):
            process.stdin.close()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


FORKS = Forks()


class Session(subprocess.CompletedProcess[str]):
    """A forked session's end, as `subprocess.run` gives it, and how long it ran: from its fork to its exit, so
    without the interpreter's start and imports (the fork server made them once)."""

    def __init__(self, args: list[str], returncode: int, stdout: str, stderr: str, seconds: float) -> None:
        super().__init__(args, returncode, stdout, stderr)
        self.seconds = seconds


def run_pytest(args: list[str], *, env: Mapping[str, str], cwd: Path = ROOT, timeout: float | None = None) -> Session:
    """`subprocess.run([python, "-m", "pytest", *args], cwd=cwd, env=env, capture_output=True, text=True,
    timeout=timeout)`, as a session forked from this process's fork server."""
    command = [sys.executable, "-m", "pytest", *args]
    with tempfile.TemporaryDirectory(prefix="restore-contract-session-") as folder:
        out, err = Path(folder) / "stdout", Path(folder) / "stderr"
        job = {"args": args, "output": str(out), "stderr": str(err), "env": dict(env), "cwd": str(cwd)}
        [result] = FORKS.run([job | ({"timeout": timeout} if timeout else {})])
        stdout = out.read_text(encoding="utf-8", errors="replace")
        stderr = err.read_text(encoding="utf-8", errors="replace")
    if result["timed_out"]:
        raise subprocess.TimeoutExpired(command, timeout or 0.0, output=stdout, stderr=stderr)
    return Session(command, int(result["exit_code"]), stdout, stderr, float(result["seconds"]))


def main(argv: list[str]) -> int:
    if argv == ["--serve"]:
        return serve()
    jobs_file, results_file = Path(argv[0]), Path(argv[1])
    _warm_up()
    results = run(json.loads(jobs_file.read_text(encoding="utf-8")))
    results_file.write_text(json.dumps(results), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
