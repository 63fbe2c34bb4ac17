"""`restore-contract`: the contract suite's console command (`python -m restore_contract.commands.cli`); see --help.

`run`, `replay` and `record` start pytest on the contract suite (restore_contract/suite), passing every argument
after the command (and NAME) on as given, but for `record`'s own --force. From a checkout (pip install -e) pytest
runs from the project's root, as `python3 dev.py contract` does, and a relative path given to an option that names a
file or folder (--summary-json, --reports, --junitxml, ...; dev.py's PATH_OPTIONS) is made the caller's; from an
install, pytest runs in the caller's folder (its root: reports/ and cassettes/ are there). argparse is used only for
the help, since it cannot pass on options it does not know.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, cast

from restore_contract import installed_version, workspace
from restore_contract.commands import seed_golden
from restore_contract.settings import ENV

PROG = "restore-contract"
ROOT = Path(__file__).resolve().parents[2]  # a checkout's root (with dev.py), or site-packages for an install
SUITE = Path(__file__).resolve().parents[1] / "suite"  # the contract suite, in the package either way
CONTRACT_TESTS = "restore_contract/suite"  # a checkout's, as its test ids name it
PROFILE_ENV = ENV["profile"]
EPILOG = """\
pytest runs with this Python, from the project's root when installed from a checkout (pip install -e), else from
the current folder; every argument after the command (and NAME) reaches it as given, --help included (pytest's
help lists the suite's options: --target, --cassette, --record, ...), and the exit code is pytest's; from a
checkout, relative paths given to --summary-json, --reports, --junitxml, ... (and to PRISMA_CONTRACT_SUMMARY_JSON,
PRISMA_CONTRACT_REPORTS) are made absolute: they are the caller's, not the project's. replay and record set
PRISMA_CONTRACT_PROFILE=replay unless it is set already. record refuses to
replace a cassette already in cassettes/NAME/; record NAME --force (or PRISMA_CONTRACT_RECORD_FORCE=1) replaces it.
A live run reads PRISMA_API_URL, PRISMA_API_TOKEN and PRISMA_CONTRACT_* from the environment: against the
emulator, source what `restore-emulator --seed-golden --env-file F` writes to F."""
COMMANDS = {  # name: (its arguments, what it does)
    "run": ("[pytest args]", "run the contract suite: pytest restore_contract/suite ARGS"),
    "replay": ("[NAME] [pytest args]", "replay cassette NAME offline: --target replay (default: the committed one)"),
    "record": ("NAME [pytest args]", "record the live API into cassettes/NAME/ (--force: replace one there)"),
    "seed-golden": ("[args]", "seed a golden source on the live API (docs/nightly.md; --help for its options)"),
}


class UsageError(Exception):
    """A command line this command cannot run: one line on stderr, exit code 2."""


@dataclass(frozen=True)
class PytestRun:
    """What `run`, `replay` and `record` start: `args` after `python -m pytest`, `env` over the caller's."""

    args: list[str]
    env: dict[str, str] = field(default_factory=dict)


class _Dev(Protocol):
    """What this command uses of dev.py, the project's standard-library-only entry point."""

    def callers_paths(self, args: list[str], cwd: Path) -> list[str]: ...

    def callers_variables(self, environ: dict[str, str], cwd: Path) -> dict[str, str]: ...


@functools.cache
def _dev() -> _Dev:
    """dev.py of the checkout this command runs pytest in (ROOT): it holds the one list of path options, and dev.py
    (python3 with nothing installed) can import nothing of the project's packages."""
    path = ROOT / "dev.py"
    spec = importlib.util.spec_from_file_location("restore_contract_dev", path) if path.is_file() else None
    if spec is None or spec.loader is None:
        raise UsageError(f"no dev.py in {ROOT}: install the project from its checkout (pip install -e .)")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return cast(_Dev, module)


def help_parser() -> argparse.ArgumentParser:
    """Only for `--help`: the commands pass their arguments on as given, which argparse cannot do for options
    it does not know (`run --target live` is an error to it, even with nargs=REMAINDER)."""
    width = max(len(f"{name} {arguments}") for name, (arguments, _) in COMMANDS.items())
    listed = "\n".join(f"  {f'{name} {arguments}':{width}}  {text}" for name, (arguments, text) in COMMANDS.items())
    return argparse.ArgumentParser(
        prog=PROG,
        usage="%(prog)s [--version] COMMAND [ARGS ...]",
        description=f"The restore endpoint's contract suite and its companions.\n\ncommands:\n{listed}",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def is_checkout() -> bool:
    """Installed from a checkout (pip install -e .), which has dev.py, or from a wheel, which has the package only."""
    return workspace.CHECKOUT is not None


def names_tests(arg: str, root: Path = ROOT) -> bool:
    """Whether `arg` chooses tests itself (as in dev.py): a node id, a test file, or a folder of tests (tests/ or
    the suite) under `root`, where pytest runs; pytest then runs those instead of the whole suite. An option, or an
    option's value, is none of these."""
    if arg.startswith("-"):
        return False
    path = (root / arg.partition("::")[0]).resolve()
    if not path.exists():
        return False
    folder = path.is_dir() and (path.is_relative_to(root / "tests") or path.is_relative_to(SUITE))
    return "::" in arg or path.suffix == ".py" or folder


def suite_args(args: list[str], root: Path = ROOT) -> list[str]:
    suite = CONTRACT_TESTS if root == ROOT and is_checkout() else str(SUITE)
    return args if any(names_tests(arg, root) for arg in args) else [suite, *args]


def pytest_run(
    command: str, args: list[str], environ: dict[str, str] | None = None, cwd: Path | None = None
) -> PytestRun:
    """The pytest command line `command` (run, replay or record) with `args` stands for, started in `cwd` (default:
    the working directory), with `environ` (default: the process's). Raises UsageError."""
    environ = dict(os.environ) if environ is None else environ
    cwd = Path.cwd() if cwd is None else cwd
    if is_checkout():
        # pytest runs from the project: relative paths the caller gave, in options or variables, are made the
        # caller's (after suite_args, which judges test ids as the project's).
        dev, root = _dev(), ROOT
        env = dev.callers_variables(environ, cwd)
        paths: Callable[[list[str]], list[str]] = functools.partial(dev.callers_paths, cwd=cwd)
    else:  # pytest runs where the caller is, that folder its root: paths are the caller's as given
        env, root = {}, cwd
        paths = functools.partial(_rooted, root=cwd)

    if command == "run":
        return PytestRun(paths(suite_args(args, root)), env)
    if command not in ("replay", "record"):
        raise UsageError(f"no command {command!r}: use one of {', '.join(COMMANDS)} (or --help)")
    if not environ.get(PROFILE_ENV, "").strip():
        env[PROFILE_ENV] = "replay"  # a cassette's profile
    if command == "record" and "--force" in args:  # record's own option: the suite's --record-force
        args = [*(arg for arg in args if arg != "--force"), "--record-force"]
    named = bool(args) and not args[0].startswith("-") and not names_tests(args[0], root)
    name, rest = (args[0], args[1:]) if named else (None, args)
    if command == "replay":
        cassette = ["--cassette", name] if name is not None else []
        return PytestRun(paths(suite_args(["--target", "replay", *cassette, *rest], root)), env)
    if name is None:
        raise UsageError(f"record needs the cassette's NAME first: {PROG} record NAME [--force] [pytest args]")
    return PytestRun(paths(suite_args(["--target", "live", "--record", name, *rest], root)), env)


def _rooted(args: list[str], root: Path) -> list[str]:
    return [*args, "--rootdir", str(root)]


def run_pytest(run: PytestRun) -> int:
    # Bytecode on, as dev.py has it: pytest caches its assertion rewrites of the plugins (~3 s per start).
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"} | run.env
    where = ROOT if is_checkout() else Path.cwd()
    with subprocess.Popen([sys.executable, "-m", "pytest", *run.args], cwd=where, env=env) as process:
        # SIGTERM comes to this process alone (`kill`, a cancelled CI job): pytest gets it too, and cleans up before
        # it ends (a live run deletes its scratch databases), as dev.py's run_to_its_end does.
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: process.send_signal(signum))
        try:
            while True:
                try:
                    return process.wait()
                except KeyboardInterrupt:  # pytest got the Ctrl-C too: it stops, and says how with its exit code
                    continue
        finally:
            signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] in (["-h"], ["--help"]):
        help_parser().print_help()
        return 0
    if args[:1] in (["-V"], ["--version"]):
        print(f"{PROG} {installed_version()}")
        return 0
    try:
        if not args:
            raise UsageError(f"give a command: {', '.join(COMMANDS)} (or --help)")
        command, rest = args[0], args[1:]
        if command == "seed-golden":
            return seed_golden.main(rest)
        return run_pytest(pytest_run(command, rest))
    except UsageError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
