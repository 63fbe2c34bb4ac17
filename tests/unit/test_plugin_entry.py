"""The plugin's entry module is what every pytest start in an environment with the project installed pays for, the
runs of other projects included: it must import the option table and nothing heavy (bench/startup.py measures
the time; this pins what makes it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What the plugin proper needs and a run of another project must not pay for.
HEAVY = ("httpx", "psycopg", "schemathesis", "jsonschema", "starlette", "uvicorn", "vcr", "pygal", "yaml")
ENTRY_MODULES = {
    "restore_contract",
    "restore_contract.workspace",
    "restore_contract.settings",
    "restore_contract.plugin",
    "restore_contract.plugin.scope",
}


def test_the_plugins_entry_imports_the_option_table_and_nothing_heavy() -> None:
    script = (
        "import json, sys; before = set(sys.modules); import restore_contract.plugin; "
        "print(json.dumps(sorted(set(sys.modules) - before)))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    imported = set(json.loads(done.stdout))

    assert not {name for name in imported if name.partition(".")[0] in HEAVY}
    ours = {name for name in imported if name.startswith("restore_contract")}
    # The emulator's option table and the plain modules it reads (clock, faults, ids, …); no app, no data plane.
    table = {name for name in ours if name.startswith("restore_contract.emulator")}
    assert ours - ENTRY_MODULES <= table | {"restore_contract.dataset", "restore_contract.dataset.tables"}
    assert "restore_contract.emulator.app" not in ours
    assert "restore_contract.plugin.contract_run" not in ours


def test_a_setting_the_table_refuses_stops_the_run_before_the_suites_imports(tmp_path: Path) -> None:
    """A budget that is not a number is one line, found before the suite's modules are imported (they cost ~2 s of
    CPU before the line, and the run imported them for nothing)."""
    script = (
        "import json, sys, pytest; code = pytest.main(sys.argv[1:]); "
        "print(json.dumps([int(code), sorted(m for m in sys.modules if m.startswith('restore_contract.'))]))"
    )
    args = ["restore_contract/suite", "-p", "no:cacheprovider", "--budget=soon", f"--reports={tmp_path}"]
    done = subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, capture_output=True, text=True, timeout=60)

    code, imported = json.loads(done.stdout.strip().splitlines()[-1])
    assert code == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("restore-contract: "), line
    assert "restore_contract.plugin.contract_run" not in imported
    assert not [name for name in imported if name.startswith(("restore_contract.targets", "restore_contract.checks"))]
    assert "soon" in (tmp_path / "summary.md").read_text()


def test_a_run_that_neither_records_nor_replays_never_imports_vcrpy() -> None:
    """vcrpy patches every HTTP library it finds at import (aiohttp's stubs among them): ~0.2 s of CPU that only a
    recording or a replay needs."""
    script = (
        "import json, sys; import restore_contract.plugin.contract_run; "
        "print(json.dumps(sorted(m for m in sys.modules if m.partition('.')[0] in ('vcr', 'aiohttp'))))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(done.stdout) == []
