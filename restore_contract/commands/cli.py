"""`restore-contract`: the contract suite's console command (`python -m restore_contract.commands.cli`); see --help.

`run`, `replay` and `record` start pytest on the contract suite (restore_contract/suite), passing every argument
after the command (and NAME) on as given, but for `record`'s own --force. From a checkout (pip install -e) pytest
runs from the project's root, as `python3 dev.py contract` does, and a relative path given to an option that names a
file or folder (--summary-json, --reports, --junitxml, ...: commands/develop.py's PATH_OPTIONS) is made the caller's;
from an install, pytest runs in the caller's folder (its root: reports/ and cassettes/ are there). argparse is used
only for the help, since it cannot pass on options it does not know.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from restore_contract import installed_version, workspace
from restore_contract.commands import seed_golden
from restore_contract.commands.develop import (
    CONTRACT_TESTS,
    callers_paths,
    callers_variables,
    names_tests,
    pytest_environment,
    run_to_its_end,
)
from restore_contract.settings import ENV

PROG = "restore-contract"
ROOT = workspace.root()  # a checkout's root (with dev.py), or the caller's folder for an install
SUITE = workspace.CONTRACT_SUITE
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
        root = ROOT
        env = callers_variables(environ, cwd)
        paths: Callable[[list[str]], list[str]] = functools.partial(callers_paths, cwd=cwd)
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
    env = pytest_environment(os.environ) | run.env
    where = ROOT if is_checkout() else Path.cwd()
    return run_to_its_end([sys.executable, "-m", "pytest", *run.args], cwd=where, env=env)


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
