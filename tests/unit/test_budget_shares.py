"""A test's share of the run's time budget is counted over what its own process runs: under N xdist workers each
runs about 1/N of what is left, so dividing by the whole collection gave every test about 1/N of its share (the
heaviest first tests ran short while the last ones had time to spare)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest

from restore_contract.plugin.tests import weights_left as _weights_left
from restore_contract.workspace import CONTRACT_SUITE


@dataclass
class _Marker:
    args: tuple[float, ...]


@dataclass
class _Session:
    items: list[Any] = field(default_factory=list)


@dataclass
class _Config:
    workerinput: dict[str, Any] | None = None


@dataclass(eq=False)
class _Item:
    """What weights_left reads of a pytest item: its weight marker, fixtures, path, session and config."""

    budget: float
    session: _Session
    config: _Config
    fixturenames: tuple[str, ...] = ("driver",)
    path: Path = CONTRACT_SUITE / "test_x.py"  # a contract test's: only those share the budget

    def get_closest_marker(self, name: str) -> _Marker | None:
        return _Marker((self.budget,)) if name == "budget_weight" and self.budget != 1 else None


def weights_left(item: _Item) -> float:
    return _weights_left(cast(pytest.Function, item))  # a duck-typed item: what the function reads, nothing more


def _collection(workers: int | None) -> list[_Item]:
    session, config = _Session(), _Config({"workercount": workers} if workers else None)
    session.items = [_Item(weight, session, config) for weight in (2, 2, 1, 1, 1, 1, 1, 1)]
    session.items.append(_Item(1, session, config, fixturenames=()))  # no driver: no share of the budget
    return session.items


def test_one_process_shares_over_everything_left() -> None:
    items = _collection(None)
    assert weights_left(items[0]) == 10
    assert weights_left(items[4]) == 4


@pytest.mark.parametrize("workers", [2, 4])
def test_a_worker_shares_over_its_part_of_what_is_left(workers: int) -> None:
    items = _collection(workers)
    assert weights_left(items[0]) == pytest.approx(10 / workers)
    assert weights_left(items[7]) == 1, "never less than the test's own weight: the last one gets what is left"
