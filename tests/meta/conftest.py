"""Shared by the meta-tests: the emulator as a staging stand-in over HTTP, and the suite run as a user runs it."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from restore_contract.emulator import DEFAULT_TOKEN
from restore_contract.harness.server import REPO, Server, seeded_settings, start_server
from tests.meta.forked import Session, run_pytest
from tests.meta.records import RunRecord


@dataclass(frozen=True)
class Staging:
    server: Server
    settings: dict[str, str]


@pytest.fixture(scope="session")
def _stagings() -> Iterator[dict[str, Staging]]:
    """The staging servers of this session, one per test module, stopped at its end."""
    started: dict[str, Staging] = {}
    try:
        yield started
    finally:
        for each in started.values():
            each.server.stop()


@pytest.fixture
def staging(request: pytest.FixtureRequest, _stagings: dict[str, Staging]) -> Staging:
    """The module's staging server: every test of a module shares one, started when the first needs it. It lives
    for the session (not only while the module's tests run, as a module fixture would): under pytest-xdist a worker
    runs a module's tests between other modules' tests, and would start it again each time."""
    module = request.module.__name__
    if module not in _stagings:
        server = start_server("--no-control-plane", "--seed-golden")
        try:
            _stagings[module] = Staging(server, seeded_settings(server))
        except BaseException:
            server.stop()
            raise
    return _stagings[module]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "waits(seconds): the test mostly waits, about `seconds` on 2 cores, on a server's clock or a time budget; a "
        "scheduling hint only (under pytest-xdist these are spread among tests that compute: see `scheduled`)",
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`python3 dev.py test`), the order the workers take the tests in (--maxschedchunk 1 hands
    them out one at a time, in this order): see `scheduled`. Without xdist the order stays the files' order."""
    if hasattr(config, "workerinput"):
        items[:] = scheduled(items, int(config.workerinput.get("workercount", 1)), os.cpu_count() or 1)


FAULT_DETECTION = "tests/meta/test_fault_detection.py::"
COMPUTING_S = 4.0  # a fault-detection run, roughly, on a loaded machine (0.5-20 s)


def scheduled(items: list[pytest.Item], workers: int, cores: int) -> list[pytest.Item]:
    """`items` in the order for `workers` xdist workers on `cores` cores. The tests that mostly wait (marked
    `waits`) go among the fault meta-test's runs, which compute, so that while some workers wait the others keep
    the cores busy; then the rest, as collected.

    The waits are planned like jobs on the workers the cores leave over (workers - cores, at least one): the longest
    first, each on the lane that is free first, and each placed after as many fault runs as the cores get through
    by its planned start (COMPUTING_S each). Not too many waits at once (when every worker waits, the cores idle),
    and no long wait started last (the run would end on it)."""
    lanes = [0.0] * max(1, workers - cores)  # when each lane is free, in seconds from the start
    planned: list[tuple[float, pytest.Item]] = []
    for item in sorted((item for item in items if item.get_closest_marker("waits")), key=_waits, reverse=True):
        lane = lanes.index(min(lanes))
        planned.append((lanes[lane], item))
        lanes[lane] += _waits(item)
    computing = [item for item in items if item.nodeid.startswith(FAULT_DETECTION)]
    order: list[pytest.Item] = []
    done = 0  # fault runs placed so far
    for start, item in sorted(planned, key=lambda pair: pair[0]):
        before = max(done, int(start * min(cores, workers) / COMPUTING_S))
        order += [*computing[done:before], item]
        done = max(done, before)
    order += computing[done:]
    placed = {id(item) for item in order}
    return order + [item for item in items if id(item) not in placed]


def _waits(item: pytest.Item) -> float:
    marker = item.get_closest_marker("waits")
    return float(marker.args[0]) if marker is not None else 0.0


def run_suite_with(
    env: dict[str, str], *args: str, record: Path | None = None, tests: str = "restore_contract/suite"
) -> Session:
    """`pytest TESTS ARGS` in a session of its own whose environment holds only `env` of the suite's settings; with
    `record`, the run writes its run record there (read it with `RunRecord.read`). The session is forked from a
    warmed-up process (tests/meta/forked.py): as isolated as `python -m pytest` in a subprocess, which it stands
    for, without importing everything again (~1.5 s of CPU a run, and there are some sixty)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PRISMA_", "PYTEST_", "GITHUB_"))}
    # Each run's reports in a folder of its own, not the project's reports/ (many run at once).
    clean["PRISMA_CONTRACT_REPORTS"] = tempfile.mkdtemp(prefix="restore-contract-reports-")
    clean.pop("PYTHONDONTWRITEBYTECODE", None)
    command = [tests, "-q", "-p", "no:cacheprovider", *args]
    command += [f"--summary-json={record}"] if record is not None else []
    return run_pytest(command, env={**clean, **env}, cwd=REPO, timeout=600)


def run_recorded(env: dict[str, str], folder: Path, *args: str, tests: str = "restore_contract/suite") -> RunRecord:
    """Run the suite and return its run record (the terminal output is kept in it for failure messages)."""
    path = folder / "summary.json"
    done = run_suite_with(env, *args, record=path, tests=tests)
    run = RunRecord.read(path, done.returncode)
    return dataclasses.replace(run, output=done.stdout[-20000:] + done.stderr[-2000:])


def run_live(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_suite_with(env, "--target=live", *args)


def live_env(staging: Staging, **overrides: str) -> dict[str, str]:
    return {
        "PRISMA_API_URL": staging.server.url,
        "PRISMA_API_TOKEN": DEFAULT_TOKEN,
        "PRISMA_CONTRACT_RESTORE_TIMEOUT": "10",
        "PRISMA_CONTRACT_PROFILE": "replay",  # small: this proves live mode works over HTTP; the budget is elsewhere
        **staging.settings,
        **overrides,
    }


def database_names(server: Server, settings: dict[str, str]) -> list[str]:
    """What is left in the project the suite worked in."""
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}) as client:
        project = settings["PRISMA_CONTRACT_PROJECT_ID"]
        return [d["name"] for d in client.get(f"/v1/projects/{project}/databases").json()["data"]]
