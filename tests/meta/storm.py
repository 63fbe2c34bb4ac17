"""pytest plugin for a contract run in a 429 storm: `-p tests.meta.storm --emulator-rate-limit 1` makes the in-process
emulator answer every /v1 request 429 (refused, unexecuted; `Retry-After: 1`), and scales the retries' waits down to
10 ms each, so the run spends its retries in a fraction of a second instead of the minutes a real storm takes."""

from __future__ import annotations

import pytest

from restore_contract.emulator import staging
from restore_contract.emulator.errors import ApiError
from restore_contract.targets import transient


def _storm(self: staging.Staging, per_second: int) -> None:
    raise ApiError(429, "rate_limited", "Too many requests; retry after 1 s.", headers={"Retry-After": "1"})


def pytest_configure(config: pytest.Config) -> None:
    staging.Staging._limit = _storm  # type: ignore[method-assign]
    transient.MAX_WAIT = 0.01
