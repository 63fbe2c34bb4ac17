"""Every fault switch breaks exactly the behaviour its description names.

`CASES` holds one scenario per fault: it builds what it needs through the API and returns an observable.
Run on a healthy emulator the observable is the correct one; with the fault on it is the broken one; with
any *other* fault on it stays correct (except the few consequences listed in `CONSEQUENCES`, and faults that
break the same observable in different ways). The tests are parametrized over `Fault`, so a new fault
without a scenario fails here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from emulator import DESCRIPTIONS, EmulatorConfig, Fault
from emulator.faults import DATA_PLANE_FAULTS

if TYPE_CHECKING:
    from tests.emulator.conftest import Api, MakeApi

MISSING_DATABASE = "db_c" + "0" * 24
BACKUP_DATA = {"a": [{"id": 1}], "b": [{"id": 1}]}
LATER_DATA = {"a": [{"id": 2}], "b": [{"id": 2}]}


@dataclass(frozen=True)
class Case:
    scenario: Callable[[Api], Any]
    correct: Any
    broken: Any


def restore_status(api: Api) -> Any:
    seeded = api.seed(api.project())
    return api.restore(seeded.database_id, seeded.source).json()["data"]["status"]


def second_restore_while_recovering(api: Api) -> int:
    seeded = api.seed(api.project())
    api.restore(seeded.database_id, seeded.source)
    return api.restore(seeded.database_id, seeded.source).status_code


def restore_into_provisioning(api: Api) -> int:
    seeded = api.seed(api.project())
    created = api.create_database(seeded.project_id).json()["data"]
    return api.restore(created["id"], seeded.source).status_code


def restore_of_a_backup_of_another_database(api: Api) -> int:
    seeded = api.seed(api.project())
    other = api.seed(seeded.project_id, name="other")
    return api.restore(seeded.database_id, {**seeded.source, "backupId": other.backup_id}).status_code


def restore_of_a_failed_backup(api: Api) -> int:
    seeded = api.seed(api.project())
    failed = api.backup(seeded.database_id, status="failed")
    return api.restore(seeded.database_id, {**seeded.source, "backupId": failed}).status_code


def restore_naming_a_missing_source_database(api: Api) -> int:
    seeded = api.seed(api.project())
    return api.restore(seeded.database_id, {**seeded.source, "databaseId": MISSING_DATABASE}).status_code


def restore_from_source_type_database(api: Api) -> int:
    seeded = api.seed(api.project())
    return api.restore(seeded.database_id, {**seeded.source, "type": "database"}).status_code


def credentials_after_restore(api: Api) -> bool:
    seeded = api.seed(api.project())
    connection_string = api.create_connection(seeded.database_id).json()["data"]["connectionString"]
    api.restore(seeded.database_id, seeded.source)
    api.status(seeded.database_id)
    return api.authenticate(connection_string) == seeded.database_id


def connections_kept_by_restore(api: Api) -> bool:
    seeded = api.seed(api.project())

    def connections() -> tuple[str, list[str]]:
        data = api.get_database(seeded.database_id).json()["data"]
        return data["defaultConnectionId"], [connection["id"] for connection in data["connections"]]

    before = connections()
    api.restore(seeded.database_id, seeded.source)
    return connections() == before


def source_echoed(api: Api) -> bool:
    seeded = api.seed(api.project())
    return bool(api.restore(seeded.database_id, seeded.source).json()["data"]["source"] == seeded.source)


def statuses_after_restore(api: Api) -> list[str]:
    seeded = api.seed(api.project())
    api.restore(seeded.database_id, seeded.source)
    return [api.status(seeded.database_id) for _ in range(3)]


def data_after_restore(api: Api) -> Any:
    seeded = api.seed(api.project(), BACKUP_DATA)
    api.write(seeded.database_id, LATER_DATA)
    api.restore(seeded.database_id, seeded.source)
    api.status(seeded.database_id)
    return api.data(seeded.database_id)


def restore_after_a_finished_restore(api: Api) -> int:
    seeded = api.seed(api.project())
    api.restore(seeded.database_id, seeded.source)
    api.status(seeded.database_id)
    return api.restore(seeded.database_id, seeded.source).status_code


def restore_of_a_deleted_database(api: Api) -> int:
    seeded = api.seed(api.project())
    other = api.seed(seeded.project_id, name="other")
    api.delete_database(seeded.database_id)
    return api.restore(seeded.database_id, other.source).status_code


def data_after_a_rejected_restore(api: Api) -> tuple[int, Any]:
    seeded = api.seed(api.project(), BACKUP_DATA)
    status = api.restore(seeded.database_id, {**seeded.source, "backupId": "bkp_missing"}).status_code
    return status, api.data(seeded.database_id)


def get_without_token(api: Api) -> int:
    seeded = api.seed(api.project())
    return api.get_database(seeded.database_id, auth=None).status_code


def get_of_a_unicode_id(api: Api) -> int:
    return api.request("GET", "/v1/databases/c%C3%A9aaaaaaaa").status_code


def restore_with_a_truncated_body(api: Api) -> int:
    seeded = api.seed(api.project())
    return api.restore(seeded.database_id, content=b'{"source": ').status_code


def error_body_keys(api: Api) -> list[str]:
    return sorted(api.get_database(MISSING_DATABASE).json())


def content_type_of_an_answer(api: Api) -> str:
    return api.request("GET", "/v1/databases/" + MISSING_DATABASE).headers["content-type"]


def restore_schema_problems(api: Api) -> list[str]:
    seeded = api.seed(api.project())
    return api.problems(api.restore(seeded.database_id, seeded.source))


CASES: dict[Fault, Case] = {
    Fault.RESTORE_ANSWERS_READY: Case(restore_status, "recovering", "ready"),
    Fault.NO_CONFLICT_WHILE_RECOVERING: Case(second_restore_while_recovering, 409, 200),
    Fault.NO_CONFLICT_WHILE_PROVISIONING: Case(restore_into_provisioning, 409, 200),
    Fault.FOREIGN_BACKUP_ACCEPTED: Case(restore_of_a_backup_of_another_database, 404, 200),
    Fault.UNUSABLE_BACKUP_ACCEPTED: Case(restore_of_a_failed_backup, 422, 200),
    Fault.MISSING_SOURCE_ACCEPTED: Case(restore_naming_a_missing_source_database, 404, 200),
    Fault.OTHER_SOURCE_TYPE_ACCEPTED: Case(restore_from_source_type_database, 422, 200),
    Fault.CREDENTIALS_ROTATED: Case(credentials_after_restore, True, False),
    Fault.ROLES_DROPPED: Case(credentials_after_restore, True, False),
    Fault.CONNECTIONS_REPLACED: Case(connections_kept_by_restore, True, False),
    Fault.SOURCE_NOT_ECHOED: Case(source_echoed, True, False),
    Fault.RECOVERY_NEVER_FINISHES: Case(statuses_after_restore, ["ready"] * 3, ["recovering"] * 3),
    Fault.DATA_NOT_REPLACED: Case(data_after_restore, BACKUP_DATA, LATER_DATA),
    Fault.DATA_PARTLY_REPLACED: Case(data_after_restore, BACKUP_DATA, {"a": [{"id": 1}], "b": [{"id": 2}]}),
    Fault.LOCK_NOT_RELEASED: Case(restore_after_a_finished_restore, 200, 409),
    Fault.DELETED_DATABASE_RESTORABLE: Case(restore_of_a_deleted_database, 404, 200),
    Fault.FAILED_RESTORE_MUTATES: Case(data_after_a_rejected_restore, (404, BACKUP_DATA), (404, {})),
    Fault.AUTH_IGNORED: Case(get_without_token, 401, 200),
    Fault.UNICODE_ID_500: Case(get_of_a_unicode_id, 404, 500),
    Fault.MALFORMED_BODY_500: Case(restore_with_a_truncated_body, 422, 500),
    Fault.ERROR_ENVELOPE_WRONG: Case(error_body_keys, ["error"], ["message"]),
    Fault.CONTENT_TYPE_WRONG: Case(content_type_of_an_answer, "application/json", "text/plain; charset=utf-8"),
    Fault.RESPONSE_SCHEMA_WRONG: Case(restore_schema_problems, [], ["$.data: 'createdAt' is a required property"]),
}

# A fault that also changes another fault's observable, because that observable depends on what it breaks.
CONSEQUENCES: dict[Fault, set[Fault]] = {
    # nothing finishes, so nothing is replaced, and the database stays locked by the first restore
    Fault.RECOVERY_NEVER_FINISHES: {Fault.DATA_NOT_REPLACED, Fault.DATA_PARTLY_REPLACED, Fault.LOCK_NOT_RELEASED},
    # a JSON answer labelled text/plain does not conform either
    Fault.CONTENT_TYPE_WRONG: {Fault.RESPONSE_SCHEMA_WRONG},
}


def _run(make_api: MakeApi, scenario: Callable[[Api], Any], *faults: Fault, data_plane: str = "memory") -> Any:
    # A healthy emulator's answers must all conform; with a fault on, breaking the contract may be the point.
    config = EmulatorConfig(faults=frozenset(faults), data_plane=data_plane)
    return scenario(make_api(config, checked=not faults))


def test_every_fault_has_a_scenario() -> None:
    assert set(CASES) == set(Fault) == set(DESCRIPTIONS)


@pytest.mark.parametrize("fault", list(Fault), ids=str)
def test_the_fault_breaks_what_it_names(make_api: MakeApi, fault: Fault) -> None:
    case = CASES[fault]

    healthy = _run(make_api, case.scenario)
    broken = _run(make_api, case.scenario, fault)

    assert healthy == case.correct, f"without {fault}: {healthy!r}"
    assert broken == case.broken, f"with {fault} ({DESCRIPTIONS[fault]}): {broken!r}"


@pytest.mark.parametrize("fault", sorted(DATA_PLANE_FAULTS), ids=str)
def test_the_fault_breaks_postgres_too(make_api: MakeApi, fault: Fault) -> None:
    """Data-plane faults once more on real PostgreSQL (the suite's default): real logins, real data."""
    case = CASES[fault]

    healthy = _run(make_api, case.scenario, data_plane="postgres")
    broken = _run(make_api, case.scenario, fault, data_plane="postgres")

    assert healthy == case.correct, f"without {fault}: {healthy!r}"
    assert broken == case.broken, f"with {fault} ({DESCRIPTIONS[fault]}): {broken!r}"


@pytest.mark.parametrize("fault", list(Fault), ids=str)
def test_the_fault_breaks_nothing_else(make_api: MakeApi, fault: Fault) -> None:
    consequences = CONSEQUENCES.get(fault, set())
    for other, case in CASES.items():
        if case.scenario is CASES[fault].scenario:
            continue  # the same observable, broken another way (data-not-replaced, data-partly-replaced)
        observed = _run(make_api, case.scenario, fault)
        if other in consequences:
            assert observed != case.correct, f"{other} is listed as a consequence of {fault}, but is not one"
        else:
            assert observed == case.correct, f"{fault} changes the scenario of {other}: {observed!r}"
