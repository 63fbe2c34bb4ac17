"""An error that quotes what a server said quotes a bounded part of it, so the one line a user reads stays one
readable line whatever the server sent (an HTML error page, a stack trace): the first 300 characters (200 for a
setting's one-line error), no more, no fewer."""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import Any

import httpx
import psycopg
import pytest

from restore_contract.checks.probe import Probe, ProbeError
from restore_contract.plugin.tests import _outcome
from restore_contract.targets.api import ManagementApi
from restore_contract.targets.base import Target, TargetConfigurationError, Traffic
from restore_contract.targets.data import LoginRefused, PostgresAccess
from restore_contract.targets.guard import Allowlist
from restore_contract.targets.lease import Terms
from restore_contract.targets.pool import Pool, _lease_sacrificial, _listed_backups, create_connection, wait_until_ready

# Distinct characters, so a quote one character longer or shorter is told apart.
LONG = "".join(string.ascii_letters[index % 52] + str(index % 10) for index in range(500))
DATABASE = "db_cquoted000000000001"


def _server() -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(503, text=LONG))


def _api() -> ManagementApi:
    return ManagementApi(_client())


def _client() -> httpx.Client:
    return httpx.Client(transport=_server(), base_url="https://api.example")


def _pool(guard: Allowlist | None = None) -> Pool:
    target = Target("live", "https://api.example", "t", Traffic(_server()), 1.0, project_id="proj_1", guard=guard)
    return Pool(target, run_id="run1")


def _said(act: Callable[[], object], raised: type[BaseException]) -> str:
    with pytest.raises(raised) as failed:
        act()
    return str(failed.value)


def _login() -> object:
    def connect(conninfo: str, **options: object) -> psycopg.Connection[Any]:
        raise psycopg.OperationalError(LONG)

    return PostgresAccess(connect=connect).login("postgresql://u:p@db.example/1")


def _recorded_error() -> str:
    """What the run record says of a contract test that failed with a long error that names no property."""

    def fail() -> None:
        raise ValueError(LONG)

    call = pytest.CallInfo.from_call(fail, "call")
    outcome = _outcome(pytest.TestReport("t", ("t", 0, "t"), {}, "failed", None, "call"), call, "")
    assert outcome is not None
    return outcome.error


QUOTES: dict[str, tuple[Callable[[], str], int]] = {
    "the probe's read of a database": (
        lambda: _said(lambda: Probe(_client(), None, lambda _: []).database(DATABASE), ProbeError),
        300,
    ),
    "the probe's list of backups": (
        lambda: _said(lambda: Probe(_client(), None, lambda _: []).backup(DATABASE, "b"), ProbeError),
        300,
    ),
    "creating a scratch database": (lambda: _said(lambda: _pool().create_database("target-1"), RuntimeError), 300),
    "issuing a connection": (
        lambda: _said(lambda: create_connection(_api(), DATABASE), RuntimeError),
        300,
    ),
    "waiting for a database": (
        lambda: _said(lambda: wait_until_ready(_api(), DATABASE, 1.0), RuntimeError),
        300,
    ),
    "reading the sacrificial database": (
        lambda: _said(lambda: _lease_sacrificial(_pool(Allowlist()), DATABASE, Terms("run1", 600.0)), RuntimeError),
        300,
    ),
    "listing the golden source's backups": (
        lambda: _said(lambda: _listed_backups(_api(), DATABASE), TargetConfigurationError),
        200,
    ),
    "a refused login": (lambda: _said(_login, LoginRefused), 300),
    "a contract test's error in the run record": (_recorded_error, 300),
}


@pytest.mark.parametrize("where", sorted(QUOTES))
def test_a_long_answer_is_quoted_in_its_first_characters(where: str) -> None:
    said, length = QUOTES[where]
    assert said().endswith(LONG[:length])
