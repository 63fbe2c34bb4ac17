"""Which pytest runs the suite's plugin acts on: those whose tests include the contract suite. Standard library and
pytest only: the plugin's entry module asks here at every pytest start of an environment the project is installed in."""

from __future__ import annotations

import pytest

from restore_contract.workspace import CONTRACT_SUITE


def runs_contract_tests(config: pytest.Config) -> bool:
    """Whether the tests the run was given include the contract suite (or lie inside it)."""
    for arg in config.args or ["."]:
        path = (config.invocation_params.dir / arg.split("::", 1)[0]).resolve()
        if CONTRACT_SUITE.is_relative_to(path) or path.is_relative_to(CONTRACT_SUITE):
            return True
    return False


def is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")
