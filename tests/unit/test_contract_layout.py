"""The contract tests say what they arrange and check; concurrency stays behind the driver."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any, cast

from restore_contract.suite.test_lifecycle import Lifecycle, lifecycle

CONTRACT = Path(__file__).resolve().parents[2] / "restore_contract" / "suite"
# The driver's concurrency (restores verified in the background): tests ask the driver, never these.
CONCURRENCY = {"inflight", "settle", "first_free"}


def test_contract_tests_leave_the_restores_in_flight_to_the_driver() -> None:
    used = [
        f"{path.name}:{node.lineno} .{node.attr}"
        for path in sorted(CONTRACT.glob("*.py"))
        if path.name != "conftest.py"  # the suite's wiring builds the driver and its restores in flight
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and node.attr in CONCURRENCY
    ]
    assert used == []


def test_each_run_gets_a_lifecycle_model_of_its_own() -> None:
    first, second = (cast(Any, object()), cast(Any, object())), (cast(Any, object()), cast(Any, object()))
    one, other = lifecycle(*first), lifecycle(*second)
    assert (one.driver, one.pool) == first
    assert (other.driver, other.pool) == second
    assert issubclass(one, Lifecycle)
    assert "driver" not in vars(Lifecycle), "nothing of a run is left on the model itself"
