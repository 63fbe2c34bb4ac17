"""The project installed from its wheel into another project's environment: pytest there works as before, its
--help lists the suite's options, and the console commands work from that project's folder."""

from __future__ import annotations

import re

from tests.installed.conftest import Installed


def test_pytest_help_lists_the_suites_options_where_the_wheel_is_installed(installed: Installed) -> None:
    done = installed.run("python", "-m", "pytest", "--help")

    assert done.returncode == 0, done.stderr[-3000:]
    assert "restore-contract:" in done.stdout
    assert "--target=NAME" in done.stdout
    assert "Traceback" not in done.stderr


def test_restore_contract_run_help_is_pytests_help_with_the_suites_options(installed: Installed) -> None:
    done = installed.run("restore-contract", "run", "--help")

    assert done.returncode == 0, done.stderr[-3000:]
    assert "--target=NAME" in done.stdout
    assert "--emulator-clock" in done.stdout


def test_another_projects_tests_run_as_without_the_plugin(installed: Installed) -> None:
    done = installed.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_other.py")

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "1 passed" in done.stdout


def test_an_installed_run_reads_like_a_checkouts(installed: Installed) -> None:
    """Ids relative to the caller's folder (no site-packages path), and progress that reaches 100 % once every test
    ran: schemathesis's operations of one test used to share one node id, and pytest's progress counts distinct ids."""
    done = installed.run(
        "restore-contract", "run", "-p", "no:cacheprovider", "--emulator-data=memory", "-k", "scaffold"
    )

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "site-packages" not in done.stdout
    assert re.search(r"^test_schemathesis\.py \.{6} +\[100%\]$", done.stdout, re.MULTILINE), done.stdout[-3000:]
