"""Read a restore request body the way the contract does: well formed or not, and what it names."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from restore_contract.contracts.ids import matches_database_id
from restore_contract.contracts.validators import request_body_validator

_RESTORE = "postV1DatabasesByTargetDatabaseIdRestore"


@dataclass(frozen=True)
class BodyFacts:
    well_formed: bool  # matches the request schema, except perhaps source.type's value
    type_is_backup: bool | None  # None when the body is too malformed to tell
    database_id: str | None
    backup_id: str | None


MALFORMED = BodyFacts(False, None, None, None)


def describe_body(content: bytes | None) -> BodyFacts:
    """Classify raw request bytes (None or b"" for no body)."""
    if not content:
        return MALFORMED
    try:
        body = json.loads(content)
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: nested too deeply to parse
        return MALFORMED
    return describe_json(body)


def describe_json(body: Any) -> BodyFacts:
    errors = list(request_body_validator(_RESTORE).iter_errors(body))
    source = body.get("source") if isinstance(body, dict) else None
    if not isinstance(source, dict):
        return MALFORMED
    database_id, backup_id, kind = source.get("databaseId"), source.get("backupId"), source.get("type")
    # jsonschema evaluates the pattern with Python's re; the server's dialect decides, so re-check it.
    pattern_ok = isinstance(database_id, str) and matches_database_id(database_id)
    only_type_value_wrong = all(list(e.path) == ["source", "type"] and e.validator == "const" for e in errors)
    well_formed = only_type_value_wrong and pattern_ok and isinstance(kind, str)
    if not well_formed:
        return MALFORMED
    assert isinstance(database_id, str)
    assert isinstance(backup_id, str)
    return BodyFacts(True, kind == "backup", database_id, backup_id)
