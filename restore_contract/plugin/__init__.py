"""The pytest plugin the suite runs through, installed with the project (pyproject's `pytest11` entry point, as
schemathesis ships its own).

pytest loads this module at every start in an environment the project is installed in, the runs of other projects
included, so it stays light: it adds the suite's options (`--help` lists them) and, for a run that includes the
contract suite (restore_contract/suite), registers the plugin proper (`contract_run`) before pytest configures
anything. Any other run pays for the option table alone.
"""

from __future__ import annotations

import sys
from collections.abc import Generator

import pytest

from restore_contract import workspace
from restore_contract.emulator.config import add_options as add_emulator_options
from restore_contract.plugin.scope import is_xdist_worker, runs_contract_tests
from restore_contract.settings import add_options as add_setting_options


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("restore-contract")
    add_setting_options(group.addoption)  # --target, --budget, --restore-timeout, …: one row each
    add_emulator_options(group.addoption, suite=True)  # --emulator-clock, --emulator-fault, …


def pytest_configure(config: pytest.Config) -> None:
    # Registered for every run: the project's own tests import the suite's modules, which use it.
    config.addinivalue_line("markers", "budget_weight(w): the test's weight in sharing the run's time budget (1)")
    config.addinivalue_line("markers", "decisive: a cheap probe of one documented answer, run before all the others")


@pytest.hookimpl(tryfirst=True)  # before pytest configures anything, and before xdist starts its workers
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    if config.option.help or config.option.version:
        return None
    contract = runs_contract_tests(config)
    if not (contract or config.rootpath == workspace.CHECKOUT):
        return None  # another project's tests: nothing of the suite's
    if contract and not is_xdist_worker(config):
        from restore_contract.plugin.stopping import begin, settings_mistake, stop

        if (mistake := settings_mistake(config)) is not None:  # before the suite's imports (~2 s of CPU)
            return stop(mistake, begin(config))
    try:  # the project's own tests import all of it anyway: a Python that lacks a dependency is one line here
        from restore_contract.plugin import contract_run, start
    except ModuleNotFoundError as error:
        return _stop_for_missing(error)
    if not contract:
        return None
    config.pluginmanager.register(contract_run, "restore-contract-run")
    return start.start(config)


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests() -> Generator[None, None, None]:
    """The project's conftest files import the suite's dependencies: where they are missing (a Python other than
    the project's virtualenv), one line instead of pytest's report of a conftest that failed to import."""
    try:
        return (yield)
    except Exception as error:
        cause = getattr(error, "cause", None)  # pytest's ConftestImportFailure carries the import's error
        if isinstance(cause, ModuleNotFoundError) and not _ours(cause):
            raise SystemExit(_stop_for_missing(cause)) from None
        raise


def _ours(error: ModuleNotFoundError) -> bool:
    return (error.name or "").partition(".")[0] == "restore_contract"


def _stop_for_missing(error: ModuleNotFoundError) -> int:
    """One line for a dependency this Python lacks (exit code 2, as for every configuration mistake)."""
    if _ours(error):
        raise error
    fix = (
        "run python3 dev.py contract (or python3 dev.py test): it sets up .venv/ and runs pytest with it"
        if workspace.CHECKOUT is not None
        else "install restore-contract with its dependencies into this environment (pip install restore-contract)"
    )
    print(f"restore-contract: this Python ({sys.executable}) lacks {error.name}, which the suite needs: {fix}",
          file=sys.stderr)  # fmt: skip
    return 2
