"""The plugin proper, registered by the entry module (`restore_contract.plugin`) for a run that includes the contract
suite: settings and the header (`start`), the target, pool and driver fixtures (`fixtures`), what happens around each
test (`tests`), and the run's record and summary (`finish`), over one `Run` (`run`)."""

from restore_contract.plugin.finish import (
    pytest_sessionfinish,
    pytest_terminal_summary,
    pytest_testnodedown,
    pytest_unconfigure,
)
from restore_contract.plugin.fixtures import driver, pool, target
from restore_contract.plugin.start import pytest_configure, pytest_report_header
from restore_contract.plugin.tests import (
    pytest_collection_modifyitems,
    pytest_pyfunc_call,
    pytest_runtest_makereport,
    pytest_runtest_setup,
)

__all__ = [
    "driver",
    "pool",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "pytest_pyfunc_call",
    "pytest_report_header",
    "pytest_runtest_makereport",
    "pytest_runtest_setup",
    "pytest_sessionfinish",
    "pytest_terminal_summary",
    "pytest_testnodedown",
    "pytest_unconfigure",
    "target",
]
