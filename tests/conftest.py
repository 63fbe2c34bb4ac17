"""Fixtures every test layer may use: emulator servers started for one test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from restore_contract.harness.server import Server, start_server

StartServer = Callable[..., Server]


@pytest.fixture
def launch_server() -> Iterator[StartServer]:
    """Start a server for one test (e.g. with a fault on); stopped at the end of the test, whatever happens."""
    started: list[Server] = []

    def launch(*args: str) -> Server:
        started.append(start_server(*args))
        return started[-1]

    try:
        yield launch
    finally:
        for each in started:
            each.stop()
