"""`restore-contract`: the contract suite's console command (`python -m commands.cli`); `--help` says how.

`run`, `replay` and `record` start pytest on tests/contract from the project's root, passing every argument
after the command (and NAME) on unchanged; argparse is used only for the help, since it cannot pass on
options it does not know.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from commands import seed_golden

PROG = "restore-contract"
ROOT = Path(__file__).resolve().parents[1]  # the project: the parent of the `commands` package
CONTRACT_TESTS = "tests/contract"
PROFILE_ENV = "PRISMA_CONTRACT_PROFILE"
EPILOG = """\
pytest runs from the project's root with this Python; every argument after the command (and NAME) reaches it
unchanged, --help included (pytest's help lists the suite's options: --target, --cassette, --record, ...), and
the exit code is pytest's. replay and record set PRISMA_CONTRACT_PROFILE=replay unless it is set already.
A live run reads PRISMA_API_URL, PRISMA_API_TOKEN and PRISMA_CONTRACT_* from the environment: against the
emulator, source what `restore-emulator --seed-golden --env-file F` writes to F."""
COMMANDS = {  # name: (its arguments, what it does)
    "run": ("[pytest args]", "run the contract suite: pytest tests/contract ARGS"),
    "replay": ("[NAME] [pytest args]", "replay cassette NAME offline: --target replay (default: the committed one)"),
    "record": ("NAME [pytest args]", "record the live API into cassettes/NAME/: --target live --record NAME"),
    "seed-golden": ("[args]", "seed a golden source on the live API (README: Live; --help for its options)"),
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
        usage="%(prog)s COMMAND [ARGS ...]",
        description=f"The restore endpoint's contract suite and its companions.\n\ncommands:\n{listed}",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def names_tests(arg: str, root: Path = ROOT) -> bool:
    """Whether `arg` chooses tests itself (as in dev.py): a node id, a test file, or a folder under tests/; pytest
    then runs those instead of tests/contract. An option, or an option's value, is none of these."""
    if arg.startswith("-"):
        return False
    path = (root / arg.partition("::")[0]).resolve()
    if not path.exists():
        return False
    return "::" in arg or path.suffix == ".py" or (path.is_dir() and path.is_relative_to(root / "tests"))


def suite_args(args: list[str]) -> list[str]:
    return args if any(names_tests(arg) for arg in args) else [CONTRACT_TESTS, *args]


def pytest_run(command: str, args: list[str], environ: dict[str, str] | None = None) -> PytestRun:
    """The pytest command line `command` (run, replay or record) with `args` stands for. Raises UsageError."""
    environ = dict(os.environ) if environ is None else environ
    profile = {} if environ.get(PROFILE_ENV, "").strip() else {PROFILE_ENV: "replay"}  # a cassette's profile
    if command == "run":
        return PytestRun(suite_args(args))
    named = bool(args) and not args[0].startswith("-") and not names_tests(args[0])
    name, rest = (args[0], args[1:]) if named else (None, args)
    if command == "replay":
        cassette = ["--cassette", name] if name is not None else []
        return PytestRun(suite_args(["--target", "replay", *cassette, *rest]), profile)
    if command == "record":
        if name is None:
            raise UsageError(f"record needs the cassette's NAME first: {PROG} record NAME [pytest args]")
        return PytestRun(suite_args(["--target", "live", "--record", name, *rest]), profile)
    raise UsageError(f"no command {command!r}: use one of {', '.join(COMMANDS)} (or --help)")


def run_pytest(run: PytestRun) -> int:
    if not (ROOT / CONTRACT_TESTS).is_dir():
        raise UsageError(f"no {CONTRACT_TESTS}/ in {ROOT}: install the project from its checkout (pip install -e .)")
    # Bytecode on, as dev.py has it: pytest caches its assertion rewrites of the plugins (~3 s per start).
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"} | run.env
    with subprocess.Popen([sys.executable, "-m", "pytest", *run.args], cwd=ROOT, env=env) as process:
        while True:
            try:
                return process.wait()
            except KeyboardInterrupt:  # pytest got the Ctrl-C too: it stops, and says how with its exit code
                continue


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] in (["-h"], ["--help"]):
        help_parser().print_help()
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
