"""Flatten an OpenAPI document into the facts the suite relies on.

A fact is one (key, value) pair such as
``POST /v1/databases/{targetDatabaseId}/restore · response 200 · data.status · enum`` → ``[...]``.
Comparing two documents then means comparing two flat dictionaries, which gives a readable diff.
Prose (``description``, ``summary``, ``deprecated``, examples) is not a fact: we write our own.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

# Keywords whose value is itself a fact. Everything structural (properties, items, oneOf…) is walked.
FACT_KEYWORDS = (
    "type",
    "const",
    "enum",
    "pattern",
    "format",
    "required",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "default",
    "additionalProperties",
)
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

Facts = dict[str, Any]


def resolve(document: Mapping[str, Any], node: Any) -> Any:
    """Follow local ``$ref``s (the only kind our documents use) until a concrete node."""
    seen: set[str] = set()
    while isinstance(node, Mapping) and "$ref" in node:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/") or ref in seen:
            raise ValueError(f"unsupported or cyclic $ref: {ref!r}")
        seen.add(ref)
        target: Any = document
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _schema_facts(document: Mapping[str, Any], schema: Any, prefix: str, where: str = "$") -> Iterator[tuple[str, Any]]:
    schema = resolve(document, schema)
    if not isinstance(schema, Mapping):
        return
    for keyword in FACT_KEYWORDS:
        if keyword in schema:
            value = resolve(document, schema[keyword])
            if keyword == "additionalProperties" and isinstance(value, Mapping):
                yield from _schema_facts(document, value, prefix, f"{where}.{{*}}")
                continue
            if keyword in {"required", "enum"} or (keyword == "type" and isinstance(value, list)):
                value = sorted(value, key=repr)
            yield f"{prefix} · {where} · {keyword}", value
    for name, sub in (resolve(document, schema.get("properties")) or {}).items():
        yield from _schema_facts(document, sub, prefix, f"{where}.{name}")
    if "items" in schema:
        yield from _schema_facts(document, schema["items"], prefix, f"{where}[]")
    for combinator in ("oneOf", "anyOf", "allOf"):
        for index, sub in enumerate(schema.get(combinator, ())):
            yield from _schema_facts(document, sub, prefix, f"{where}<{combinator}:{index}>")


def operation_facts(document: Mapping[str, Any], method: str, path: str) -> Facts:
    """Facts of one operation: status codes, body requiredness, parameter and body/response schemas."""
    operation = resolve(document, document["paths"][path][method])
    head = f"{method.upper()} {path}"
    facts: Facts = {}
    responses = resolve(document, operation.get("responses", {}))
    for parameter in operation.get("parameters", ()):
        parameter = resolve(document, parameter)
        where = f"{head} · {parameter['in']} parameter {parameter['name']}"
        facts[f"{where} · required"] = bool(parameter.get("required", False))
        facts.update(_schema_facts(document, parameter.get("schema"), where))
    body = resolve(document, operation.get("requestBody"))
    if body is not None:
        facts[f"{head} · request body · required"] = bool(body.get("required", False))
        for media_type, content in sorted(body.get("content", {}).items()):
            facts.update(_schema_facts(document, content.get("schema"), f"{head} · request body {media_type}"))
    for status, response in sorted(responses.items()):
        response = resolve(document, response)
        content = response.get("content") or {}
        # One fact per status (not one list), so separate deviations can each add a status.
        facts[f"{head} · response {status} · media types"] = sorted(content)
        for media_type, media in sorted(content.items()):
            where = f"{head} · response {status} {media_type}"
            facts.update(_schema_facts(document, media.get("schema"), where))
    return facts


def operations(document: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every (method, path) pair of a document."""
    return [
        (method, path) for path, item in document.get("paths", {}).items() for method in HTTP_METHODS if method in item
    ]


def document_facts(document: Mapping[str, Any], only: list[tuple[str, str]] | None = None) -> Facts:
    """Facts of every operation in `only` (default: all of them), plus the security schemes."""
    facts: Facts = {}
    for method, path in only if only is not None else operations(document):
        facts.update(operation_facts(document, method, path))
    schemes = document.get("components", {}).get("securitySchemes", {})
    for name, scheme in sorted(schemes.items()):
        facts[f"security scheme {name} · type"] = scheme.get("type")
        if "scheme" in scheme:
            facts[f"security scheme {name} · scheme"] = scheme["scheme"]
    return facts
