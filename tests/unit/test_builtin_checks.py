"""Every built-in check the suite enables fails on an answer that breaks what it guards (and passes on a
good one), so none of them is decorative. The restore checks are proven by tests/meta (one fault each)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from schemathesis.checks import CHECKS, load_all_checks, max_response_time
from schemathesis.core.failures import FailureGroup

from restore_contract.checks.builtin import DECISIONS, RESTORE, SCAFFOLDING, checks_for
from restore_contract.checks.schema import SCHEMA
from restore_contract.run.driver import restore_case

GET_DATABASE = SCHEMA["/v1/databases/{databaseId}"]["GET"]
DATABASE = {
    "id": "db_cabcdefgh1",
    "type": "database",
    "url": "https://api/v1/databases/db_cabcdefgh1",
    "name": "contract-a",
    "status": "ready",
    "createdAt": "2026-11-23T10:00:00Z",
    "isDefault": False,
    "defaultConnectionId": None,
    "connections": [],
    "project": {"id": "proj_1", "url": "https://api/v1/projects/proj_1", "name": "p"},
    "region": None,
    "source": None,
}


def _answer(case: Any, status: int, body: Any, content_type: str = "application/json") -> httpx.Response:
    """The answer as a client receives it (through a mock server, so it is complete: timing included)."""
    sent = case.as_transport_kwargs(base_url="https://api")
    content, headers = httpx.ByteStream(json.dumps(body).encode()), {"content-type": content_type}
    server = httpx.MockTransport(lambda _: httpx.Response(status, stream=content, headers=headers))
    with httpx.Client(transport=server) as client:
        return client.request(sent["method"], sent["url"])


def _fails(case: Any, response: httpx.Response, name: str, kinds: tuple[str, ...] = (RESTORE, SCAFFOLDING)) -> bool:
    """Whether check `name` (as `checks_for` gives it for one of `kinds`) fails on `response`."""
    check = next(c for kind in kinds for c in checks_for(kind) if c.__name__ == name)
    try:
        case.validate_response(response, checks=[check])
    except FailureGroup:
        return True
    return False


def _schemathesis_builtins() -> set[str]:
    """The names of every check schemathesis itself provides, read from schemathesis (not counted by hand)."""
    load_all_checks()
    registered = CHECKS.get_all()
    builtins = {check.__name__ for check in registered if check.__module__.split(".")[0] == "schemathesis"}
    # max_response_time is a built-in that schemathesis keeps out of the registry (its config enables it).
    return builtins | {max_response_time.__name__}


def test_every_builtin_check_schemathesis_has_is_decided() -> None:
    assert set(DECISIONS) == _schemathesis_builtins()
    assert all(decision.why for decision in DECISIONS.values())


GOOD_GET = ({"data": DATABASE}, 200, "application/json")
CASES = {
    "not_a_server_error": ({"error": {"code": "x", "message": "boom"}}, 500, "application/json"),
    "status_code_conformance": ({"error": {"code": "x", "message": "teapot"}}, 418, "application/json"),
    "content_type_conformance": ({"data": DATABASE}, 200, "text/plain"),
    "response_schema_conformance": ({"data": {**DATABASE, "status": "restoring"}}, 200, "application/json"),
}

SOURCE = {"type": "backup", "databaseId": "db_cabcdefgh1", "backupId": "bkp_1"}
RESTORED = {**DATABASE, "status": "recovering", "source": SOURCE}
RESTORE_CASES = {  # a broken restore answer for each check enabled on restore
    "not_a_server_error": CASES["not_a_server_error"],
    "content_type_conformance": ({"data": RESTORED}, 200, "text/plain"),
    "response_schema_conformance": ({"data": {**RESTORED, "status": "restoring"}}, 200, "application/json"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_enabled_builtin_check_fails_on_a_broken_answer(name: str) -> None:
    case = GET_DATABASE.Case(path_parameters={"databaseId": "db_cabcdefgh1"})
    body, status, content_type = CASES[name]
    assert _fails(case, _answer(case, status, body, content_type), name)
    good_body, good_status, good_type = GOOD_GET
    assert not _fails(case, _answer(case, good_status, good_body, good_type), name)


def test_the_enabled_set_is_what_the_proofs_cover() -> None:
    enabled = {name for name, decision in DECISIONS.items() if decision.runs_on}
    assert enabled == set(CASES)
    assert {name for name in enabled if RESTORE in DECISIONS[name].runs_on} == set(RESTORE_CASES)


@pytest.mark.parametrize("name", sorted(name for name, decision in DECISIONS.items() if RESTORE in decision.runs_on))
def test_restore_answers_are_checked_by_the_same_builtins(name: str) -> None:
    case = restore_case("db_cabcdefgh1", {"source": SOURCE})
    body, status, content_type = RESTORE_CASES[name]
    assert _fails(case, _answer(case, status, body, content_type), name, kinds=(RESTORE,))
    assert not _fails(case, _answer(case, 200, {"data": RESTORED}), name, kinds=(RESTORE,))
