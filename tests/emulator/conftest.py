"""Shared setup of the emulator's own tests: clients, the contract check every answer goes through, seeded worlds.

Tests talk to the emulator only over HTTP (httpx): in-process through `InProcessTransport`, or to the server
started as a subprocess. `Api` is the one way they do it; every answer of the public API (and every error,
control plane included) passes `assert_conforms` there, so no test receives a non-conforming answer unnoticed.

Test modules get these objects from fixtures (they import the classes only for type checking).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import pytest

from restore_contract.contracts import errors_of, expand_path, operations, validator_for
from restore_contract.emulator import DEFAULT_TOKEN, Emulator, EmulatorConfig
from restore_contract.harness.server import REPO, Server, emulator_command, start_server
from restore_contract.targets.control import ControlPlane, Tables
from restore_contract.targets.inprocess import InProcessTransport

BEARER = f"Bearer {DEFAULT_TOKEN}"
CONTROL = "/_emulator"

DATA: Tables = {"items": [{"id": 1, "name": "in the backup"}]}

# --- the contract check ------------------------------------------------------------------------------


def operation_of(method: str, raw_path: str) -> str | None:
    """The contract operation a request names: its method, and its path matched segment by segment.

    Segments are compared still percent-encoded (as the emulator routes), so `db_x%2Fbackups` is one id.
    """
    segments = raw_path.split("?", 1)[0].strip("/").split("/")
    for operation_id, op in operations().items():
        template = op.path.strip("/").split("/")
        if (
            op.method == method.upper()
            and len(template) == len(segments)
            and all(t.startswith("{") or t == s for t, s in zip(template, segments, strict=True))
        ):
            return operation_id
    return None


def conformance_problems(operation_id: str | None, response: httpx.Response) -> list[str]:
    """Every way `response` breaks the contract of `operation_id` (None: a path or method it does not have).

    A status the operation documents is checked against its schema; any other error status against the
    error envelope; a bodiless 204 (documented, or an OPTIONS answer) must have no body.
    """
    status = response.status_code
    documented = operation_id is not None and status in operations()[operation_id].status_codes
    if not documented and status < 400 and status != 204:
        return [f"status {status} is not documented for {operation_id or 'this path and method'}"]
    validator = validator_for(operation_id, status) if documented or status >= 400 else None
    if validator is None:
        return [] if not response.content else [f"a {status} must have no body, got {response.content[:80]!r}"]
    problems = []
    content_type = response.headers.get("content-type", "").partition(";")[0].strip()
    if content_type != "application/json":
        problems.append(f"content-type is {content_type!r}, not 'application/json'")
    try:
        body = response.json()
    except ValueError:
        return [*problems, f"the body is not JSON: {response.content[:80]!r}"]
    return problems + errors_of(validator, body)


def assert_conforms(operation_id: str | None, response: httpx.Response) -> None:
    """Fail unless `response` is what the contract documents for `operation_id` and its status."""
    problems = conformance_problems(operation_id, response)
    request = response.request
    where = f"{request.method} {request.url.raw_path.decode('ascii')} → {response.status_code}"
    assert not problems, f"{where} breaks the contract ({operation_id}):\n  " + "\n  ".join(problems)


def _answered_operation(response: httpx.Response) -> str | None:
    return operation_of(response.request.method, response.request.url.raw_path.decode("ascii"))


# --- talking to the emulator ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    """A ready database holding `data`, and a completed backup of exactly that data."""

    project_id: str
    database_id: str
    backup_id: str
    data: Tables

    @property
    def source(self) -> dict[str, str]:
        """The restore `source` naming this backup."""
        return {"type": "backup", "databaseId": self.database_id, "backupId": self.backup_id}


class Api:
    """One emulator, over HTTP: the public API (checked against the contract) and the control plane."""

    def __init__(
        self, client: httpx.Client, *, checked: bool = True, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.client = client
        self.checked = checked  # off only where a fault breaks the contract on purpose
        self._transport = transport
        self._control = ControlPlane(client, on_response=self._check_control)

    # -- raw requests --

    def request(
        self,
        method: str,
        path: str,
        *,
        auth: str | None = BEARER,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send `path` as given (already percent-encoded).

        When `checked`, every answer must conform: a public one to its operation, any error to the envelope
        (only the control plane's own successes have shapes the contract does not describe).
        """
        sent = {"Authorization": auth} if auth is not None else {}
        response = self.client.request(
            method, path, json=json, content=content, headers={**sent, **(headers or {})}, params=params
        )
        if self.checked and (response.status_code >= 400 or not path.startswith(CONTROL)):
            self.check(response)
        return response

    @staticmethod
    def check(response: httpx.Response) -> None:
        """`assert_conforms` for the operation `response` answers (found from its request)."""
        assert_conforms(_answered_operation(response), response)

    @staticmethod
    def problems(response: httpx.Response) -> list[str]:
        """`conformance_problems` for the operation `response` answers: for tests where a fault breaks it."""
        return conformance_problems(_answered_operation(response), response)

    def call(self, operation_id: str, path_params: Mapping[str, str], **kwargs: Any) -> httpx.Response:
        """A contract operation by its id; path parameters are percent-encoded into their segment."""
        op = operations()[operation_id]
        return self.request(op.method, expand_path(op.path, path_params), **kwargs)

    # -- the public API --

    def restore(self, target: str, source: Mapping[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        """Restore `target`; `source` becomes the body `{"source": source}` (else pass json= or content=)."""
        if source is not None:
            kwargs["json"] = {"source": dict(source)}
        return self.call("postV1DatabasesByTargetDatabaseIdRestore", {"targetDatabaseId": target}, **kwargs)

    def get_database(self, database_id: str, **kwargs: Any) -> httpx.Response:
        return self.call("getV1DatabasesByDatabaseId", {"databaseId": database_id}, **kwargs)

    def delete_database(self, database_id: str, **kwargs: Any) -> httpx.Response:
        return self.call("deleteV1DatabasesByDatabaseId", {"databaseId": database_id}, **kwargs)

    def list_databases(self, project_id: str, **kwargs: Any) -> httpx.Response:
        return self.call("getV1ProjectsByProjectIdDatabases", {"projectId": project_id}, **kwargs)

    def create_database(self, project_id: str, **body: Any) -> httpx.Response:
        return self.call("postV1ProjectsByProjectIdDatabases", {"projectId": project_id}, json=body)

    def list_backups(self, database_id: str, **kwargs: Any) -> httpx.Response:
        return self.call("getV1DatabasesByDatabaseIdBackups", {"databaseId": database_id}, **kwargs)

    def list_connections(self, database_id: str, **kwargs: Any) -> httpx.Response:
        return self.call("getV1DatabasesByDatabaseIdConnections", {"databaseId": database_id}, **kwargs)

    def create_connection(self, database_id: str, name: str = "extra", **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("json", {"name": name})
        return self.call("postV1DatabasesByDatabaseIdConnections", {"databaseId": database_id}, **kwargs)

    def status(self, database_id: str) -> str:
        """The status a GET shows (a read: it may let a transition happen)."""
        response = self.get_database(database_id)
        assert response.status_code == 200, response.text
        return str(response.json()["data"]["status"])

    # -- the control plane: the suite's client, with every error answer checked too --

    def _check_control(self, response: httpx.Response) -> None:
        if self.checked and response.status_code >= 400:
            self.check(response)

    def control(self, method: str, path: str, json: Any = None, content: bytes | None = None) -> httpx.Response:
        """A control-plane request answered as it came (tests of the control plane judge the status)."""
        return self._control.send(method, path, json, content)

    def project(self, name: str = "emulator-tests", workspace: str | None = None) -> str:
        return self._control.create_project(name, workspace)

    def workspace(self, name: str = "other-workspace") -> str:
        return self._control.create_workspace(name)

    def mint_token(self, workspace: str | None = None, scopes: list[str] | None = None) -> str:
        return self._control.mint_token(workspace, scopes)

    def ready_database(self, project_id: str, *, name: str = "db", is_default: bool = False) -> str:
        """A new database, forced `ready` through the control plane (whatever the clock)."""
        response = self.create_database(project_id, name=name, isDefault=is_default)
        assert response.status_code == 201, response.text
        database_id = str(response.json()["data"]["id"])
        self.force_status(database_id, "ready")
        return database_id

    def backup(self, database_id: str, *, status: str = "completed") -> str:
        return self._control.take_backup(database_id, status)

    def seed(self, project_id: str, data: Tables | None = None, *, name: str = "db") -> Seeded:
        database_id = self.ready_database(project_id, name=name)
        tables = DATA if data is None else data
        self.write(database_id, tables)
        return Seeded(project_id, database_id, self.backup(database_id), tables)

    def data(self, database_id: str) -> Tables:
        return self._control.read_data(database_id)

    def write(self, database_id: str, tables: Tables) -> None:
        self._control.write_data(database_id, tables)

    def force_status(self, database_id: str, status: str) -> None:
        self._control.force_status(database_id, status)

    def set_clock(self, clock: str) -> None:
        self._control.set_clock(clock)

    def set_faults(self, names: list[str]) -> None:
        self._control.set_faults(names)

    def authenticate(self, connection_string: str) -> str | None:
        """The database a connection string logs into; None when its credentials are refused."""
        return self._control.authenticates(connection_string)

    def finish_thread(self) -> None:
        """Close the calling thread's event loop of an in-process transport (threads that are done with it)."""
        if self._transport is not None:
            self._transport.close()


class FakeTime:
    """A monotonic time source that moves only when the test moves it."""

    def __init__(self) -> None:
        self.now = 1000.0  # not 0: a deadline of T (rather than start + T) would already have passed

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake_time() -> FakeTime:
    """Time for the emulator's clocks when a test patches it in, so a busy machine cannot move a deadline."""
    return FakeTime()


class MakeApi(Protocol):
    def __call__(self, config: EmulatorConfig | None = None, *, checked: bool = True) -> Api: ...


@pytest.fixture
def make_api() -> Iterator[MakeApi]:
    """A factory of in-process emulators, each behind its own `Api` (so tests can compare configurations)."""
    clients: list[httpx.Client] = []
    emulators: list[Emulator] = []

    def make(config: EmulatorConfig | None = None, *, checked: bool = True) -> Api:
        emulators.append(Emulator(config))
        transport = InProcessTransport(emulators[-1])
        client = httpx.Client(transport=transport, base_url="http://emulator")
        clients.append(client)
        return Api(client, checked=checked, transport=transport)

    yield make
    for client in clients:
        client.close()
    for emulator in emulators:
        emulator.close()  # a PostgreSQL data plane gives its databases and roles back


@pytest.fixture
def api(make_api: MakeApi) -> Api:
    """An in-process emulator with the default configuration."""
    return make_api()


@pytest.fixture
def project(api: Api) -> str:
    return api.project()


@pytest.fixture
def seeded(api: Api, project: str) -> Seeded:
    """A ready database holding `DATA`, with a completed backup of it."""
    return api.seed(project)


# --- the emulator as a server process -------------------------------------------------------------------


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    """One server for the whole session (tests that share it build their own projects)."""
    started = start_server()
    try:
        yield started
    finally:
        started.stop()


RunCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_cli() -> RunCli:
    """Run `python -m restore_contract.emulator ARGS` to completion (for the command lines that exit at once)."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(emulator_command(*args), cwd=REPO, capture_output=True, text=True, timeout=30)

    return run


@pytest.fixture
def server_api(server: Server) -> Iterator[Api]:
    """`Api` over real HTTP to the session's server."""
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield Api(client)
