"""Reading restore bodies the way the contract does."""

from __future__ import annotations

import json

from hypothesis import given

from restore_contract.contracts import describe_body, describe_json
from restore_contract.strategies.payloads import RawBody, labelled_invalid_restore_bodies, restore_bodies


@given(restore_bodies())
def test_valid_bodies_are_well_formed(body: dict[str, object]) -> None:
    facts = describe_json(body)
    assert facts.well_formed
    assert facts.type_is_backup
    assert facts.database_id == body["source"]["databaseId"]  # type: ignore[index]


@given(labelled_invalid_restore_bodies())
def test_invalid_bodies_are_never_a_usable_backup_source(pair: tuple[str, object]) -> None:
    label, body = pair
    facts = describe_body(body.content if isinstance(body, RawBody) else json.dumps(body).encode())
    if label == "source.type not 'backup'":
        assert facts.well_formed
        assert facts.type_is_backup is False
    else:
        assert not facts.well_formed, label


def test_no_body_and_non_json() -> None:
    assert not describe_body(None).well_formed
    assert not describe_body(b"").well_formed
    assert not describe_body(b"\xff\xfe").well_formed
