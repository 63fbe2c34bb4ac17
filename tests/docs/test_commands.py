"""Every shell block in the README and docs/ either runs here or is marked, on the line before it, with the test
that runs it (`<!-- runs in: tests/…::test_… -->`, or `.ci/run`) or with what it needs that a test cannot have
(`<!-- needs: live API -->`). The blocks run here are the cheap, safe ones (--help, --version, --list-faults), and
every command of every block, run or not, must name what exists: a dev.py command, a restore-contract command, an
importable module, a script in the checkout. A command in a page that breaks fails here."""

from __future__ import annotations

import ast
import importlib.util
import os
import shlex
import subprocess
from pathlib import Path

import pytest

from restore_contract.commands import cli, develop
from tests.docs.pages import ROOT, Block, shell_blocks

BLOCKS = shell_blocks()
UNMARKED = [block for block in BLOCKS if block.marker is None]
# What a block may need that no test here can have; each is a reason a reader understands.
NEEDS = {
    "live API": "a Prisma workspace's token and databases",
    "a benchmark's minutes": "benchmarks run for minutes and print figures, they pass nothing",
    "an upstream OpenAPI document": "a download of the API's published document",
    "a PostgreSQL server of yours": "a superuser DSN of a server that is not the embedded one",
}
SAFE_LAST = ("--help", "--version", "--list-faults")  # what an unmarked block's commands may do: print and exit
SHELL_WORDS = {"until", "do", "done", "then", "fi", "if", "while"}
PROGRAMS = {"rm", "sleep", ".", "source", "kill", "eval", "cd", "[", "curl", "export", "test", "nice"}


def ids(blocks: list[Block]) -> list[str]:
    return [block.name for block in blocks]


def simple_commands(block: Block) -> list[list[str]]:
    """The block's simple commands as words (comments dropped; split at ;, &&, ||, | and &)."""
    commands: list[list[str]] = []
    for line in block.commands():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        current: list[str] = []
        for word in lexer:
            if word in (";", "&&", "||", "|", "&"):
                commands.append(current)
                current = []
            else:
                current.append(word)
        commands.append(current)
    return [command for command in commands if command]


def problem(words: list[str]) -> str | None:
    """Why this command cannot work as written, or None."""
    while words and (words[0] in SHELL_WORDS or ("=" in words[0] and not words[0].startswith("-"))):
        words = words[1:]  # `until …; do …`, `NAME=value command`
    if not words or words[0] in PROGRAMS:
        return None
    program, args = Path(words[0]).name, words[1:]
    if words[0].startswith(".venv/bin/") and not (ROOT / words[0]).exists():
        return f"no {words[0]} (python3 dev.py setup installs it)"
    if program in ("python", "python3"):
        if args[:1] == ["dev.py"]:
            command = args[1] if len(args) > 1 else ""
            return (
                None
                if command in (*develop.COMMANDS, "setup") or command.startswith("-")
                else f"dev.py has no command {command!r}"
            )
        if args[:1] == ["-m"]:
            return None if importlib.util.find_spec(args[1]) else f"no module {args[1]}"
        return None if args and (ROOT / args[0]).is_file() else f"no script {args[:1]}"
    if program == "restore-contract":
        command = args[0] if args else ""
        return None if command in cli.COMMANDS or command.startswith("-") else f"restore-contract has no {command!r}"
    if program == "restore-emulator":
        return None
    return f"{words[0]} is not a command these docs use (add it to PROGRAMS if it is meant)"


def test_every_shell_block_runs_here_or_is_marked() -> None:
    unsafe = [
        f"{block.name}: {line}"
        for block in UNMARKED
        for line in block.commands()
        if not shlex.split(line, comments=True)[-1:] or shlex.split(line, comments=True)[-1] not in SAFE_LAST
    ]
    assert not unsafe, (
        "blocks that are neither cheap (--help, --version, --list-faults) nor marked with the test that runs them "
        "(<!-- runs in: tests/…::test_… -->) or what they need (<!-- needs: live API -->):\n" + "\n".join(unsafe)
    )


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.marker], ids=ids([b for b in BLOCKS if b.marker]))
def test_each_marker_names_a_test_that_exists_or_a_known_need(block: Block) -> None:
    assert block.marker is not None
    kind, what = block.marker
    if kind == "needs":
        assert what in NEEDS, f"{block.name}: needs {what!r}? one of {sorted(NEEDS)}"
        return
    for place in (part.strip() for part in what.split(";")):
        path, _, test = place.partition("::")
        file = ROOT / path
        assert file.is_file(), f"{block.name}: runs in {path}, which does not exist"
        if test:
            tree = ast.parse(file.read_text(encoding="utf-8"))
            defined = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
            assert test in defined, f"{block.name}: no test {test} in {path}"
        elif file.suffix != ".py":  # a script: it must hold one of the block's commands
            text = file.read_text(encoding="utf-8")
            assert any(line.split("#")[0].strip() in text for line in block.commands()), (block.name, path)


@pytest.mark.parametrize("block", BLOCKS, ids=ids(BLOCKS))
def test_every_command_names_what_exists(block: Block) -> None:
    syntax = subprocess.run(["bash", "-n"], input=block.text, capture_output=True, text=True, timeout=10)
    assert syntax.returncode == 0, f"{block.name}: {syntax.stderr}"
    problems = [f"{' '.join(words)}: {why}" for words in simple_commands(block) if (why := problem(words))]
    assert not problems, f"{block.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("block", UNMARKED, ids=ids(UNMARKED))
def test_the_unmarked_blocks_run(block: Block) -> None:
    done = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + block.text],
        cwd=ROOT,
        env=os.environ | {"PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"{block.name} failed ({done.returncode}):\n{done.stderr[-2000:]}"
    assert done.stdout.strip(), f"{block.name} printed nothing"


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("python3 dev.py contarct", "dev.py has no command 'contarct'"),
        (".venv/bin/python -m restore_contract.parity.nothing compare emulator", "no module"),
        (".venv/bin/python bench/gone.py", "no script"),
        ("restore-contract rerun nightly", "restore-contract has no 'rerun'"),
        ("make docs", "is not a command"),
    ],
)
def test_a_broken_command_is_caught(line: str, why: str) -> None:
    block = Block(ROOT / "README.md", 1, "sh", line, None)
    [words] = simple_commands(block)
    assert why in (problem(words) or "")
