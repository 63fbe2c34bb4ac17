"""A pytest plugin for bench/default_run.py --floor: the contract run with every test body emptied.

    python -m pytest restore_contract/suite -p bench.empty_bodies

Each Hypothesis test still generates its examples (same settings, same seed), with a body that does nothing; every
other test has its fixtures set up and its body skipped. Nothing is sent but what fixtures send, and nothing is
checked: what such a run costs is start-up, fixtures and generation, a floor under any run of the same examples.
It is a low floor: draws a body would make (`st.data()`) are not made, and no example is rejected by a body.
"""

from __future__ import annotations

from typing import Any

import pytest


def _nothing(*args: Any, **kwargs: Any) -> None:
    """The body of every Hypothesis test: Hypothesis still draws its arguments for each example."""


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    hypothesis = getattr(pyfuncitem.obj, "hypothesis", None)
    if hypothesis is not None:
        hypothesis.inner_test = _nothing  # Hypothesis's documented seam for replacing what runs per example
        return None  # pytest calls the test: Hypothesis generates, `_nothing` runs
    return True  # the call is done: fixtures were set up, the body is skipped
