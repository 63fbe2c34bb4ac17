#!/usr/bin/env python3
"""One entry point that works on a machine with nothing but python3.

    python3 dev.py contract [pytest args]   set up, then run the contract suite (the main job), or the tests
                                            the args name (a node id, a file or folder of tests)
    python3 dev.py test [pytest args]       set up, then lint, type-check and run every test
    python3 dev.py seed-golden [args]       set up, then seed a golden source on a live API (docs/nightly.md)
    python3 dev.py docs [--serve]           set up, regenerate docs/configuration.md and build the docs into
                                            site/ (--serve: then serve them at http://127.0.0.1:8000)
    python3 dev.py setup                    only create/refresh the virtualenv

Setup creates `.venv/` and installs the project with its dev extras (with uv, or pip where uv fails); it is skipped
when `pyproject.toml` has not changed since the last install, so repeated runs start in a second.
Only the standard library is used here, because nothing else exists before setup; the commands themselves are
restore_contract/commands/develop.py, run with .venv's Python.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path
from typing import NoReturn

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
STAMP = VENV / ".installed-pyproject.sha256"

COMMANDS = ("contract", "test", "seed-golden", "docs", "setup")
PIP_QUIET = ("--quiet", "--disable-pip-version-check")


def _say(message: str) -> None:
    print(f"[dev] {message}", flush=True)


def _run(*command: str | Path) -> int:
    _say(" ".join(str(part) for part in command))
    return subprocess.call([str(part) for part in command], cwd=ROOT)


def setup() -> None:
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if not PYTHON.exists():
        _say(f"creating virtualenv in {VENV}")
        venv.create(VENV, with_pip=True)
    if not _install_with_uv() and _run(PYTHON, "-m", "pip", "install", *PIP_QUIET, "-e", ".[dev]") != 0:
        sys.exit("[dev] installing the project failed: see pip's message above (is PyPI reachable?)")
    STAMP.write_text(wanted + "\n")


def _install_with_uv() -> bool:
    """Install the project with uv, pip's drop-in: a fresh clone's setup takes ~20 s and ~30 CPU-s instead of pip's
    ~70 s and ~65 (the same packages and versions, bytecode compiled as pip does), which every fresh CI run pays.
    False when uv cannot be had or fails (e.g. a machine that reaches only a mirror set in pip's own configuration,
    which uv does not read): pip then installs, as it always did."""
    have_uv = _run(PYTHON, "-m", "pip", "install", *PIP_QUIET, "uv>=0.9") == 0
    uv = ("-m", "uv", "pip", "install", "--quiet", "--compile-bytecode", "--python", str(PYTHON), "-e", ".[dev]")
    if have_uv and _run(PYTHON, *uv) == 0:
        return True
    _say("uv could not install the project: pip installs it instead")
    return False


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
    setup()
    if argv[0] == "setup":
        return 0
    return hand_over(argv)


def hand_over(argv: list[str]) -> NoReturn:
    """The project's own module takes over, in .venv's Python (this file can import nothing of the project's): the
    process becomes it, so a signal reaches it as it would have reached this one."""
    command = [str(PYTHON), "-m", "restore_contract.commands.develop", *argv]
    os.execv(command[0], command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
