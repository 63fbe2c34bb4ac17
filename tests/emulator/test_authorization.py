"""Workspaces and scoped tokens: a token acts in one workspace with some scopes; another workspace's databases are not
found for it, every write needs workspace:admin, and a restore without it answers the configured status."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from restore_contract.emulator import EmulatorConfig

if TYPE_CHECKING:
    from tests.emulator.conftest import Api, MakeApi


def test_a_token_without_admin_reads_but_writes_nothing(api: Api) -> None:
    seeded = api.seed(api.project())
    auth = f"Bearer {api.mint_token(scopes=['offline_access'])}"
    assert api.get_database(seeded.database_id, auth=auth).status_code == 200
    assert api.list_backups(seeded.database_id, auth=auth).status_code == 200
    assert api.list_databases(seeded.project_id, auth=auth).status_code == 200
    assert api.create_connection(seeded.database_id, auth=auth).status_code == 403
    assert api.delete_database(seeded.database_id, auth=auth).status_code == 403
    created = api.call("postV1ProjectsByProjectIdDatabases", {"projectId": seeded.project_id}, json={}, auth=auth)
    assert created.status_code == 403
    assert api.restore(seeded.database_id, seeded.source, auth=auth).status_code == 403
    assert api.data(seeded.database_id) == seeded.data  # nothing changed


@pytest.mark.parametrize("status", [401, 403])
def test_a_restore_without_admin_answers_the_configured_status_first(make_api: MakeApi, status: int) -> None:
    api = make_api(EmulatorConfig(missing_scope_status=status))
    auth = f"Bearer {api.mint_token(scopes=['offline_access'])}"
    assert api.restore("not-an-id", content=b"{", auth=auth).status_code == status  # before anything else


def test_another_workspace_finds_nothing_of_this_one(api: Api) -> None:
    seeded = api.seed(api.project())
    auth = f"Bearer {api.mint_token(api.workspace())}"
    for answer in (
        api.get_database(seeded.database_id, auth=auth),
        api.list_backups(seeded.database_id, auth=auth),
        api.list_connections(seeded.database_id, auth=auth),
        api.list_databases(seeded.project_id, auth=auth),
        api.create_connection(seeded.database_id, auth=auth),
        api.delete_database(seeded.database_id, auth=auth),
        api.restore(seeded.database_id, seeded.source, auth=auth),
    ):
        assert answer.status_code == 404, answer.text
    assert api.status(seeded.database_id) == "ready"


def test_the_control_plane_refuses_unknown_scopes_and_workspaces(api: Api) -> None:
    assert api.control("POST", "/tokens", {"scopes": ["root"]}).status_code == 400
    assert api.control("POST", "/tokens", {"workspaceId": "wksp_nothing"}).status_code == 404
    assert api.control("POST", "/projects", {"workspaceId": "wksp_nothing"}).status_code == 404
