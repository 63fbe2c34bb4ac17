"""Every status-code path of restore, and what a finished restore leaves behind (data, connections, ids)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from restore_contract.emulator import DEFAULT_TOKEN

if TYPE_CHECKING:
    from tests.emulator.conftest import Api, Seeded

MISSING_DATABASE = "db_c" + "0" * 24


def _unchanged(api: Api, seeded: Seeded) -> None:
    """A rejected restore started nothing: the target is ready and holds its data."""
    assert api.status(seeded.database_id) == "ready"
    assert api.data(seeded.database_id) == seeded.data


def test_restore_answers_recovering_for_the_target_and_echoes_the_source(api: Api, seeded: Seeded) -> None:
    response = api.restore(seeded.database_id, seeded.source)

    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["id"], data["status"], data["source"]) == (seeded.database_id, "recovering", seeded.source)


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", f"Basic {DEFAULT_TOKEN}", DEFAULT_TOKEN, "Bearer", f"Bearer  {DEFAULT_TOKEN}"],
    ids=["missing", "wrong token", "wrong scheme", "no scheme", "scheme only", "two spaces"],
)
def test_restore_without_a_valid_token_is_401(api: Api, seeded: Seeded, authorization: str | None) -> None:
    assert api.restore(seeded.database_id, seeded.source, auth=authorization).status_code == 401
    _unchanged(api, seeded)


def test_restore_of_a_database_that_does_not_exist_is_404(api: Api, seeded: Seeded) -> None:
    assert api.restore(MISSING_DATABASE, seeded.source).status_code == 404


Source = Callable[["Api", "Seeded"], dict[str, Any]]
NOT_FOUND_SOURCES: dict[str, Source] = {
    "unknown source database": lambda api, s: {**s.source, "databaseId": MISSING_DATABASE},
    "backup that does not exist": lambda api, s: {**s.source, "backupId": "bkp_c" + "0" * 24},
    "backup of another database than source.databaseId": lambda api, s: {
        **s.source,
        "backupId": api.seed(s.project_id, name="other").backup_id,
    },
}


@pytest.mark.parametrize("make_source", NOT_FOUND_SOURCES.values(), ids=NOT_FOUND_SOURCES.keys())
def test_restore_from_a_source_that_cannot_be_found_is_404(api: Api, seeded: Seeded, make_source: Source) -> None:
    assert api.restore(seeded.database_id, make_source(api, seeded)).status_code == 404
    _unchanged(api, seeded)


def test_restore_into_a_provisioning_database_is_409(api: Api, seeded: Seeded) -> None:
    created = api.create_database(seeded.project_id, name="new")
    assert created.json()["data"]["status"] == "provisioning"

    assert api.restore(created.json()["data"]["id"], seeded.source).status_code == 409


def test_restore_into_a_recovering_database_is_409(api: Api, seeded: Seeded) -> None:
    assert api.restore(seeded.database_id, seeded.source).status_code == 200

    assert api.restore(seeded.database_id, seeded.source).status_code == 409


UNPROCESSABLE_BODIES: dict[str, Callable[[Seeded], Any]] = {
    "source.type 'database'": lambda s: {"source": {**s.source, "type": "database"}},
    "source.type 'Backup'": lambda s: {"source": {**s.source, "type": "Backup"}},
    "empty object": lambda s: {},
    "source not an object": lambda s: {"source": "backup"},
    "empty source": lambda s: {"source": {}},
    "missing source.type": lambda s: {"source": {k: v for k, v in s.source.items() if k != "type"}},
    "missing source.databaseId": lambda s: {"source": {k: v for k, v in s.source.items() if k != "databaseId"}},
    "missing source.backupId": lambda s: {"source": {k: v for k, v in s.source.items() if k != "backupId"}},
    "source.backupId not a string": lambda s: {"source": {**s.source, "backupId": 7}},
    "source.databaseId breaks the id pattern": lambda s: {"source": {**s.source, "databaseId": "abc-def"}},
    "body is a list": lambda s: [s.source],
}


@pytest.mark.parametrize("make_body", UNPROCESSABLE_BODIES.values(), ids=UNPROCESSABLE_BODIES.keys())
def test_restore_with_a_body_that_breaks_the_schema_is_422(
    api: Api, seeded: Seeded, make_body: Callable[[Seeded], Any]
) -> None:
    assert api.restore(seeded.database_id, json=make_body(seeded)).status_code == 422
    _unchanged(api, seeded)


@pytest.mark.parametrize(
    "content",
    [b'{"source": ', b"nope", b"\xff\xfe", b"", b"[" * 100_000],
    ids=["truncated JSON", "not JSON", "not UTF-8", "empty body", "nested too deeply"],
)
def test_restore_with_a_body_that_is_not_json_is_422(api: Api, seeded: Seeded, content: bytes) -> None:
    response = api.restore(seeded.database_id, content=content, headers={"Content-Type": "application/json"})

    assert response.status_code == 422
    _unchanged(api, seeded)


@pytest.mark.parametrize("status", ["running", "failed", "unknown"])
def test_restore_from_a_backup_that_is_not_completed_is_422(api: Api, seeded: Seeded, status: str) -> None:
    backup_id = api.backup(seeded.database_id, status=status)

    assert api.restore(seeded.database_id, {**seeded.source, "backupId": backup_id}).status_code == 422
    _unchanged(api, seeded)


@pytest.mark.parametrize("target", ["db_", "abc-def", "db_abc def", "DB_abc"])
def test_restore_of_a_target_id_that_breaks_the_pattern_is_422(api: Api, seeded: Seeded, target: str) -> None:
    assert api.restore(target, seeded.source).status_code == 422


def test_a_backup_of_another_database_restores_into_the_target(api: Api, seeded: Seeded) -> None:
    other = api.seed(seeded.project_id, {"other": [{"id": 2}], "items": []}, name="other")

    response = api.restore(seeded.database_id, other.source)

    assert response.status_code == 200
    assert response.json()["data"]["source"] == other.source
    assert api.status(seeded.database_id) == "ready"
    assert api.data(seeded.database_id) == other.data
    assert api.data(other.database_id) == other.data


def test_a_finished_restore_replaces_the_data_with_the_backup(api: Api, seeded: Seeded) -> None:
    api.write(seeded.database_id, {"items": [*seeded.data["items"], {"id": 9, "name": "after"}], "later": [{}]})

    assert api.restore(seeded.database_id, seeded.source).status_code == 200
    assert api.status(seeded.database_id) == "ready"

    assert api.data(seeded.database_id) == seeded.data


def test_a_restore_keeps_connections_and_credentials(api: Api, seeded: Seeded) -> None:
    connection_string = api.create_connection(seeded.database_id).json()["data"]["connectionString"]

    def connections() -> tuple[str, list[str]]:
        data = api.get_database(seeded.database_id).json()["data"]
        return data["defaultConnectionId"], [connection["id"] for connection in data["connections"]]

    before = connections()
    assert api.restore(seeded.database_id, seeded.source).status_code == 200
    assert api.status(seeded.database_id) == "ready"

    assert connections() == before
    assert api.authenticate(connection_string) == seeded.database_id


ENCODED_IDS = ["c%2F0000000", "c%3F0000000", "c%230000000", "c%C3%A9aaaaaaaa", "c%2F..%2F00000000"]


@pytest.mark.parametrize("raw_id", ENCODED_IDS)
def test_percent_encoded_characters_stay_inside_the_id(api: Api, seeded: Seeded, raw_id: str) -> None:
    got = api.request("GET", f"/v1/databases/{raw_id}")
    other_method = api.request("PUT", f"/v1/databases/{raw_id}")
    restored = api.request("POST", f"/v1/databases/{raw_id}/restore", json={"source": seeded.source})

    assert got.status_code == 404  # no such database (and an error envelope, as every answer is checked)
    assert (other_method.status_code, other_method.headers["allow"]) == (405, "GET, DELETE")  # routed as one id
    assert restored.status_code == 404


def test_an_id_with_an_encoded_slash_never_reaches_another_database(api: Api, seeded: Seeded) -> None:
    api.set_clock("manual")  # a restore that reached the database would leave it recovering
    target = seeded.database_id
    body = {"source": seeded.source}

    assert api.request("GET", f"/v1/databases/{target}%2Fbackups").status_code == 404
    assert api.request("GET", f"/v1/databases/c%2F..%2F{target}").status_code == 404
    assert api.request("POST", f"/v1/databases/c%2F..%2F{target}/restore", json=body).status_code == 404
    assert api.request("POST", f"/v1/databases/{target}%2Frestore", json=body).status_code == 405
    assert api.request("POST", f"/v1/databases/{target}%2F/restore", json=body).status_code == 404

    _unchanged(api, seeded)
