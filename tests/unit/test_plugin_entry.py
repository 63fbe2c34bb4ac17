"""The plugin's entry module is what every pytest start in an environment with the project installed pays for, the
runs of other projects included: it must import the option table and nothing heavy (bench/startup.py measures
the time; this pins what makes it)."""

from __future__ import annotations

import json
import subprocess
import sys

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
