"""pytest plugin for the mutation benchmark's coverage map: each test's lines are recorded under its node id (the
id pytest is given back to run that test alone), setup and teardown included, since a fixture can catch a mutant.

    coverage run -m pytest -p bench.mutation_context ...
"""

from __future__ import annotations

import coverage
import pytest


def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    current = coverage.Coverage.current()
    if current is not None:
        current.switch_context(item.nodeid)
