#!/usr/bin/env python3
"""One entry point that works on a machine with nothing but python3.

    python3 dev.py contract [pytest args]   set up, then run the contract suite (the main job), or the tests
                                            the args name (a node id, a file or folder of tests)
    python3 dev.py test [pytest args]       set up, then lint, type-check and run every test
    python3 dev.py seed-golden [args]       set up, then seed a golden source on a live API (docs/nightly.md)
    python3 dev.py docs [--serve]           set up, regenerate docs/configuration.md and build the docs into
                                            site/ (--serve: then serve them at http://127.0.0.1:8000)
    python3 dev.py setup                    only create/refresh the virtualenv

Setup creates `.venv/` and installs the project with its dev extras; it is skipped when
`pyproject.toml` has not changed since the last install, so repeated runs start in a second.
Only the standard library is used here, because nothing else exists before setup.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import signal
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
STAMP = VENV / ".installed-pyproject.sha256"

# The contract suite: what a user runs every day against a target (default: the in-process emulator).
CONTRACT_TESTS = ["restore_contract/suite"]
TESTS = ROOT / "tests"
SUITE = ROOT / "restore_contract" / "suite"  # the contract suite, shipped in the package
# The options whose value is a file or folder the run writes, and the variables that set them. pytest runs from the
# project, so a relative one is made the caller's before it is passed on (`callers_paths`). The suite's --emulator-…
# options name no file (emulator/config.py: --env-file is the server's own). commands/cli.py uses these too.
PATH_OPTIONS = ("--summary-json", "--reports", "--junitxml", "--junit-xml", "--basetemp", "--log-file")
PATH_VARIABLES = ("PRISMA_CONTRACT_SUMMARY_JSON", "PRISMA_CONTRACT_REPORTS")
# pytest-xdist workers for `test`, more than the cores: much of the time a worker waits on a server's clock (restores
# that take seconds, time budgets) rather than computing. At most 8: each holds the suite's imports and a fork server.
WORKERS = min(2 * (os.cpu_count() or 1), 8)


def _say(message: str) -> None:
    print(f"[dev] {message}", flush=True)


def run_to_its_end(command: list[str], **popen: Any) -> int:
    """Run `command` and wait until it has ended, whatever signal comes meanwhile; its exit code. An interrupted
    contract run cleans up (deletes the scratch databases it created) before it ends. A Ctrl-C reaches it as it
    reaches this process (one process group), so here it only waits; SIGTERM comes to this process alone (`kill`, a
    cancelled CI job), so it is passed on. subprocess.call killed pytest 0.25 s after a Ctrl-C, mid-clean-up.
    restore_contract/commands/cli.py does the same for `restore-contract` (this file cannot import the project)."""
    with subprocess.Popen(command, **popen) as process:
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: process.send_signal(signum))
        try:
            while True:
                try:
                    return process.wait()
                except KeyboardInterrupt:
                    _say("interrupted: waiting for the run to end and delete what it created")
        finally:
            signal.signal(signal.SIGTERM, previous)


def _run(*command: str | Path) -> int:
    _say(" ".join(str(part) for part in command))
    return run_to_its_end([str(part) for part in command], cwd=ROOT)


def setup() -> None:
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if not PYTHON.exists():
        _say(f"creating virtualenv in {VENV}")
        venv.create(VENV, with_pip=True)
    if _run(PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", ".[dev]") != 0:
        sys.exit("[dev] installing the project failed: see pip's message above (is PyPI reachable?)")
    STAMP.write_text(wanted + "\n")


def lint_and_types() -> int:
    for command in (
        ("-m", "ruff", "check", "."),
        ("-m", "ruff", "format", "--check", "."),
        ("-m", "mypy", "."),
    ):
        code = _run(PYTHON, *command)
        if code != 0:
            return code
    return 0


def pytest(args: list[str]) -> int:
    # pytest exits 5 when it collected no test; that is a failure here, like any other non-zero code.
    # Bytecode stays on so pytest can cache its assertion rewrites of the plugins (saves ~3 s per start).
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    # pytest runs from the project: the paths the caller gave are made the caller's (test ids stay the project's).
    args, env = callers_paths(args, Path.cwd()), env | callers_variables(env, Path.cwd())
    _say("python -m pytest " + " ".join(args))
    return run_to_its_end([str(PYTHON), "-m", "pytest", *args], cwd=ROOT, env=env)


def _names_tests(arg: str) -> bool:
    """Whether `arg` chooses tests itself: a node id (`path::name`), a test file, or a folder of tests (tests/ or the
    contract suite; pytest runs from the project, so relative paths are the project's). An option's value is none of
    these."""
    if arg.startswith("-"):
        return False
    path = (ROOT / arg.partition("::")[0]).resolve()
    if not path.exists():
        return False
    return (
        "::" in arg
        or path.suffix == ".py"
        or (path.is_dir() and (path.is_relative_to(TESTS) or path.is_relative_to(SUITE)))
    )


def _callers(path: str, cwd: Path) -> str:
    return path if not path or Path(path).is_absolute() else str(cwd / path)


def callers_paths(args: list[str], cwd: Path) -> list[str]:
    """`args` with the value of every path option (`--opt VALUE` or `--opt=VALUE`) made absolute against `cwd`, the
    folder the command was started in: pytest runs from the project. Anything else, a test id included, and
    everything after `--`, stays as given (test ids are the project's: see _names_tests)."""
    rewritten: list[str] = []
    value_of = ""  # the option whose value comes next
    for index, arg in enumerate(args):
        option, equals, value = arg.partition("=")
        if value_of:
            rewritten.append(_callers(arg, cwd))
            value_of = ""
        elif arg == "--":
            return [*rewritten, *args[index:]]
        elif option in PATH_OPTIONS:
            rewritten.append(f"{option}={_callers(value, cwd)}" if equals else arg)
            value_of = "" if equals else option
        else:
            rewritten.append(arg)
    return rewritten


def callers_variables(environ: dict[str, str], cwd: Path) -> dict[str, str]:
    """The path variables (PATH_VARIABLES) of `environ` that are relative, made absolute against `cwd`."""
    relative = [name for name in PATH_VARIABLES if environ.get(name) and not Path(environ[name]).is_absolute()]
    return {name: _callers(environ[name], cwd) for name in relative}


def in_parallel(args: list[str]) -> list[str]:
    """pytest-xdist's options for `test` over every test: the run is CPU-bound, and many meta-tests wait on a
    server's clock meanwhile, so it runs on WORKERS workers (`--dist load`: tests go to whichever worker is free).
    None when the caller chose tests (a file, a test: starting workers would be most of the run) or chose a number
    of workers, a distribution or no xdist at all."""
    if any(_names_tests(arg) for arg in args):
        return []
    if any(arg.startswith(("-n", "--numprocesses", "--dist")) or arg.endswith("no:xdist") for arg in args):
        return []
    return ["-n", str(WORKERS), "--dist", "load", "--maxschedchunk", "1"]


COMMANDS = ("contract", "test", "seed-golden", "docs", "setup")
SITE = ROOT / "site"  # the built docs (git-ignored)


def docs(args: list[str]) -> int:
    """Regenerate the configuration reference from the settings tables, then build the site with MkDocs, strict (a
    warning, a broken link included, fails); `--serve` serves it afterwards with live reload."""
    if args not in ([], ["--serve"]):
        print(f"[dev] docs takes no arguments but --serve, got {' '.join(args)}", file=sys.stderr)
        return 2
    code = _run(PYTHON, "-m", "restore_contract.commands.reference")
    # Material's banner about its successor is not a warning of this site's: kept out of the build's output.
    env = os.environ | {"NO_MKDOCS_2_WARNING": "1"}
    for mkdocs in [["build", "--strict", "--site-dir", str(SITE)], *([["serve", "--strict"]] if args else [])]:
        if code == 0:
            _say("python -m mkdocs " + " ".join(mkdocs))
            code = run_to_its_end([str(PYTHON), "-m", "mkdocs", *mkdocs], cwd=ROOT, env=env)
    return code


def main(argv: list[str]) -> int:
    if argv[:1] in (["-h"], ["--help"], ["help"]):
        print(__doc__)
        return 0
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    if argv[0] not in COMMANDS:
        near = difflib.get_close_matches(argv[0], COMMANDS, n=1)
        hint = f"did you mean {near[0]!r}? " if near else ""
        choices = f"use one of {', '.join(COMMANDS)} (--help: what each does)"
        print(f"[dev] no command {argv[0]!r}: {hint}{choices}", file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    setup()
    if command == "setup":
        return 0
    if command == "contract":
        return pytest(rest if any(_names_tests(arg) for arg in rest) else [*CONTRACT_TESTS, *rest])
    if command == "seed-golden":
        return _run(PYTHON, "-m", "restore_contract.commands.seed_golden", *rest)
    if command == "docs":
        return docs(rest)
    return lint_and_types() or pytest([*in_parallel(rest), *rest])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
