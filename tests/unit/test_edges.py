"""Settings are read once, at the edges (issue 29): the plugin (restore_contract/plugin/) and each command's `main`
(restore_contract/commands/, every `__main__.py`) read the environment and the command line into one frozen
`Settings` (restore_contract/settings.py) and pass it down; nothing below them touches `os.environ` or pytest's
`Config`. Every variable the code names is declared in a table, and every declared setting is read somewhere."""

from __future__ import annotations

import ast
import dataclasses
import re
from collections import Counter
from pathlib import Path

from restore_contract.emulator.config import OPTIONS as EMULATOR_OPTIONS
from restore_contract.emulator.config import EmulatorConfig
from restore_contract.settings import TABLE, Settings

PACKAGE = Path(__file__).resolve().parents[2] / "restore_contract"
TESTS = Path(__file__).resolve().parents[1]
EDGES = ("plugin/", "commands/")
# compat adapts pinned libraries' private APIs, pytest's terminal among them (terminal_fd takes its Config).
CONFIG_ADAPTERS = ("compat/",)
VARIABLE = re.compile(r"^(PRISMA|GITHUB|RESTORE)_[A-Z0-9_]*[A-Z0-9]$")
# Written for others, never read: the emulator's --env-file tells a shell the server's pid.
WRITTEN_ONLY = {"RESTORE_EMULATOR_PID"}


def _modules() -> dict[str, ast.Module]:
    return {
        path.relative_to(PACKAGE).as_posix(): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def _is_edge(name: str) -> bool:
    return name.startswith(EDGES) or name.endswith("__main__.py")


def _reads_outside_settings(tree: ast.Module) -> list[str]:
    """What in `tree` reads the environment or pytest's configuration directly."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if (node.value.id, node.attr) in {("os", "environ"), ("os", "getenv"), ("os", "environb")}:
                found.append(f"os.{node.attr}")
            if (node.value.id, node.attr) == ("pytest", "Config"):
                found.append("pytest.Config")
        if isinstance(node, ast.Attribute) and node.attr == "getoption":
            found.append(".getoption")
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            found += [
                f"from os import {alias.name}" for alias in node.names if alias.name.startswith(("environ", "getenv"))
            ]
    return found


def test_only_the_edges_read_the_environment_and_the_command_line() -> None:
    offenders = {
        name: reads
        for name, tree in _modules().items()
        if not _is_edge(name)
        and (
            reads := [
                r
                for r in _reads_outside_settings(tree)
                if not (r == "pytest.Config" and name.startswith(CONFIG_ADAPTERS))
            ]
        )
    }
    assert offenders == {}, "read it in the edge's Settings and pass it down"


def test_the_check_sees_a_read_below_the_edges() -> None:
    """The scan is not vacuous: each form of a direct read is found."""
    code = "import os, pytest\nos.environ.get('X')\nos.getenv('X')\ndef f(c: pytest.Config): c.getoption('--x')\n"
    assert sorted(_reads_outside_settings(ast.parse(code))) == [
        ".getoption",
        "os.environ",
        "os.getenv",
        "pytest.Config",
    ]


def _declared() -> set[str]:
    return {setting.env for setting in TABLE} | {str(option.env) for option in EMULATOR_OPTIONS.values() if option.env}


def _named_variables() -> Counter[tuple[str, str]]:
    """(module, variable) for each string constant in the package that is a whole variable name."""
    return Counter(
        (name, node.value)
        for name, tree in _modules().items()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and VARIABLE.match(node.value)
    )


def test_every_variable_the_code_names_is_declared_once() -> None:
    named = _named_variables()
    assert {variable for _, variable in named} - _declared() - WRITTEN_ONLY == set()
    # Outside its declaration the suite names a variable through the table (settings.ENV); the emulator, the
    # server's stand-in, imports nothing of the suite and writes the variables it exports (--env-file) by name.
    suite_side = Counter(
        variable for (name, variable), count in named.items() for _ in range(count) if not name.startswith("emulator/")
    )
    assert [variable for variable, count in suite_side.items() if count > 1] == []


def _attributes_read(skip: str) -> set[str]:
    """Attributes read anywhere in the package but `skip`, or in the project's tests (the drift test reads its
    setting: it runs in every CI run)."""
    trees = [tree for name, tree in _modules().items() if name != skip]
    trees += [ast.parse(path.read_text(encoding="utf-8")) for path in TESTS.rglob("*.py")]
    return {
        node.attr
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load)
    }


def test_every_declared_setting_is_read_somewhere() -> None:
    """A setting parsed and never read is a setting that silently does nothing (PRISMA_UPSTREAM_OPENAPI once)."""
    read = _attributes_read(skip="settings.py")
    assert [field.name for field in dataclasses.fields(Settings) if field.name not in read] == []
    emulator_read = _attributes_read(skip="emulator/config.py")
    assert [name for name in EMULATOR_OPTIONS if name not in emulator_read] == []
    assert set(EMULATOR_OPTIONS) <= {field.name for field in dataclasses.fields(EmulatorConfig)}


def test_one_module_knows_where_the_checkout_is() -> None:
    """restore_contract/workspace.py alone climbs from a module's file to a folder above it (`parents[…]`): six modules
    once did, one of them to a folder outside the checkout. A module's own package data (`.parent`) is its own."""
    climbing = sorted(
        name
        for name, tree in _modules().items()
        if name != "workspace.py"
        for node in ast.walk(tree)
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "parents"
    )
    assert climbing == []


# Modules that may spell a /v1 path: the client, the server's stand-in, the contract, and the guard (which reads them).
PATH_SPELLERS = ("targets/api.py", "emulator/", "contracts/", "targets/guard.py")
OPENAPI_TEMPLATE = re.compile(r"^/v1/[\w/{}-]*\{[A-Za-z]+\}[\w/{}-]*$")  # a key of the OpenAPI document, looked up


def _paths_built(tree: ast.Module) -> list[str]:
    """The /v1 paths `tree` spells, as literals or f-strings (an OpenAPI template, a lookup key, is no request)."""
    found, parts = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts |= {id(value) for value in node.values}
            first = node.values[0] if node.values else None
            if isinstance(first, ast.Constant) and str(first.value).startswith("/v1"):
                found.append(ast.unparse(node))
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)) or id(node) in parts:
            continue
        if node.value.startswith("/v1") and not OPENAPI_TEMPLATE.match(node.value):
            found.append(node.value)
    return found


def test_every_request_the_suite_sends_on_purpose_goes_through_the_client() -> None:
    """One client (restore_contract/targets/api.py) spells the Management API's paths, each id encoded one way; 24
    paths were once built by hand, 16 of them without encoding the id."""
    built = {
        name: paths
        for name, tree in _modules().items()
        if not name.startswith(PATH_SPELLERS) and (paths := _paths_built(tree))
    }
    assert built == {}


def test_the_path_check_sees_a_hand_built_path() -> None:
    code = (
        'get(f"/v1/databases/{database_id}")\nPROBE = "/v1/databases/db_x/backups"\nKEY = "/v1/databases/{databaseId}"'
    )
    assert sorted(_paths_built(ast.parse(code))) == ["/v1/databases/db_x/backups", "f'/v1/databases/{database_id}'"]
