"""The control plane under /_emulator/: each endpoint works, bad input is a 400 envelope, reset forgets everything."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from restore_contract.emulator import DESCRIPTIONS, EmulatorConfig, Fault

if TYPE_CHECKING:
    from tests.emulator.conftest import Api, MakeApi, Seeded

MISSING_DATABASE = "db_c" + "0" * 24


def _rejected(api: Api, method: str, path: str, body: Any = None, *, content: bytes | None = None) -> int:
    """Send a control request that must fail (`Api` checks that its answer is the error envelope); its status."""
    response = api.control(method, path, body, content)
    assert response.status_code >= 400, response.text
    return response.status_code


def test_reset_forgets_every_resource_and_restores_the_configuration(make_api: MakeApi) -> None:
    api = make_api(EmulatorConfig(faults=frozenset({Fault.LOCK_NOT_RELEASED})))
    seeded = api.seed(api.project())
    api.set_faults([Fault.AUTH_IGNORED])
    api.set_clock("manual")

    assert api.control("POST", "/reset").status_code == 204

    assert api.get_database(seeded.database_id).status_code == 404
    assert api.list_databases(seeded.project_id).status_code == 404
    assert api.control("GET", f"/databases/{seeded.database_id}/data").status_code == 404
    assert api.control("GET", "/faults").json()["active"] == [Fault.LOCK_NOT_RELEASED]
    assert api.control("GET", "/clock").json() == {"clock": "immediate"}
    log = api.control("GET", "/requests").json()["requests"]
    assert [(entry["method"], entry["path"]) for entry in log][:1] == [("POST", "/_emulator/reset")]


def test_faults_list_the_catalogue_and_switch_at_run_time(api: Api, seeded: Seeded) -> None:
    catalogue = api.control("GET", "/faults").json()
    assert catalogue == {"active": [], "catalog": {fault.value: text for fault, text in DESCRIPTIONS.items()}}

    switched = api.control("PUT", "/faults", {"active": [Fault.AUTH_IGNORED.value]})
    assert switched.json()["active"] == [Fault.AUTH_IGNORED]
    assert api.get_database(seeded.database_id, auth=None).status_code == 200

    api.set_faults([])
    assert api.get_database(seeded.database_id, auth=None).status_code == 401


@pytest.mark.parametrize(
    "body", [{"active": ["nope"]}, {"active": 5}, {"active": [None]}, [Fault.AUTH_IGNORED.value], "auth-ignored"]
)
def test_bad_faults_are_400(api: Api, body: Any) -> None:
    assert _rejected(api, "PUT", "/faults", body) == 400
    assert api.control("GET", "/faults").json()["active"] == []


def test_the_clock_reads_and_switches(api: Api) -> None:
    assert api.control("GET", "/clock").json() == {"clock": "immediate"}

    for clock in ("manual", "reads:3", "seconds:0.5", "immediate"):
        assert api.control("PUT", "/clock", {"clock": clock}).json() == {"clock": clock}


@pytest.mark.parametrize("body", [{"clock": "weird"}, {"clock": "reads:-1"}, {"clock": "seconds:x"}, {}, [1]])
def test_bad_clocks_are_400(api: Api, body: Any) -> None:
    assert _rejected(api, "PUT", "/clock", body) == 400


def test_a_project_is_created_empty(api: Api) -> None:
    response = api.control("POST", "/projects", {"name": "shop"})

    assert response.status_code == 201
    created = response.json()
    assert created["name"] == "shop"
    assert created["id"].startswith("proj_")
    assert api.list_databases(created["id"]).json()["data"] == []


def test_a_backup_is_a_snapshot_of_the_data_at_that_moment(api: Api, seeded: Seeded) -> None:
    response = api.control("POST", f"/databases/{seeded.database_id}/backups", {"status": "running"})
    assert response.status_code == 201
    backup = response.json()
    assert (backup["status"], backup["backupType"], backup["databaseId"]) == ("running", "full", seeded.database_id)

    api.write(seeded.database_id, {"other": []})
    api.control("PUT", f"/backups/{backup['id']}/status", {"status": "completed"})
    assert api.restore(seeded.database_id, {**seeded.source, "backupId": backup["id"]}).status_code == 200
    assert api.status(seeded.database_id) == "ready"
    assert api.data(seeded.database_id) == seeded.data


def test_a_backup_status_can_be_set(api: Api, seeded: Seeded) -> None:
    response = api.control("PUT", f"/backups/{seeded.backup_id}/status", {"status": "failed"})

    assert (response.status_code, response.json()["status"]) == (200, "failed")
    assert api.list_backups(seeded.database_id).json()["data"][0]["status"] == "failed"


def test_a_database_status_can_be_forced(api: Api, seeded: Seeded) -> None:
    response = api.control("PUT", f"/databases/{seeded.database_id}/status", {"status": "failure"})

    assert (response.status_code, response.json()["data"]["status"]) == (200, "failure")
    assert api.status(seeded.database_id) == "failure"


def test_data_is_written_and_read_back(api: Api, seeded: Seeded) -> None:
    tables = {"a": [{"id": 1}, {"id": 2}], "b": []}

    assert api.control("PUT", f"/databases/{seeded.database_id}/data", {"tables": tables}).status_code == 204
    assert api.control("GET", f"/databases/{seeded.database_id}/data").json() == {"tables": tables}


def test_credentials_are_checked(api: Api, project: str) -> None:
    created = api.create_database(project).json()["data"]
    good = created["connectionString"]

    assert api.authenticate(good) == created["id"]
    assert api.authenticate(good.replace(created["directConnection"]["pass"], "wrong")) is None
    assert api.authenticate("postgres://[") is None
    assert api.authenticate("") is None


BAD_REQUESTS: dict[str, tuple[str, str, Any]] = {
    "backup status unknown": ("POST", "/databases/{db}/backups", {"status": "bogus"}),
    "backup type unknown": ("POST", "/databases/{db}/backups", {"backupType": "differential"}),
    "backup body a list": ("POST", "/databases/{db}/backups", []),
    "backup status set to nothing": ("PUT", "/backups/{backup}/status", {}),
    "backup status set to bogus": ("PUT", "/backups/{backup}/status", {"status": "bogus"}),
    "database status set to bogus": ("PUT", "/databases/{db}/status", {"status": "deleted"}),
    "database status not a string": ("PUT", "/databases/{db}/status", {"status": ["ready"]}),
    "tables missing": ("PUT", "/databases/{db}/data", {}),
    "tables a list": ("PUT", "/databases/{db}/data", {"tables": []}),
    "rows not a list": ("PUT", "/databases/{db}/data", {"tables": {"a": {}}}),
    "connection string missing": ("POST", "/authenticate", {}),
    "connection string not a string": ("POST", "/authenticate", {"connectionString": 1}),
    "project body a string": ("POST", "/projects", "shop"),
}


@pytest.mark.parametrize(("method", "path", "body"), BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_bad_input_is_400(api: Api, seeded: Seeded, method: str, path: str, body: Any) -> None:
    assert _rejected(api, method, path.format(db=seeded.database_id, backup=seeded.backup_id), body) == 400


@pytest.mark.parametrize("content", [b"{", b"\xff", b"[" * 100_000], ids=["truncated", "not UTF-8", "too deep"])
def test_a_body_that_is_not_json_is_400(api: Api, content: bytes) -> None:
    assert _rejected(api, "PUT", "/clock", content=content) == 400


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", f"/databases/{MISSING_DATABASE}/backups", {}),
        ("PUT", "/backups/bkp_missing/status", {"status": "failed"}),
        ("PUT", f"/databases/{MISSING_DATABASE}/status", {"status": "ready"}),
        ("GET", f"/databases/{MISSING_DATABASE}/data", None),
        ("PUT", f"/databases/{MISSING_DATABASE}/data", {"tables": {}}),
        ("GET", "/nothing-here", None),
    ],
)
def test_unknown_resources_are_404(api: Api, method: str, path: str, body: Any) -> None:
    assert _rejected(api, method, path, body) == 404


def test_the_request_log_lists_what_was_received(api: Api, seeded: Seeded) -> None:
    waited: list[float] = []  # ms the client waited for each answer, in the order sent

    def timed(send: Callable[[], object]) -> None:
        started = time.perf_counter()
        send()
        waited.append((time.perf_counter() - started) * 1000)

    timed(lambda: api.control("DELETE", "/requests"))
    timed(lambda: api.get_database(seeded.database_id))
    timed(lambda: api.request("GET", "/v1/databases/c%2F0000000"))
    timed(lambda: api.get_database(seeded.database_id, auth=None))

    log = api.control("GET", "/requests").json()["requests"]

    assert [(entry["method"], entry["path"], entry["status"]) for entry in log] == [
        ("DELETE", "/_emulator/requests", 204),
        ("GET", f"/v1/databases/{seeded.database_id}", 200),
        ("GET", "/v1/databases/c%2F0000000", 404),
        ("GET", f"/v1/databases/{seeded.database_id}", 401),
    ]
    # In process, the emulator answers inside the client's call, so each logged time is more than nothing and
    # at most what the client waited for that answer (the log rounds to 0.001 ms, hence the 0.0005).
    assert all(0 < entry["ms"] <= bound + 0.0005 for entry, bound in zip(log, waited, strict=True)), (log, waited)
