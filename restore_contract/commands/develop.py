"""The project's own commands, started by dev.py once it has set up .venv/ (`python3 dev.py contract|test|docs|
seed-golden`; dev.py's docstring says what each does), and what `restore-contract` shares with them: the one
process loop that outlives a Ctrl-C, which arguments choose tests, and the caller's relative paths made absolute.

pytest runs from the checkout's root, so a relative path the caller gives to an option that names a file or folder
the run writes (PATH_OPTIONS, and the variables that set them) is made the caller's before it is passed on; test ids
stay the project's.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from restore_contract import workspace
from restore_contract.settings import ENV

PYTHON = sys.executable  # .venv's: dev.py starts this module with it
CONTRACT_TESTS = "restore_contract/suite"  # the contract suite, as a checkout's test ids name it
PATH_OPTIONS = ("--summary-json", "--reports", "--junitxml", "--junit-xml", "--basetemp", "--log-file")
PATH_VARIABLES = (ENV["summary_json"], ENV["reports"])
# pytest-xdist workers for `test`, more than the cores: much of the time a worker waits on a server's clock (restores
# that take seconds, time budgets) rather than computing. At most 8: each holds the suite's imports and a fork server.
WORKERS = min(2 * (os.cpu_count() or 1), 8)
COMMANDS = ("contract", "test", "seed-golden", "docs")


def _say(message: str) -> None:
    print(f"[dev] {message}", flush=True)


def run_to_its_end(command: list[str], *, say: bool = False, **popen: Any) -> int:
    """Run `command` and wait until it has ended, whatever signal comes meanwhile; its exit code. An interrupted
    contract run cleans up (deletes the scratch databases it created) before it ends. A Ctrl-C reaches it as it
    reaches this process (one process group), so here it only waits; SIGTERM comes to this process alone (`kill`, a
    cancelled CI job), so it is passed on. subprocess.call killed pytest 0.25 s after a Ctrl-C, mid-clean-up."""
    with subprocess.Popen(command, **popen) as process:
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: process.send_signal(signum))
        try:
            while True:
                try:
                    return process.wait()
                except KeyboardInterrupt:
                    if say:
                        _say("interrupted: waiting for the run to end and delete what it created")
        finally:
            signal.signal(signal.SIGTERM, previous)


def names_tests(arg: str, root: Path) -> bool:
    """Whether `arg` chooses tests itself: a node id (`path::name`), a test file, or a folder of tests (tests/ or the
    contract suite) under `root`, where pytest runs; pytest then runs those instead of the whole suite. An option,
    or an option's value, is none of these."""
    if arg.startswith("-"):
        return False
    path = (root / arg.partition("::")[0]).resolve()
    if not path.exists():
        return False
    folder = path.is_dir() and (path.is_relative_to(root / "tests") or path.is_relative_to(workspace.CONTRACT_SUITE))
    return "::" in arg or path.suffix == ".py" or folder


def _callers(path: str, cwd: Path) -> str:
    return path if not path or Path(path).is_absolute() else str(cwd / path)


def callers_paths(args: list[str], cwd: Path) -> list[str]:
    """`args` with the value of every path option (`--opt VALUE` or `--opt=VALUE`) made absolute against `cwd`, the
    folder the command was started in. Anything else, a test id included, and everything after `--`, stays as
    given."""
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


def callers_variables(environ: Mapping[str, str], cwd: Path) -> dict[str, str]:
    """The path variables (PATH_VARIABLES) of `environ` that are relative, made absolute against `cwd`."""
    relative = [name for name in PATH_VARIABLES if environ.get(name) and not Path(environ[name]).is_absolute()]
    return {name: _callers(environ[name], cwd) for name in relative}


def pytest_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """Bytecode on: pytest caches its assertion rewrites of the plugins (saves ~3 s per start)."""
    return {key: value for key, value in environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def in_parallel(args: list[str], root: Path) -> list[str]:
    """pytest-xdist's options for `test` over every test: the run is CPU-bound, and many meta-tests wait on a
    server's clock meanwhile, so it runs on WORKERS workers (`--dist load`: tests go to whichever worker is free).
    None when the caller chose tests (a file, a test: starting workers would be most of the run) or chose a number
    of workers, a distribution or no xdist at all."""
    if any(names_tests(arg, root) for arg in args):
        return []
    if any(arg.startswith(("-n", "--numprocesses", "--dist")) or arg.endswith("no:xdist") for arg in args):
        return []
    return ["-n", str(WORKERS), "--dist", "load", "--maxschedchunk", "1"]


def _run(root: Path, *command: str) -> int:
    _say(" ".join(command))
    return run_to_its_end(list(command), say=True, cwd=root)


def lint_and_types(root: Path) -> int:
    for command in (("-m", "ruff", "check", "."), ("-m", "ruff", "format", "--check", "."), ("-m", "mypy", ".")):
        code = _run(root, PYTHON, *command)
        if code != 0:
            return code
    return 0


def pytest(args: list[str], root: Path) -> int:
    """pytest from the project, the caller's paths made the caller's; exit 5 (no test collected) fails too."""
    environ = pytest_environment(os.environ)
    args, env = callers_paths(args, Path.cwd()), environ | callers_variables(environ, Path.cwd())
    _say("python -m pytest " + " ".join(args))
    return run_to_its_end([PYTHON, "-m", "pytest", *args], say=True, cwd=root, env=env)


def docs(args: list[str], root: Path) -> int:
    """Regenerate the configuration reference from the settings tables, then build the site with MkDocs, strict (a
    warning, a broken link included, fails); `--serve` serves it afterwards with live reload."""
    if args not in ([], ["--serve"]):
        print(f"[dev] docs takes no arguments but --serve, got {' '.join(args)}", file=sys.stderr)
        return 2
    code = _run(root, PYTHON, "-m", "restore_contract.commands.reference")
    # Material's banner about its successor is not a warning of this site's: kept out of the build's output.
    env = os.environ | {"NO_MKDOCS_2_WARNING": "1"}
    site = str(root / "site")  # the built docs (git-ignored)
    for mkdocs in [["build", "--strict", "--site-dir", site], *([["serve", "--strict"]] if args else [])]:
        if code == 0:
            _say("python -m mkdocs " + " ".join(mkdocs))
            code = run_to_its_end([PYTHON, "-m", "mkdocs", *mkdocs], say=True, cwd=root, env=env)
    return code


def main(argv: list[str]) -> int:
    root = workspace.CHECKOUT
    if root is None or not argv or argv[0] not in COMMANDS:
        print(f"[dev] run python3 dev.py {'|'.join(COMMANDS)} from a checkout", file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "contract":
        return pytest(rest if any(names_tests(arg, root) for arg in rest) else [CONTRACT_TESTS, *rest], root)
    if command == "seed-golden":
        return _run(root, PYTHON, "-m", "restore_contract.commands.seed_golden", *rest)
    if command == "docs":
        return docs(rest, root)
    return lint_and_types(root) or pytest([*in_parallel(rest, root), *rest], root)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
