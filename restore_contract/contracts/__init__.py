"""The restore contract: the OpenAPI document, its validators, the status-code oracle and drift check.

Everything else in the project (strategies, emulator, checks) takes its facts from here.
"""

from restore_contract.contracts.ids import (
    DATABASE_ID,
    DATABASE_ID_PATTERN,
    encode_segment,
    expand_path,
    matcher,
    matches_database_id,
    matches_project_id,
)
from restore_contract.contracts.loader import OPENAPI_PATH, Operation, load_document, operation, operations
from restore_contract.contracts.oracle import (
    AUTH_RULE,
    BUSY_STATUSES,
    SCOPE_RULE,
    WORKSPACE_RULES,
    Expectation,
    RestoreWorld,
    TargetState,
    expected_statuses,
)
from restore_contract.contracts.restore_body import BodyFacts, describe_body, describe_json
from restore_contract.contracts.validators import (
    error_validator,
    errors_of,
    parameter_validator,
    request_body_validator,
    response_validator,
    validator_for,
)

RESTORE = "postV1DatabasesByTargetDatabaseIdRestore"

__all__ = [
    "AUTH_RULE",
    "BUSY_STATUSES",
    "DATABASE_ID",
    "DATABASE_ID_PATTERN",
    "OPENAPI_PATH",
    "RESTORE",
    "SCOPE_RULE",
    "WORKSPACE_RULES",
    "BodyFacts",
    "Expectation",
    "Operation",
    "RestoreWorld",
    "TargetState",
    "describe_body",
    "describe_json",
    "encode_segment",
    "error_validator",
    "errors_of",
    "expand_path",
    "expected_statuses",
    "load_document",
    "matcher",
    "matches_database_id",
    "matches_project_id",
    "operation",
    "operations",
    "parameter_validator",
    "request_body_validator",
    "response_validator",
    "validator_for",
]
