"""Self-tests of the restore-body strategies, and their composability with schemathesis."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any
from urllib.parse import unquote

import httpx
import schemathesis
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from restore_contract import contracts
from restore_contract.contracts import RESTORE, request_body_validator
from restore_contract.strategies.ids import valid_database_ids
from restore_contract.strategies.payloads import (
    INVALID_BODY_CLASSES,
    RawBody,
    labelled_invalid_restore_bodies,
    restore_bodies,
)

# The suite's ci profile does not shrink; these tests are about what examples shrink to.
SHRINKING = settings(phases=list(Phase), database=None, max_examples=500)


@given(restore_bodies())
def test_valid_bodies_match_the_request_schema(body: dict[str, Any]) -> None:
    assert request_body_validator(RESTORE).is_valid(body)


@given(labelled_invalid_restore_bodies())
def test_invalid_bodies_break_the_request_schema(pair: tuple[str, Any]) -> None:
    label, body = pair
    if isinstance(body, RawBody):
        try:
            json.loads(body.content)
        except ValueError:
            return
        raise AssertionError(f"{label}: {body.content!r} parses as JSON")
    assert not request_body_validator(RESTORE).is_valid(body), label


def test_every_invalid_body_class_is_reached() -> None:
    seen: Counter[str] = Counter()

    @settings(max_examples=400, database=None)
    @given(labelled_invalid_restore_bodies())
    def collect(pair: tuple[str, Any]) -> None:
        seen[pair[0]] += 1

    collect()
    assert set(seen) == set(INVALID_BODY_CLASSES), seen


def test_json_only_leaves_out_raw_bodies() -> None:
    @given(labelled_invalid_restore_bodies(json_only=True))
    def check(pair: tuple[str, Any]) -> None:
        assert not isinstance(pair[1], RawBody)

    check()


def test_extra_fields_are_generated_and_valid() -> None:
    body = find(restore_bodies(), lambda b: len(b) > 1 and len(b["source"]) > 3, settings=SHRINKING)
    assert request_body_validator(RESTORE).is_valid(body)


def test_caller_ids_are_used() -> None:
    @given(restore_bodies(st.just("db_real"), st.just("bkp_real"), extras=False))
    def check(body: dict[str, Any]) -> None:
        assert body == {"source": {"type": "backup", "databaseId": "db_real", "backupId": "bkp_real"}}

    check()


def test_minimal_valid_body_is_readable() -> None:
    assert find(restore_bodies(), lambda _: True, settings=SHRINKING) == {
        "source": {"type": "backup", "databaseId": "0", "backupId": "0"}
    }


SCHEMA = schemathesis.openapi.from_path(str(contracts.OPENAPI_PATH))


@given(
    case=SCHEMA["/v1/databases/{targetDatabaseId}/restore"]["POST"].as_strategy(),
    target=valid_database_ids(),
    body=restore_bodies(),
)
def test_strategies_compose_with_schemathesis_cases(case: Any, target: str, body: dict[str, Any]) -> None:
    """Our ids and bodies drop into schemathesis cases and are serialised as sent."""
    case.path_parameters = {"targetDatabaseId": contracts.encode_segment(target)}
    case.body = body
    sent = case.as_transport_kwargs(base_url="http://emulator")
    segments = httpx.URL(sent["url"]).raw_path.decode("ascii").split("/")
    assert len(segments) == 5
    assert unquote(segments[3]) == target
    assert sent["json"] == body
