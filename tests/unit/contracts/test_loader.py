"""The contract loads, covers the operations the suite uses, and its validators really validate."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from jsonschema import Draft202012Validator
from schemathesis.core.result import Err, Ok

from restore_contract import contracts
from restore_contract.contracts import errors_of, loader, response_validator

USED_OPERATIONS = {
    ("POST", "/v1/databases/{targetDatabaseId}/restore"),
    ("GET", "/v1/databases/{databaseId}"),
    ("DELETE", "/v1/databases/{databaseId}"),
    ("GET", "/v1/projects/{projectId}/databases"),
    ("POST", "/v1/projects/{projectId}/databases"),
    ("GET", "/v1/databases/{databaseId}/backups"),
    ("GET", "/v1/databases/{databaseId}/connections"),
    ("POST", "/v1/databases/{databaseId}/connections"),
}


def test_covers_the_operations_the_suite_uses() -> None:
    assert {(op.method, op.path) for op in contracts.operations().values()} == USED_OPERATIONS


def test_schemathesis_loads_the_contract() -> None:
    schema = schemathesis.openapi.from_path(str(contracts.OPENAPI_PATH))
    results = list(schema.get_all_operations())
    assert [result.err() for result in results if isinstance(result, Err)] == []  # none failed to load
    assert {(result.ok().method.upper(), result.ok().path) for result in results if isinstance(result, Ok)} == (
        USED_OPERATIONS
    )


def test_every_schema_is_valid_draft_2020_12() -> None:
    for op in contracts.operations().values():
        for status in op.status_codes:
            schema = loader.response_schema(op.operation_id, status)
            if schema is not None:
                Draft202012Validator.check_schema(contracts.validators.inline(contracts.load_document(), schema))


def test_restore_documents_exactly_the_published_statuses() -> None:
    assert contracts.operation(contracts.RESTORE).status_codes == {200, 401, 404, 409, 422}


def _restored(**overrides: Any) -> dict[str, Any]:
    data = {
        "id": "db_cabcdefgh1",
        "type": "database",
        "url": "https://api.prisma.io/v1/databases/db_cabcdefgh1",
        "name": "contract-a",
        "status": "recovering",
        "createdAt": "2026-11-23T10:00:00Z",
        "isDefault": False,
        "defaultConnectionId": "con_cabcdefgh1",
        "connections": [],
        "project": {"id": "proj_1", "url": "https://api.prisma.io/v1/projects/proj_1", "name": "p"},
        "region": {"id": "us-east-1", "name": "US East"},
        "source": {"type": "backup", "databaseId": "db_cabcdefgh1", "backupId": "bkp_1"},
    }
    return {"data": {**data, **overrides}}


def test_valid_restore_answer_passes() -> None:
    validator = response_validator(contracts.RESTORE, 200)
    assert validator is not None
    assert errors_of(validator, _restored()) == []


@pytest.mark.parametrize(
    ("override", "where"),
    [
        ({"createdAt": "yesterday"}, "$.data.createdAt"),  # format: date-time is enforced
        ({"url": "not a uri"}, "$.data.url"),  # format: uri is enforced
        ({"status": "restoring"}, "$.data.status"),
        ({"defaultConnectionId": "cabcdefgh1"}, "$.data.defaultConnectionId"),  # con_ is mandatory here
        ({"source": {"type": "empty"}}, "$.data.source"),
    ],
)
def test_invalid_restore_answer_fails(override: dict[str, Any], where: str) -> None:
    validator = response_validator(contracts.RESTORE, 200)
    assert validator is not None
    assert any(message.startswith(where) for message in errors_of(validator, _restored(**override)))


def test_extra_fields_are_allowed() -> None:
    """The API adds fields over time; objects stay open."""
    validator = response_validator(contracts.RESTORE, 200)
    assert validator is not None
    assert errors_of(validator, _restored(branchId=None, logicalId="x")) == []


def test_no_body_statuses_and_unknown_statuses() -> None:
    assert response_validator("deleteV1DatabasesByDatabaseId", 204) is None
    with pytest.raises(KeyError, match="documents no 400 response"):
        response_validator(contracts.RESTORE, 400)
    with pytest.raises(KeyError, match="no operation 'nope'"):
        contracts.operation("nope")


def test_error_envelope() -> None:
    validator = contracts.error_validator()
    assert errors_of(validator, {"error": {"code": "notFound", "message": "no such database"}}) == []
    assert errors_of(validator, {"error": {"code": "notFound", "message": "m", "hint": "h"}}) == []
    assert errors_of(validator, {"error": "not found"}) != []
    assert errors_of(validator, {"message": "not found"}) != []
