"""The emulator as a separate server process (`restore-emulator`), for tests and benchmarks that need real HTTP.

`start_server(*args)` starts it on a free loopback port, waits for the `export PRISMA_API_URL=…` line it prints,
and returns a `Server` whose output lines (stdout's export lines and stderr's prose, in the order written) are
collected as they come; `stop()` terminates it (then kills it) and is idempotent, so callers put it in a
`finally`. `seeded_settings(server)` reads the `PRISMA_CONTRACT_*` settings a server started with `--seed-golden`
exported.
"""

from __future__ import annotations

import queue
import re
import shlex
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

from restore_contract import workspace

REPO = workspace.root()  # where servers start (the project's tests and benchmarks name files under it)

EXPORT = re.compile(r"^export ([A-Z_][A-Z0-9_]*)=(.*)$")  # stdout's lines: `export NAME=VALUE`, VALUE shell-quoted
URL_LINE = re.compile(r"^export PRISMA_API_URL=(.+)$")  # the last export line
SERVER_START_TIMEOUT = 60.0  # seconds; an idle machine needs ~2, a shared one (load 14 on 2 cores) took over 15


@dataclass
class Server:
    """`restore-emulator` running in a subprocess; its output lines (stdout and stderr) are collected as they come."""

    process: subprocess.Popen[str]
    url: str = ""
    lines: list[str] = field(default_factory=list)
    incoming: queue.Queue[str | None] = field(default_factory=queue.Queue)  # None: end of output
    reader: threading.Thread | None = None

    def wait_for_line(self, pattern: re.Pattern[str], timeout: float) -> re.Match[str]:
        """The first output line (already read or still to come within `timeout` s) that matches `pattern`."""
        for seen in self.lines:
            if found := pattern.search(seen):
                return found
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.incoming.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no line matching {pattern.pattern!r} in {timeout} s: {self.lines}") from None
            if line is None:
                code = self.process.poll()
                raise AssertionError(f"the server exited ({code}) before {pattern.pattern!r}: {self.lines}")
            self.lines.append(line)
            if found := pattern.search(line):
                return found

    def wait_for_exit(self, timeout: float) -> int:
        code = self.process.wait(timeout=timeout)
        while (line := self.incoming.get(timeout=timeout)) is not None:  # the reader ends at EOF
            self.lines.append(line)
        return code

    def stop(self) -> None:
        """Terminate, then kill if it does not go; idempotent."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.reader is not None:
            self.reader.join(timeout=5)  # it ends at EOF, now that the process is gone


def emulator_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "restore_contract.emulator", *args]


def start_server(*args: str) -> Server:
    """Start the server on a free loopback port (unless `args` name one) and wait for its URL."""
    port = () if "--port" in args else ("--port", "0")
    process = subprocess.Popen(
        emulator_command(*port, *args),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # one pipe: the prose is in `lines` too, in the order it was written
        text=True,
    )
    server = Server(process)

    def read() -> None:
        assert process.stdout is not None
        with process.stdout:
            for line in process.stdout:
                server.incoming.put(line.rstrip("\n"))
        server.incoming.put(None)

    server.reader = threading.Thread(target=read, daemon=True)
    server.reader.start()
    try:
        server.url = unquoted(server.wait_for_line(URL_LINE, SERVER_START_TIMEOUT).group(1))
    except BaseException:
        server.stop()
        raise
    return server


def unquoted(value: str) -> str:
    """A value as the shell reads it (the server quotes with `shlex.quote`)."""
    words = shlex.split(value)
    return words[0] if words else ""


def exported(line: str) -> tuple[str, str] | None:
    """`export NAME=VALUE` as (NAME, VALUE unquoted), else None."""
    found = EXPORT.match(line)
    return (found.group(1), unquoted(found.group(2))) if found else None


def exports(server: Server) -> dict[str, str]:
    """Every setting the server exported; the URL line comes last, so all are in once `start_server` returned."""
    return dict(setting for line in server.lines if (setting := exported(line)))


def seeded_settings(server: Server) -> dict[str, str]:
    """The `PRISMA_CONTRACT_*` settings a `--seed-golden` server exported (project and golden source ids)."""
    return {name: value for name, value in exports(server).items() if name.startswith("PRISMA_CONTRACT_")}
