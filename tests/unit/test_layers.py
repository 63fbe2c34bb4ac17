"""The architecture, enforced: contract → data/strategies/emulator → targets → checks → run, no import pointing back up,
and no import cycle between modules (imports for type checking count: they are dependencies too)."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "restore_contract"  # the one package; modules named within it
PACKAGE = "restore_contract."
# Each package, and the project packages it may import (itself always).
LAYERS: dict[str, set[str]] = {
    "compat": set(),  # the pinned libraries' private APIs, nothing of the project's
    # the settings table: what each setting is, nothing of what uses it; emulator: its options' own table (the
    # emulator's server command shares it, and the emulator imports nothing of the suite)
    "settings": {"emulator"},
    "workspace": set(),  # where the suite's own files are: a checkout, or the working directory
    "contracts": set(),
    "dataset": set(),
    "redaction": set(),
    "strategies": {"contracts", "compat", "settings", "workspace"},
    "emulator": {"contracts", "dataset", "redaction"},
    "targets": {"contracts", "dataset", "redaction", "emulator", "compat", "settings", "workspace"},
    # the judging: the properties, the probe, the schema; nothing of the run that drives them
    "checks": {"contracts", "dataset", "redaction", "targets", "compat", "settings", "workspace"},
    # the run's machinery: the driver, the budget, restores in flight, the settings' preflight, the run's record
    "run": {"checks", "targets", "contracts", "dataset", "redaction", "compat", "settings", "workspace"},
    "harness": {"emulator", "workspace"},
    # reads the run's typed record and its parts (run/record.py, run/report.py, run/coverage.py), never the driver or
    # pytest (test_reporting_reads_the_record_not_the_run_machinery)
    "reporting": {"run"},
    # the contract suite's tests: what they arrange and judge with (the plugin gives them their fixtures)
    "suite": {"contracts", "dataset", "redaction", "strategies", "targets", "checks", "run", "compat", "settings"},
    # emulator: docs/configuration.md is rendered from its options table (commands/reference.py)
    "commands": {"contracts", "dataset", "redaction", "emulator", "targets", "settings", "workspace"},
    # the pytest plugin: wires the layers below into a run
    "plugin": {
        "compat",
        "settings",
        "workspace",
        "contracts",
        "strategies",
        "emulator",
        "targets",
        "checks",
        "run",
        "reporting",
    },
    # emulator: its options and the in-process emulator the parity compare runs; no harness (tests start servers)
    "parity": {"contracts", "dataset", "redaction", "targets", "emulator", "settings"},
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Project modules `path` imports (`from package import name` names both, the graph keeps the module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    within = {name.removeprefix(PACKAGE) for name in found if name.startswith(PACKAGE)}
    return {name for name in within if name.split(".")[0] in LAYERS}


def _graph() -> dict[str, set[str]]:
    """Module → the project modules it imports: `from package import module` is an edge to the module, and a
    module's own enclosing packages are not edges (Python runs them first, whoever imports what)."""
    modules = {_module_name(path): path for path in ROOT.rglob("*.py") if path != ROOT / "__init__.py"}
    graph = {}
    for name, path in modules.items():
        imported = _imports(path)
        graph[name] = {
            target
            for target in imported
            if target in modules
            and not name.startswith(target + ".")
            and target != name
            and not any(other.startswith(target + ".") for other in imported if other in modules)
        }
    return graph


def test_no_package_imports_a_layer_above_it() -> None:
    upward = sorted(
        f"{module} imports {target}"
        for module, targets in _graph().items()
        for target in targets
        if target.split(".")[0] not in LAYERS[module.split(".")[0]] | {module.split(".")[0]}
    )
    assert upward == []


def test_every_module_belongs_to_a_layer() -> None:
    assert {name.split(".")[0] for name in _graph()} == set(LAYERS)


def test_modules_import_each_other_without_cycles() -> None:
    try:
        TopologicalSorter(_graph()).prepare()
    except CycleError as cycle:
        raise AssertionError(f"import cycle: {' → '.join(cycle.args[1])}") from None


def test_the_graph_holds_the_imports() -> None:
    """So the two tests above can fail: the graph has the edges the code has."""
    graph = _graph()
    assert "checks.restore" in graph["run.driver"]
    assert "contracts.loader" in graph["contracts.validators"]  # `from contracts import loader`: the module


JUDGING = {"restore", "builtin", "probe", "violation", "schema", "tally"}  # checks/ judges; the run's machinery is run/


def test_checks_holds_only_the_judging() -> None:
    """checks/ judges answers; what drives a run (driver, budget, in flight, progress, record, report, repro, coverage,
    configuration) lives in run/, so checks/ never needs anything of it."""
    assert {path.stem for path in (ROOT / "checks").glob("*.py")} - {"__init__"} == JUDGING
    assert "run" not in LAYERS["checks"]
    assert not any(
        target.startswith("run.")
        for module, targets in _graph().items()
        if module.startswith("checks.")
        for target in targets
    )


def _closure(start: set[str], graph: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(start)
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo += graph.get(module, set())
    return seen


def _third_party(module: str) -> set[str]:
    """The top-level packages outside the project that `module` imports."""
    path = ROOT.joinpath(*module.split(".")).with_suffix(".py")
    path = path if path.is_file() else path.with_suffix("") / "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_reporting_reads_the_record_not_the_run_machinery() -> None:
    """The reports read the typed record; what they import, all the way down, is neither the driver, the budget,
    restores in flight, the plugin, nor pytest: writing a record's reports never needs a run."""
    graph = _graph()
    reporting = {module for module in graph if module.startswith("reporting")}
    needed = _closure(reporting, graph)
    assert "run.record" in needed
    machinery = {"run.driver", "run.budget", "run.inflight", "run.progress", "run.configuration"}
    assert sorted(needed & machinery) == []
    assert sorted(module for module in needed if module.startswith(("plugin", "suite"))) == []
    assert sorted(module for module in needed if "pytest" in _third_party(module)) == []
