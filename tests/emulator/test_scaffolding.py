"""The operations around restore: databases, backups, connections, and the answers to paths and methods."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from restore_contract.emulator import EmulatorConfig

if TYPE_CHECKING:
    from tests.emulator.conftest import Api, MakeApi, Seeded

MISSING_DATABASE = "db_c" + "0" * 24


def _ids(items: list[dict[str, str]]) -> list[str]:
    return [item["id"] for item in items]


def test_a_created_database_is_provisioning_then_ready(api: Api, project: str) -> None:
    response = api.create_database(project, name="orders", region="eu-west-3")

    assert response.status_code == 201
    data = response.json()["data"]
    assert (data["name"], data["region"]["id"], data["status"]) == ("orders", "eu-west-3", "provisioning")
    assert api.status(data["id"]) == "ready"


@pytest.mark.parametrize(
    "body",
    [{"name": ""}, {"name": 5}, {"region": "mars-1"}, {"region": []}, {"isDefault": "yes"}, [1], "name"],
    ids=["empty name", "name not a string", "unknown region", "region a list", "isDefault a string", "list", "string"],
)
def test_creating_a_database_from_a_bad_body_is_400(api: Api, project: str, body: object) -> None:
    assert api.call("postV1ProjectsByProjectIdDatabases", {"projectId": project}, json=body).status_code == 400


def test_a_database_created_from_a_backup_holds_its_data(api: Api, seeded: Seeded) -> None:
    response = api.create_database(seeded.project_id, name="copy", source=seeded.source)

    assert response.status_code == 201
    data = response.json()["data"]
    assert data["source"] == seeded.source
    assert api.data(data["id"]) == seeded.data


def test_a_database_created_from_a_database_holds_a_copy_of_its_data(api: Api, seeded: Seeded) -> None:
    api.write(seeded.database_id, {"now": [{"id": 7}]})
    legacy = api.create_database(seeded.project_id, fromDatabase={"id": seeded.database_id})

    assert legacy.status_code == 201
    assert legacy.json()["data"]["source"] == {"type": "database", "databaseId": seeded.database_id}
    assert api.data(legacy.json()["data"]["id"]) == {"now": [{"id": 7}]}


@pytest.mark.parametrize(
    ("source", "status"),
    [
        ({"type": "backup", "databaseId": MISSING_DATABASE, "backupId": "bkp_x"}, 404),
        ({"type": "database", "databaseId": MISSING_DATABASE}, 404),
        ({"type": "snapshot"}, 400),
        ({"type": "backup", "databaseId": "db_"}, 400),
    ],
)
def test_creating_from_a_source_that_is_missing_or_malformed(
    api: Api, project: str, source: dict[str, str], status: int
) -> None:
    assert api.create_database(project, source=source).status_code == status


def test_creating_from_a_backup_that_is_not_completed_is_400(api: Api, seeded: Seeded) -> None:
    running = api.backup(seeded.database_id, status="running")
    source = {"type": "backup", "databaseId": seeded.database_id, "backupId": running}
    assert api.create_database(seeded.project_id, source=source).status_code == 400


def test_creating_a_database_in_an_unknown_project_is_404(api: Api) -> None:
    assert api.create_database("proj_c" + "0" * 24).status_code == 404


def test_listing_a_project_pages_through_its_live_databases(api: Api, project: str) -> None:
    first, second, third = (api.ready_database(project, name=name) for name in ("a", "b", "c"))
    assert api.delete_database(second).status_code == 204

    everything = api.list_databases(project).json()
    page = api.list_databases(project, params={"limit": "1"}).json()
    rest = api.list_databases(project, params={"limit": "1", "cursor": page["pagination"]["nextCursor"]}).json()

    assert _ids(everything["data"]) == [first, third]
    assert everything["pagination"] == {"hasMore": False, "nextCursor": None}
    assert (_ids(page["data"]), page["pagination"]["hasMore"]) == ([first], True)
    assert (_ids(rest["data"]), rest["pagination"]["hasMore"]) == ([third], False)


def test_getting_a_database(api: Api, seeded: Seeded) -> None:
    response = api.get_database(seeded.database_id)

    assert response.status_code == 200
    assert response.json()["data"]["id"] == seeded.database_id


def test_a_deleted_database_is_gone(api: Api, seeded: Seeded) -> None:
    assert api.delete_database(seeded.database_id).status_code == 204

    assert api.get_database(seeded.database_id).status_code == 404
    assert api.restore(seeded.database_id, seeded.source).status_code == 404
    assert api.delete_database(seeded.database_id).status_code == 404
    assert api.list_databases(seeded.project_id).json()["data"] == []


def test_the_default_database_cannot_be_deleted(api: Api, project: str) -> None:
    default = api.ready_database(project, is_default=True)

    assert api.delete_database(default).status_code == 403
    assert api.status(default) == "ready"


def test_listing_backups_answers_the_envelope(api: Api, seeded: Seeded) -> None:
    response = api.list_backups(seeded.database_id)

    assert response.status_code == 200
    body = response.json()
    assert _ids(body["data"]) == [seeded.backup_id]
    assert body["meta"]["backupRetentionDays"] > 0
    assert body["pagination"] == {"hasMore": False, "limit": 25}


@pytest.mark.parametrize(("limit", "shown", "more"), [("1", 1, True), ("2", 2, False), ("100", 2, False)])
def test_the_backup_limit_cuts_the_list(api: Api, seeded: Seeded, limit: str, shown: int, more: bool) -> None:
    api.backup(seeded.database_id)

    body = api.list_backups(seeded.database_id, params={"limit": limit}).json()

    assert (len(body["data"]), body["pagination"]) == (shown, {"hasMore": more, "limit": int(limit)})


@pytest.mark.parametrize("limit", ["0", "101", "-1", "1.5", "abc", "", "nan", "inf", "1e999"])
def test_a_backup_limit_outside_1_to_100_is_400(api: Api, seeded: Seeded, limit: str) -> None:
    assert api.list_backups(seeded.database_id, params={"limit": limit}).status_code == 400


@pytest.mark.parametrize(("newest_first", "order"), [(True, [2, 1, 0]), (False, [0, 1, 2])])
def test_backups_are_listed_newest_first_unless_configured(
    make_api: MakeApi, newest_first: bool, order: list[int]
) -> None:
    api = make_api(EmulatorConfig(backups_newest_first=newest_first))
    database_id = api.ready_database(api.project())
    taken = [api.backup(database_id) for _ in range(3)]

    listed = _ids(api.list_backups(database_id).json()["data"])

    assert listed == [taken[index] for index in order]


def test_a_database_lists_its_default_connection(api: Api, seeded: Seeded) -> None:
    default = api.get_database(seeded.database_id).json()["data"]["defaultConnectionId"]

    response = api.list_connections(seeded.database_id)

    assert response.status_code == 200
    assert _ids(response.json()["data"]) == [default]


def test_a_new_connection_shows_its_secrets_once(api: Api, seeded: Seeded) -> None:
    response = api.create_connection(seeded.database_id, "reporting")

    assert response.status_code == 200
    data = response.json()["data"]
    password = data["pass"]
    assert all(data[field] for field in ("user", "host", "pass"))
    assert password in data["endpoints"]["direct"]["connectionString"]
    assert api.authenticate(data["connectionString"]) == seeded.database_id
    later = [
        api.get_database(seeded.database_id),
        api.list_connections(seeded.database_id),
        api.list_databases(seeded.project_id),
    ]
    assert data["id"] in _ids(later[1].json()["data"])
    for answer in later:
        assert password not in answer.text, f"{answer.request.url} shows the password"


@pytest.mark.parametrize("body", [{}, {"name": 1}, [], None], ids=["no name", "name not a string", "list", "no body"])
def test_creating_a_connection_from_a_bad_body_is_400(api: Api, seeded: Seeded, body: object) -> None:
    assert api.create_connection(seeded.database_id, json=body).status_code == 400


@pytest.mark.parametrize("path", ["/v1/nope", "/v2/databases", "/", "/v1/databases", "/v1/databases/{id}/nope"])
def test_an_unknown_route_is_404(api: Api, seeded: Seeded, path: str) -> None:
    assert api.request("GET", path.format(id=seeded.database_id)).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/v1/databases/{db}", "GET, DELETE"),
        ("GET", "/v1/databases/{db}/restore", "POST"),
        ("PUT", "/v1/databases/{db}/restore", "POST"),
        ("DELETE", "/v1/projects/{project}/databases", "GET, POST"),
        ("POST", "/v1/databases/{db}/backups", "GET"),
        ("PATCH", "/v1/databases/{db}/connections", "GET, POST"),
    ],
)
def test_a_wrong_method_is_405_with_the_allowed_ones(
    api: Api, seeded: Seeded, method: str, path: str, allowed: str
) -> None:
    response = api.request(method, path.format(db=seeded.database_id, project=seeded.project_id))

    assert (response.status_code, response.headers.get("allow")) == (405, allowed)


DATABASE_OPERATIONS = {
    "get database": "getV1DatabasesByDatabaseId",
    "delete database": "deleteV1DatabasesByDatabaseId",
    "list backups": "getV1DatabasesByDatabaseIdBackups",
    "list connections": "getV1DatabasesByDatabaseIdConnections",
    "create connection": "postV1DatabasesByDatabaseIdConnections",
}
PROJECT_OPERATIONS = {
    "list databases": "getV1ProjectsByProjectIdDatabases",
    "create database": "postV1ProjectsByProjectIdDatabases",
}
HELPER_PARAMETERS = {
    **{name: (operation_id, "databaseId") for name, operation_id in DATABASE_OPERATIONS.items()},
    **{name: (operation_id, "projectId") for name, operation_id in PROJECT_OPERATIONS.items()},
}


@pytest.mark.parametrize("bad_id", ["db_", "abc-def", "proj_", "a b"])
@pytest.mark.parametrize(("operation_id", "parameter"), HELPER_PARAMETERS.values(), ids=HELPER_PARAMETERS.keys())
def test_a_helper_operation_answers_400_to_an_id_that_breaks_the_pattern(
    api: Api, operation_id: str, parameter: str, bad_id: str
) -> None:
    assert api.call(operation_id, {parameter: bad_id}, json={"name": "x"}).status_code == 400


@pytest.mark.parametrize("operation_id", DATABASE_OPERATIONS.values(), ids=DATABASE_OPERATIONS.keys())
def test_a_helper_operation_answers_404_for_an_unknown_database(api: Api, operation_id: str) -> None:
    assert api.call(operation_id, {"databaseId": MISSING_DATABASE}, json={"name": "x"}).status_code == 404


def test_deleting_a_connection_removes_it_and_its_login(api: Api, seeded: Seeded) -> None:
    """DELETE /v1/connections/{id} (204, then 404): a run releases its lease on the sacrificial database with it."""
    created = api.create_connection(seeded.database_id, "contract-lease-run1-run1-until-1").json()["data"]

    assert api.request("DELETE", f"/v1/connections/{created['id']}").status_code == 204

    assert created["id"] not in _ids(api.list_connections(seeded.database_id).json()["data"])
    assert api.authenticate(created["connectionString"]) is None
    assert api.request("DELETE", f"/v1/connections/{created['id']}").status_code == 404
    assert api.request("DELETE", "/v1/connections/a b").status_code == 400
