"""The mutation benchmark's test runner: a fork server that imports pytest and the heavy libraries once, then runs
each mutant's tests in a forked child (bench/mutation.py starts it, bench/mutation_tests.py asks it).

    python bench/mutation_forks.py SOCKET

A fresh `python -m pytest` spends ~5 s importing Hypothesis, schemathesis and jsonschema on this loaded 2-core
machine; with ~1,500 mutants that alone would exceed the hour. The server imports only third-party code: the
project's modules are imported by each child, from disk, so the child sees the mutant cosmic-ray wrote there.

One request per connection, a JSON line {"args": [...], "output": path, "timeout": s}; the answer is a JSON line
{"exit_code": n, "timed_out": bool}. Requests are served one at a time (cosmic-ray's local executor sends one).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any


def _warm_up() -> None:
    """Import pytest's plugins as pytest itself does (assertion-rewritten), through an empty session without the
    project's plugin, then the libraries every session of the project imports; then forget any project module that
    came along, so no child inherits an unmutated copy."""
    import pytest

    with tempfile.TemporaryDirectory(prefix="mutation-warm-") as empty:
        (Path(empty) / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        null = os.open(os.devnull, os.O_WRONLY)
        saved = os.dup(1)
        os.dup2(null, 1)
        try:
            ini = f"{empty}/pytest.ini"
            pytest.main([empty, "-q", "-p", "no:cacheprovider", "-p", "no:restore_contract", "-c", ini])
        finally:
            os.dup2(saved, 1)
            os.close(null)
            os.close(saved)
    import httpx  # noqa: F401
    import hypothesis  # noqa: F401
    import jsonschema  # noqa: F401
    import psycopg  # noqa: F401
    import schemathesis
    import schemathesis.specs.openapi.schemas  # noqa: F401
    import starlette.applications  # noqa: F401
    import vcr  # noqa: F401
    import yaml  # noqa: F401

    for name in [name for name in sys.modules if name == "restore_contract" or name.startswith("restore_contract.")]:
        del sys.modules[name]


def _child(request: dict[str, Any]) -> None:
    import pytest

    code = 3
    try:
        os.setsid()  # its own group: a timeout kills what it started too (servers, PostgreSQL)
        sys.dont_write_bytecode = True  # never a .pyc of a mutant
        descriptor = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(descriptor, 1)
        os.dup2(descriptor, 2)
        code = int(pytest.main(request["args"]))
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        with contextlib.suppress(BaseException):
            import atexit

            atexit._run_exitfuncs()
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _run(request: dict[str, Any]) -> dict[str, Any]:
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _child(request)
    deadline = time.monotonic() + float(request.get("timeout", 240))
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return {"exit_code": os.waitstatus_to_exitcode(status), "timed_out": False}
        if time.monotonic() > deadline:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return {"exit_code": -9, "timed_out": True}
        time.sleep(0.05)


def main(argv: list[str]) -> int:
    path = argv[0]
    _warm_up()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(path)
        server.listen()
        print("ready", flush=True)
        while True:
            connection, _ = server.accept()
            with connection, connection.makefile("rw", encoding="utf-8") as stream:
                request = json.loads(stream.readline())
                if request.get("stop"):
                    return 0
                stream.write(json.dumps(_run(request)) + "\n")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
