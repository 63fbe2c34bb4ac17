"""Restore request bodies: valid ones, and invalid ones by class.

The body is ``{"source": {"type": "backup", "databaseId": <id>, "backupId": <string>}}``. Valid bodies
may carry extra fields (the schema is open). Invalid bodies break one rule each and are labelled with
it. Most are JSON values, usable as a schemathesis ``case.body``; two classes (malformed JSON, empty
body) cannot be JSON values, so they are `RawBody` and only plain `@given` tests send them.

Callers pass the id strategies, so the same builders make bodies that name real databases and
backups (to reach 200) or random ones (to reach 404).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from restore_contract.strategies.ids import invalid_database_ids, valid_database_ids
from restore_contract.strategies.labelled import Labelled, labelled, values

JsonValue = Any  # JSON-compatible Python value


@dataclass(frozen=True)
class RawBody:
    """Bytes sent as they are, with the JSON content type: for bodies that are not JSON at all."""

    content: bytes


Body = JsonValue | RawBody

SOURCE_FIELDS = ("type", "databaseId", "backupId")
backup_ids: st.SearchStrategy[str] = st.text(min_size=1, max_size=40)
extra_fields = st.dictionaries(
    st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8).filter(lambda key: key not in SOURCE_FIELDS),
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10)),
    max_size=2,
)
json_non_strings = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.lists(st.integers(), max_size=2),
    st.just({}),
)
not_backup = st.one_of(
    st.sampled_from(["database", "empty", "Backup", "BACKUP", "backup ", " backup", "backups", ""]),
    st.text(max_size=12).filter(lambda text: text != "backup"),
)


def _source(pair: tuple[str, str], more: dict[str, Any]) -> dict[str, Any]:
    database_id, backup_id = pair
    return {**more, "type": "backup", "databaseId": database_id, "backupId": backup_id}


def sources_from_pairs(
    pairs: st.SearchStrategy[tuple[str, str]], extras: bool = True
) -> st.SearchStrategy[dict[str, Any]]:
    """A valid `source` object for each (databaseId, backupId) pair, with extra (ignored) fields when `extras`."""
    return st.builds(_source, pairs, extra_fields if extras else st.just({}))


def sources(
    database_ids: st.SearchStrategy[str] | None = None,
    backups: st.SearchStrategy[str] | None = None,
    extras: bool = True,
) -> st.SearchStrategy[dict[str, Any]]:
    """A valid `source` object naming any database id and backup id."""
    pairs = st.tuples(
        database_ids if database_ids is not None else valid_database_ids(),
        backups if backups is not None else backup_ids,
    )
    return sources_from_pairs(pairs, extras)


def bodies_from_sources(sources: st.SearchStrategy[dict[str, Any]], extras: bool = True) -> st.SearchStrategy[Any]:
    top_level = extra_fields.filter(lambda fields: "source" not in fields) if extras else st.just({})
    return st.builds(lambda source, more: {**more, "source": source}, sources, top_level)


def restore_bodies(
    database_ids: st.SearchStrategy[str] | None = None,
    backups: st.SearchStrategy[str] | None = None,
    extras: bool = True,
) -> st.SearchStrategy[dict[str, Any]]:
    """Bodies that match the request schema exactly (whether the ids exist is up to the caller)."""
    return bodies_from_sources(sources(database_ids, backups, extras), extras)


def restore_bodies_for(pairs: st.SearchStrategy[tuple[str, str]], extras: bool = True) -> st.SearchStrategy[Any]:
    """Valid bodies naming exactly the given (databaseId, backupId) pairs, e.g. backups known to exist."""
    return bodies_from_sources(sources_from_pairs(pairs, extras), extras)


def _replace(field: str, value: st.SearchStrategy[Any], base: st.SearchStrategy[dict[str, Any]]) -> Any:
    return st.builds(lambda source, new: {"source": {**source, field: new}}, base, value)


def _drop(field: str, base: st.SearchStrategy[dict[str, Any]]) -> Any:
    return base.map(lambda source: {"source": {k: v for k, v in source.items() if k != field}})


def _invalid_body_classes(
    base: st.SearchStrategy[dict[str, Any]], json_only: bool
) -> list[tuple[str, st.SearchStrategy[Body]]]:
    classes: list[tuple[str, st.SearchStrategy[Body]]] = [
        ("missing source", st.one_of(st.just({}), extra_fields.filter(lambda f: "source" not in f))),
        ("source not an object", json_non_strings.filter(lambda v: v != {}).map(lambda v: {"source": v})),
        ("body not an object", st.one_of(json_non_strings.filter(lambda v: v != {}), st.text(max_size=8))),
        *((f"missing source.{field}", _drop(field, base)) for field in SOURCE_FIELDS),
        ("source.type not 'backup'", _replace("type", not_backup, base)),
        *((f"source.{field} not a string", _replace(field, json_non_strings, base)) for field in SOURCE_FIELDS),
        ("source.databaseId breaks the id pattern", _replace("databaseId", invalid_database_ids(), base)),
    ]
    if not json_only:
        malformed = [b'{"source": ', b"nope", b'{"source": {},}', b"{'a': 1}"]
        classes += [
            ("malformed JSON", st.sampled_from(malformed).map(RawBody)),
            ("empty body", st.just(RawBody(b""))),
        ]
    return classes


def labelled_invalid_restore_bodies(
    database_ids: st.SearchStrategy[str] | None = None,
    backups: st.SearchStrategy[str] | None = None,
    json_only: bool = False,
) -> st.SearchStrategy[Labelled[Body]]:
    """Bodies that break the request schema, one rule each, labelled with the rule.

    `json_only` leaves out the classes that are not JSON values (for schemathesis bodies).
    """
    base = sources(database_ids, backups, extras=False)
    return st.one_of([labelled(label, strategy) for label, strategy in _invalid_body_classes(base, json_only)])


def invalid_restore_bodies(
    database_ids: st.SearchStrategy[str] | None = None,
    backups: st.SearchStrategy[str] | None = None,
    json_only: bool = False,
) -> st.SearchStrategy[Body]:
    return values(labelled_invalid_restore_bodies(database_ids, backups, json_only))


INVALID_BODY_CLASSES: tuple[str, ...] = tuple(label for label, _ in _invalid_body_classes(sources(), False))
