"""pytest plugin for the mutation benchmark's coverage map: each test's lines are recorded under its node id (the
id pytest is given back to run that test alone), setup and teardown included, since a fixture can catch a mutant;
and each test's duration, written to $MUTATION_DURATIONS at the end, so a mutant's tests run quickest first.

    MUTATION_DURATIONS=durations.json coverage run -m pytest -p bench.mutation_context ...
"""

from __future__ import annotations

import json
import os
from collections import defaultdict

import coverage
import pytest

_SECONDS: defaultdict[str, float] = defaultdict(float)


def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    current = coverage.Coverage.current()
    if current is not None:
        current.switch_context(item.nodeid)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _SECONDS[report.nodeid] += report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = os.environ.get("MUTATION_DURATIONS")
    if path:
        with open(path, "w", encoding="utf-8") as output:
            json.dump(dict(_SECONDS), output)
