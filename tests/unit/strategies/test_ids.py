"""Self-tests of the id strategies: their claims about the documented pattern hold."""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import unquote

import httpx
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from restore_contract import contracts
from restore_contract.contracts import (
    DATABASE_ID_PATTERN,
    RESTORE,
    expand_path,
    matches_database_id,
    parameter_validator,
)
from restore_contract.strategies.ids import (
    INVALID_ID_CLASSES,
    invalid_database_ids,
    labelled_invalid_database_ids,
    labelled_valid_database_ids,
    valid_database_ids,
)

# The suite's ci profile does not shrink; these tests are about what examples shrink to.
SHRINKING = settings(phases=list(Phase), database=None, max_examples=500)

PYTHON_RE = re.compile(DATABASE_ID_PATTERN)
RESTORE_PATH = contracts.operation(RESTORE).path


def _jsonschema_accepts(value: str) -> bool:
    return bool(parameter_validator(RESTORE, "targetDatabaseId").is_valid(value))


@given(valid_database_ids())
def test_valid_ids_match_in_every_dialect(value: str) -> None:
    assert PYTHON_RE.fullmatch(value)
    assert _jsonschema_accepts(value)
    assert matches_database_id(value)


@given(invalid_database_ids())
def test_invalid_ids_match_in_no_dialect(value: str) -> None:
    assert not PYTHON_RE.fullmatch(value)
    assert not _jsonschema_accepts(value)
    assert not matches_database_id(value)


def _reached(strategy: st.SearchStrategy[tuple[str, str]], examples: int) -> Counter[str]:
    seen: Counter[str] = Counter()

    @settings(max_examples=examples, database=None)
    @given(strategy)
    def collect(pair: tuple[str, str]) -> None:
        seen[pair[0]] += 1

    collect()
    return seen


def test_every_regex_branch_is_reached() -> None:
    seen = _reached(labelled_valid_database_ids(), 200)
    assert set(seen) == {
        "valid: [a-z0-9]+",
        "valid: db_ + [a-z0-9]+",
        "valid: [cC] + 8+ non-space non-dash",
        "valid: db_ + [cC] + 8+ non-space non-dash",
    }, seen


def test_every_invalidity_class_is_reached() -> None:
    seen = _reached(labelled_invalid_database_ids(), 400)
    assert set(seen) == {f"invalid: {label}" for label in INVALID_ID_CLASSES}, seen


def test_cuid_branch_reaches_url_specials_and_unicode() -> None:
    for special in "/%?#.":
        assert find(valid_database_ids(), lambda value, s=special: s in value)  # type: ignore[misc]
    assert find(valid_database_ids(), lambda value: any(ord(char) > 127 for char in value))


@given(valid_database_ids())
def test_ids_survive_percent_encoding_and_routing(value: str) -> None:
    path = expand_path(RESTORE_PATH, {"targetDatabaseId": value})
    url = httpx.URL("http://emulator" + path)
    segments = url.raw_path.decode("ascii").split("/")
    assert segments[:3] == ["", "v1", "databases"]
    assert segments[4:] == ["restore"]
    assert unquote(segments[3]) == value
    assert url.query == b""
    assert url.fragment == ""


def test_examples_shrink_to_readable_ids() -> None:
    assert find(valid_database_ids(), lambda v: v.startswith("db_c"), settings=SHRINKING) == "db_c00000000"
    assert find(valid_database_ids(), lambda v: len(v) > 3, settings=SHRINKING) == "0000"
    assert find(invalid_database_ids(), lambda v: " " in v, settings=SHRINKING) == " 0"
    assert find(invalid_database_ids(), lambda v: "-" in v, settings=SHRINKING) == "-0"
