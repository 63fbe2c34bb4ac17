"""Every built-in check the suite enables fails on an answer that breaks what it guards (and passes on a
good one), so none of them is decorative. The restore checks are proven by tests/meta (one fault each)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from schemathesis.core.failures import FailureGroup

from checks.builtin import DECISIONS, RESTORE, SCAFFOLDING, checks_for
from checks.driver import _SCHEMA, RESTORE_OPERATION, restore_case

GET_DATABASE = _SCHEMA["/v1/databases/{databaseId}"]["GET"]
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


def _fails(case: Any, response: httpx.Response, name: str) -> bool:
    check = next(c for c in checks_for(RESTORE) + checks_for(SCAFFOLDING) if c.__name__ == name)
    try:
        case.validate_response(response, checks=[check])
    except FailureGroup:
        return True
    return False


def test_all_fifteen_builtin_checks_are_decided() -> None:
    assert len(DECISIONS) == 15
    assert all(decision.why for decision in DECISIONS.values())


GOOD_GET = ({"data": DATABASE}, 200, "application/json")
CASES = {
    "not_a_server_error": ({"error": {"code": "x", "message": "boom"}}, 500, "application/json"),
    "status_code_conformance": ({"error": {"code": "x", "message": "teapot"}}, 418, "application/json"),
    "content_type_conformance": ({"data": DATABASE}, 200, "text/plain"),
    "response_schema_conformance": ({"data": {**DATABASE, "status": "restoring"}}, 200, "application/json"),
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


def test_restore_answers_are_checked_by_the_same_builtins() -> None:
    case = restore_case("db_cabcdefgh1", {"source": {"type": "backup", "databaseId": "db_cabcdefgh1", "backupId": "b"}})
    assert case.operation is RESTORE_OPERATION or case.operation.label == RESTORE_OPERATION.label
    assert _fails(case, _answer(case, 200, {"data": DATABASE}, "text/plain"), "content_type_conformance")
