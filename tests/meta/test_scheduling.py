"""The order xdist workers take the tests in (tests/meta/conftest.py `scheduled`): every test once, the tests that
wait spread among the fault meta-test's runs so that no more of them overlap than the workers the cores leave
over, and the rest after, as collected."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import pytest

from tests.meta.conftest import COMPUTING_S, FAULT_DETECTION, scheduled


@dataclass
class Item:
    nodeid: str
    waits: float | None = None

    def get_closest_marker(self, name: str) -> Any:
        return pytest.mark.waits(self.waits).mark if name == "waits" and self.waits is not None else None


def items() -> list[Item]:
    rest = [Item(f"tests/unit/test_{n}.py::test") for n in range(5)]
    faults = [Item(f"{FAULT_DETECTION}test_run[{n}]") for n in range(60)]
    waits = [Item(f"tests/meta/test_w.py::test[{s}]", waits=s) for s in (10, 80, 40, 55, 8)]
    return [*rest[:2], *waits[:2], *faults, *waits[2:], *rest[2:]]


@pytest.mark.parametrize(("workers", "cores"), [(4, 2), (6, 2), (2, 2), (1, 2), (8, 4)])
def test_every_test_once_waits_among_fault_runs_then_the_rest(workers: int, cores: int) -> None:
    given = items()
    order = cast(list[Item], scheduled(cast(list[pytest.Item], given), workers, cores))
    assert sorted(item.nodeid for item in order) == sorted(item.nodeid for item in given)
    rest = [item for item in order if item.nodeid.startswith("tests/unit/")]
    assert order[-len(rest) :] == rest, "the rest comes last"
    assert [item.nodeid for item in rest] == [item.nodeid for item in given if item.nodeid.startswith("tests/unit/")]
    # Planned as they will run: each wait starts once the cores have got through the fault runs before it, the
    # longest first, and no more waits overlap than the lanes the cores leave over (until the fault runs run out:
    # the waits left then go right after them, before the rest).
    lanes = max(1, workers - cores)
    spans = []
    for position, item in enumerate(order):
        if item.waits is not None:
            runs_before = sum(1 for other in order[:position] if other.nodeid.startswith(FAULT_DETECTION))
            spans.append((runs_before * COMPUTING_S / min(cores, workers), item.waits, runs_before))
    assert [waits for _, waits, _ in spans][:lanes] == sorted((10.0, 80.0, 40.0, 55.0, 8.0), reverse=True)[:lanes]
    for start, _, runs_before in spans:
        if runs_before < 60:
            overlapping = sum(1 for other, length, _ in spans if other <= start < other + length)
            assert overlapping <= lanes + 1, spans  # +1: a fault run's worth of rounding
