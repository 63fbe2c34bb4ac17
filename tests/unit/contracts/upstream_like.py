"""The document a conforming upstream publishes, built from contracts/: the drift check's own tests mutate it,
so they run everywhere, also where the real upstream document cannot be had."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from restore_contract.contracts import drift
from restore_contract.contracts.validators import inline

_SEPARATOR = " · "
# One step of a fact's schema location, as `facts._schema_facts` writes it: `.{*}` (additionalProperties),
# `.name` (a property), `[]` (items), `<oneOf:0>` (a combinator's branch).
_STEP = re.compile(r"\.\{\*\}|\.(?P<property>[^.\[<]+)|\[\]|<(?P<combinator>oneOf|anyOf|allOf):(?P<index>\d+)>")


def inline_refs(document: Mapping[str, Any]) -> dict[str, Any]:
    """`document` with every local ``$ref`` replaced by a copy of its target, as upstream publishes it.

    The components that only served as targets are dropped (the security schemes stay: they are facts).
    Facts do not change, since they resolve refs the same way; but every place becomes its own object, so a
    test that mutates one schema changes that place only (refs and YAML anchors share nodes otherwise).
    """
    inlined: dict[str, Any] = {key: inline(document, value) for key, value in document.items() if key != "components"}
    schemes = document.get("components", {}).get("securitySchemes")
    if schemes is not None:
        inlined["components"] = {"securitySchemes": inline(document, schemes)}
    return inlined


def upstream_like(contract: Mapping[str, Any], deviations: list[drift.Deviation]) -> dict[str, Any]:
    """The document upstream publishes when it agrees with `contract`: refs inlined, every deviation undone.

    ``compare(contract, upstream_like(contract, deviations), deviations)`` finds no drift, no stale deviation
    and no upstream-only fact, so the drift check's own tests can mutate it where the real document is absent.
    A deviation naming a place the contract lacks raises ValueError rather than being skipped silently.
    """
    document = inline_refs(contract)
    for deviation in deviations:
        place = ""
        try:
            for place, (upstream, _) in deviation.changes.items():
                _set_fact(document, place, upstream)
            for place in deviation.adds:
                _remove_place(document, place)
        except (KeyError, IndexError, TypeError, ValueError) as error:
            raise ValueError(
                f"cannot undo deviation {deviation.name!r}: the contract has no place {place!r} "
                f"({type(error).__name__}: {error})"
            ) from error
    return document


def _set_fact(document: dict[str, Any], fact: str, value: Any) -> None:
    parts = fact.split(_SEPARATOR)
    if len(parts) == 2 and parts[0].startswith("security scheme "):
        schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
        name = parts[0].removeprefix("security scheme ")
        if value is not drift.ABSENT:
            schemes.setdefault(name, {})[parts[1]] = value
        elif parts[1] == "type":
            del schemes[name]  # every scheme has a type: without one it is not there at all
        else:
            del schemes[name][parts[1]]
    elif len(parts) == 3 and parts[2] in {"required", "media types"}:
        container, key = _section(document, parts[0], parts[1])
        if value is drift.ABSENT:
            del container[key]  # facts always state these two, so only an absent place lacks them
        elif parts[2] == "required":
            container[key]["required"] = value
        else:
            content = container[key].get("content") or {}
            container[key]["content"] = {media_type: content.get(media_type, {}) for media_type in value}
    elif len(parts) == 4:
        container, key = _section(document, parts[0], parts[1])
        container, key = _schema(container[key], parts[2], create=value is not drift.ABSENT)
        if value is drift.ABSENT:
            del container[key][parts[3]]
        else:
            container[key][parts[3]] = value
    else:
        raise ValueError(f"not a fact: {fact!r}")


def _remove_place(document: dict[str, Any], prefix: str) -> None:
    parts = prefix.split(_SEPARATOR)
    if len(parts) == 1 and parts[0].startswith("security scheme "):
        del document["components"]["securitySchemes"][parts[0].removeprefix("security scheme ")]
        return
    if not 2 <= len(parts) <= 4:
        raise ValueError(f"not a place: {prefix!r}")
    container, key = _section(document, parts[0], parts[1])
    if len(parts) >= 3:
        container, key = _schema(container[key], parts[2], create=False)
    if len(parts) == 4:
        container, key = container[key], parts[3]
    del container[key]


def _section(document: dict[str, Any], head: str, section: str) -> tuple[Any, Any]:
    """Container and key of one part of an operation: a parameter, the body, a response, or a media type."""
    method, _, path = head.partition(" ")
    operation = document["paths"][path][method.lower()]
    if section == "request body":
        return operation, "requestBody"
    if section.startswith("request body "):
        return operation["requestBody"]["content"], section.removeprefix("request body ")
    words = section.split(" ")
    if words[0] == "response" and len(words) == 2:
        return operation["responses"], words[1]
    if words[0] == "response" and len(words) == 3:
        return operation["responses"][words[1]]["content"], words[2]
    if len(words) == 3 and words[1] == "parameter":
        parameters = operation.get("parameters", [])
        for index, parameter in enumerate(parameters):
            if (parameter.get("in"), parameter.get("name")) == (words[0], words[2]):
                return parameters, index
    raise ValueError(f"{head} has no {section!r}")


def _schema(holder: dict[str, Any], where: str, *, create: bool) -> tuple[Any, Any]:
    """Container and key of the schema at `where` (``$.data.status``) below a parameter or media type."""
    if not where.startswith("$"):
        raise ValueError(f"not a schema location: {where!r}")
    container: Any = holder
    key: Any = "schema"
    rest = where[1:]
    while rest:
        step = _STEP.match(rest)
        if step is None:
            raise ValueError(f"not a schema location: {where!r}")
        node = container.setdefault(key, {}) if create and isinstance(container, dict) else container[key]
        if step["property"] is not None:
            container, key = (node.setdefault("properties", {}) if create else node["properties"]), step["property"]
        elif step["combinator"] is not None:
            container, key = node[step["combinator"]], int(step["index"])
        else:
            container, key = node, "additionalProperties" if step[0] == ".{*}" else "items"
        rest = rest[step.end() :]
    if create and isinstance(container, dict):
        container.setdefault(key, {})
    return container, key
