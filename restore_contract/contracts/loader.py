"""Load the contract document and look up its operations."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from restore_contract.contracts.facts import HTTP_METHODS, resolve

CONTRACTS_DIR = Path(__file__).resolve().parent
OPENAPI_PATH = CONTRACTS_DIR / "openapi.yaml"
DEVIATIONS_PATH = CONTRACTS_DIR / "deviations.yaml"


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str  # upper case
    path: str  # path template, e.g. /v1/databases/{databaseId}
    raw: Mapping[str, Any]

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def status_codes(self) -> frozenset[int]:
        return frozenset(int(code) for code in self.raw["responses"])


# libyaml's parser where PyYAML was built with it (the wheels are): the same documents, ~10x faster than the pure-Python
# one, which spent ~0.3 s of every run on the contract.
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def _cached_document() -> dict[str, Any]:
    document = yaml.load(OPENAPI_PATH.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    if not isinstance(document, dict):
        raise TypeError(f"{OPENAPI_PATH} is not a mapping")
    return document


def load_document() -> dict[str, Any]:
    """The contract as a fresh dict (callers may mutate their copy)."""
    return copy.deepcopy(_cached_document())


@cache
def operations() -> dict[str, Operation]:
    """Every operation of the contract, by operationId."""
    document = _cached_document()
    found: dict[str, Operation] = {}
    for path, item in document["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                raw = item[method]
                found[raw["operationId"]] = Operation(raw["operationId"], method.upper(), path, raw)
    return found


def operation(operation_id: str) -> Operation:
    try:
        return operations()[operation_id]
    except KeyError:
        known = ", ".join(sorted(operations()))
        raise KeyError(
            f"no operation {operation_id!r} in restore_contract/contracts/openapi.yaml (known: {known})"
        ) from None


def response_schema(operation_id: str, status: int) -> dict[str, Any] | None:
    """The JSON schema of a response body, or None when that status has no body (e.g. 204)."""
    op = operation(operation_id)
    responses = op.raw["responses"]
    if str(status) not in responses:
        raise KeyError(f"{op.label} documents no {status} response (documented: {sorted(op.status_codes)})")
    response = resolve(_cached_document(), responses[str(status)])
    content = response.get("content") or {}
    media = content.get("application/json")
    return None if media is None else dict(media["schema"])


def request_body_schema(operation_id: str) -> dict[str, Any]:
    op = operation(operation_id)
    body = resolve(_cached_document(), op.raw["requestBody"])
    return dict(body["content"]["application/json"]["schema"])


def parameter_schema(operation_id: str, name: str) -> dict[str, Any]:
    op = operation(operation_id)
    for parameter in op.raw.get("parameters", ()):
        parameter = resolve(_cached_document(), parameter)
        if parameter["name"] == name:
            return dict(parameter["schema"])
    raise KeyError(f"{op.label} has no parameter {name!r}")
