"""Compiled jsonschema validators (Draft 2020-12, formats enforced) for the contract's schemas."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.protocols import Validator

from restore_contract.contracts import loader
from restore_contract.contracts.facts import resolve

# jsonschema silently skips a format whose optional validator package is missing; for `date-time`
# (rfc3339-validator) and `uri` (rfc3986-validator) that would make format checks pass vacuously.
FORMAT_CHECKER = Draft202012Validator.FORMAT_CHECKER
REQUIRED_FORMATS = ("date-time", "uri")
_missing = [name for name in REQUIRED_FORMATS if name not in FORMAT_CHECKER.checkers]
if _missing:
    raise ImportError(
        f"jsonschema cannot check the formats {_missing}: install rfc3339-validator and rfc3986-validator "
        "(python3 dev.py setup does)"
    )


def inline(document: Mapping[str, Any], node: Any) -> Any:
    """A copy of `node` with every local $ref replaced by its target (the contract has no cycles)."""
    node = resolve(document, node)
    if isinstance(node, Mapping):
        return {key: inline(document, value) for key, value in node.items()}
    if isinstance(node, list):
        return [inline(document, item) for item in node]
    return node


def compile_schema(schema: Mapping[str, Any]) -> Validator:
    """A Draft 2020-12 validator for a contract schema (refs inlined, formats enforced)."""
    flat = inline(loader.load_document(), schema)
    Draft202012Validator.check_schema(flat)
    validator: Validator = Draft202012Validator(flat, format_checker=FORMAT_CHECKER)
    return validator


@cache
def response_validator(operation_id: str, status: int) -> Validator | None:
    """Validator of the body documented for (operation, status); None when that status has no body."""
    schema = loader.response_schema(operation_id, status)
    return None if schema is None else compile_schema(schema)


@cache
def request_body_validator(operation_id: str) -> Validator:
    return compile_schema(loader.request_body_schema(operation_id))


@cache
def parameter_validator(operation_id: str, name: str) -> Validator:
    return compile_schema(loader.parameter_schema(operation_id, name))


@cache
def error_validator() -> Validator:
    """The error envelope, for answers a server gives although the operation does not document them."""
    return compile_schema({"$ref": "#/components/schemas/Error"})


def validator_for(operation_id: str | None, status: int) -> Validator | None:
    """What an answer's body must match: the schema the operation documents for `status` (None: no body), or
    the error envelope for a status it does not document (`operation_id` None: a route the contract lacks)."""
    documented = operation_id is not None and status in loader.operations()[operation_id].status_codes
    return response_validator(operation_id, status) if operation_id is not None and documented else error_validator()


def errors_of(validator: Validator, instance: Any) -> list[str]:
    """Readable messages of every violation, with the JSON path where each one occurs."""
    return [
        f"{error.json_path}: {error.message}"
        for error in sorted(validator.iter_errors(instance), key=lambda error: list(error.path))
    ]
