"""Answers made comparable across servers: ids, timestamps, secrets and the environment become placeholders.

An id becomes `<kind:N>`, numbered in the order the run first meets it, so "the same id again" survives
normalisation (the restore's `id` is the target's, `source.backupId` the one requested) while the server's own
random ids do not show. The id's unprefixed form is `<kind:N:unprefixed>`. What the ids looked like is kept per
kind (`id_formats`), so a server minting another format still differs. Timestamps become `<timestamp>`, secrets
(redaction's fields, and passwords inside URLs) `<secret>`, and what belongs to where a server runs (its origin,
database hosts and ports, a backup's byte size) a fixed placeholder. Lists keep their order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from restore_contract.redaction import REDACTED, SECRET_KEYS, scrub_text

SECRET = "<secret>"
TIMESTAMP = "<timestamp>"
ORIGIN = "<api>"
RUN = "<run>"
PLACEHOLDER = re.compile(r"<[a-z-]+:\d+(?::unprefixed)?>")
ISO_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?")
# Values that depend on where a server runs, not on how it behaves.
ENVIRONMENT = {"host": "<host>", "port": "<port>", "size": "<size>"}
# How a key names the kind of id it holds; `id` takes its kind from the object around it.
ID_KEYS = {
    "databaseId": "database",
    "targetDatabaseId": "database",
    "backupId": "backup",
    "defaultConnectionId": "connection",
    "projectId": "project",
}
KINDS = ("database", "connection", "backup", "project")
PREFIXES = {"db": "database", "con": "connection", "proj": "project", "bkp": "backup"}
LIST_KINDS = {"connections": "connection", "apiKeys": "connection"}  # lists whose items are of one kind
MIN_EMBEDDED = 8  # an id this long is replaced inside other text too; a shorter one only as a whole value


def id_format(value: str) -> str:
    """The shape of an id without its randomness: `db_[0-9a-z]{25}`. A prefix is letters before the first `_`
    (`db_`, `bkp_`); without one the whole id is the body, underscores and all (`20261204_120000` is
    `[0-9_]{15}`, `v2_20261204` is `[0-9a-z_]{11}`)."""
    prefix, sep, body = value.partition("_")
    if not sep or not prefix.isalpha():
        prefix, sep, body = "", "", value
    classes = "".join(
        name
        for name, test in (("0-9", str.isdigit), ("A-Z", str.isupper), ("a-z", str.islower))
        if any(map(test, body))
    )
    others = "".join(sorted({c for c in body if not c.isalnum()}))
    return f"{prefix}{sep}[{classes}{re.escape(others)}]{{{len(body)}}}"


class Normaliser:
    """One run's placeholders: learn ids (from the run's settings, or as answers name them), then normalise."""

    def __init__(self, origin: str, run_id: str = "") -> None:
        self._origin = origin.rstrip("/")
        self._run_id = run_id
        self._names: dict[str, str] = {}  # id (and unprefixed form) → placeholder
        self._counts: dict[str, int] = {}
        self._formats: dict[str, set[str]] = {}
        self._pattern: re.Pattern[str] | None = None

    def learn(self, value: str, kind: str, *, server_minted: bool = True) -> str:
        """The placeholder of `value` (a new one the first time). `server_minted`: this is a resource's own id, whose
        format is the server's (a reference may name anything it was sent; an id the run made up is the run's)."""
        if server_minted:  # per resource: a kind's last word names it (a `running-backup` is a backup)
            self._formats.setdefault(kind.rpartition("-")[2], set()).add(id_format(value))
        if value in self._names:
            return self._names[value]
        self._counts[kind] = self._counts.get(kind, 0) + 1
        placeholder = f"<{kind}:{self._counts[kind]}>"
        self._names[value] = placeholder
        prefix, sep, core = value.partition("_")
        if sep and prefix in PREFIXES and len(core) >= MIN_EMBEDDED and core not in self._names:
            self._names[core] = placeholder[:-1] + ":unprefixed>"
        self._pattern = None
        return placeholder

    def id_formats(self) -> dict[str, list[str]]:
        return {kind: sorted(shapes) for kind, shapes in sorted(self._formats.items())}

    def learn_from(self, body: Any) -> None:
        """Learn every id an answer names, in document order (keys as the server sent them)."""
        for key, value, kind in _ids_in(body, None):
            self.learn(value, kind, server_minted=key == "id")

    def text(self, value: str) -> str:
        """A string with secrets, the origin, the run's own token and every known id replaced."""
        if value in self._names:
            return self._names[value]
        text = scrub_text(value).replace(REDACTED, SECRET)
        if self._origin:
            text = text.replace(self._origin, ORIGIN)
        if self._run_id:
            text = text.replace(self._run_id, RUN)
        if self._pattern is None:
            embedded = sorted((v for v in self._names if len(v) >= MIN_EMBEDDED), key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, embedded))) if embedded else re.compile(r"(?!)")
        return self._pattern.sub(lambda match: self._names[match.group(0)], text)

    def body(self, value: Any, key: str | None = None) -> Any:
        """A JSON value normalised; `key` is the name it sits under."""
        if isinstance(value, Mapping):
            return {k: self.body(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.body(item, key) for item in value]
        if key in SECRET_KEYS and value is not None:
            return SECRET
        if key in ENVIRONMENT and value is not None:
            return ENVIRONMENT[key]
        if isinstance(value, str):
            if key == "user":  # a login's name: per identity, like an id (it is derived from one)
                return self.learn(value, "user", server_minted=False)
            if (key or "").endswith("At") or ISO_TIMESTAMP.fullmatch(value):
                return TIMESTAMP
            return self.text(value)
        return value


def _ids_in(value: Any, parent: str | None) -> list[tuple[str, str, str]]:
    """(key, id, kind) of every id in a JSON value, in document order."""
    found: list[tuple[str, str, str]] = []
    if isinstance(value, list):
        for item in value:
            found += _ids_in(item, parent)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            kind = _kind(key, item, value, parent)
            if kind is not None:
                found.append((key, item, kind))
            found += _ids_in(item, key)
    return found


def _kind(key: str, value: Any, around: Mapping[str, Any], parent: str | None) -> str | None:
    """The kind of id `value` is, when `key` holds one; None when it is no id (e.g. a region's `id`)."""
    if not isinstance(value, str) or not value:
        return None
    if key in ID_KEYS:
        return ID_KEYS[key]
    if key != "id":
        return None
    declared = around.get("type")
    if declared in KINDS:
        return str(declared)
    if parent in KINDS:  # a reference: `project: {id, url, name}`
        return parent
    if parent in LIST_KINDS:
        return LIST_KINDS[parent]
    prefix, sep, _ = value.partition("_")
    return PREFIXES.get(prefix) if sep else None
