"""Running a command as a process with a timeout and timing it; showing a command as one shell line."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from restore_contract.harness.server import REPO


@dataclass(frozen=True)
class Timed:
    exit_code: int | None  # None: timed out (then killed) or could not be run
    seconds: float
    stdout: str
    stderr: str

    def tail(self) -> str:
        """The end of its output, kept in the results for a run that went wrong."""
        return self.stdout[-1500:] + self.stderr[-500:]


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else ""


def run_timed(command: Sequence[str], *, cwd: Path, env: dict[str, str], timeout: float) -> Timed:
    """Run `command` to its end (killed after `timeout` s) and measure its wall time."""
    started = time.perf_counter()
    try:
        done = subprocess.run(
            list(command), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as expired:
        seconds = time.perf_counter() - started
        return Timed(None, seconds, _text(expired.stdout), _text(expired.stderr) + f"\n[timed out after {timeout} s]")
    return Timed(done.returncode, time.perf_counter() - started, done.stdout, done.stderr)


def base_env() -> dict[str, str]:
    """This environment without the suite's and pytest's settings; bytecode writing on (pytest caches rewrites)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRISMA_", "PYTEST_", "SCHEMATHESIS_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def shown(command: Sequence[str], env: dict[str, str] | None = None) -> str:
    """A command as one shell line, with the repository's paths relative where the run's cwd allows."""
    venv_python = str(REPO / ".venv" / "bin" / "python")
    words = [".venv/bin/python" if word in (sys.executable, venv_python) else word for word in command]
    prefix = " ".join(f"{key}={shlex.quote(value)}" for key, value in (env or {}).items())
    return f"{prefix} {shlex.join(words)}".strip()
