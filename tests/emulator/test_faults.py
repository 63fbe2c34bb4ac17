"""Every fault switch breaks exactly the behaviour its description names.

`CASES` holds one scenario per fault: it builds what it needs through the API and returns an observable.
Run on a healthy emulator the observable is the correct one; with the fault on it is the broken one; with
any *other* fault on it stays correct (except the few consequences listed in `CONSEQUENCES`, and faults that
break the same observable in different ways). The tests are parametrized over `Fault`, so a new fault
without a scenario fails here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from restore_contract.contracts import encode_segment, operations
from restore_contract.emulator import DESCRIPTIONS, EmulatorConfig, Fault
from restore_contract.emulator.faults import DATA_PLANE_FAULTS, DATABASE_ID_PARAMS, LONG_ID

if TYPE_CHECKING:
    import httpx

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


def restore_with_a_token_lacking_admin(api: Api) -> int:
    seeded = api.seed(api.project())
    token = api.mint_token(scopes=["offline_access"])
    return api.restore(seeded.database_id, seeded.source, auth=f"Bearer {token}").status_code


def another_workspace(api: Api) -> tuple[str, str]:
    """(an admin's Authorization header, a ready database) of a new workspace, the database made with its token."""
    workspace = api.workspace()
    auth = f"Bearer {api.mint_token(workspace)}"
    path = {"projectId": api.project(workspace=workspace)}
    created = api.call("postV1ProjectsByProjectIdDatabases", path, json={"name": "own"}, auth=auth)
    own = str(created.json()["data"]["id"])
    api.force_status(own, "ready")
    return auth, own


def restore_by_another_workspace(api: Api) -> int:
    """Another workspace's admin overwrites this workspace's database with a backup of its own."""
    seeded = api.seed(api.project())
    auth, own = another_workspace(api)
    source = {"type": "backup", "databaseId": own, "backupId": api.backup(own)}
    return api.restore(seeded.database_id, source, auth=auth).status_code


def restore_from_another_workspaces_backup(api: Api) -> int:
    """Another workspace's admin restores a database of its own from a backup of this workspace's database."""
    seeded = api.seed(api.project())
    auth, own = another_workspace(api)
    return api.restore(own, seeded.source, auth=auth).status_code


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


def _outcome(response: httpx.Response, database_id: str) -> int | str:
    """An answer's status code, or for a 200 about `database_id` the status it shows that database in."""
    if response.status_code == 200 and response.json()["data"]["id"] == database_id:
        return str(response.json()["data"]["status"])
    return response.status_code


def derived_ids_reaching(*derivations: Callable[[str], str]) -> Callable[[Api], list[dict[str, int | str]]]:
    """A scenario: per derivation, a GET and a restore of the id derived from an owned database's own id, then a
    restore by the exact id (409 once the derived one started a restore: the owned database is recovering)."""

    def scenario(api: Api) -> list[dict[str, int | str]]:
        project_id, observed = api.project(), list[dict[str, int | str]]()
        for derive in derivations:
            seeded = api.seed(project_id)
            derived = derive(seeded.database_id)
            got = _outcome(api.get_database(derived), seeded.database_id)
            restored = _outcome(api.restore(derived, seeded.source), seeded.database_id)
            then = api.restore(seeded.database_id, seeded.source).status_code
            observed.append({"get": got, "restore": restored, "then": then})
        return observed

    return scenario


REACHED = {"get": "ready", "restore": "recovering", "then": 409}
REGEX_INVALID = {"get": 400, "restore": 422, "then": 200}  # 400: the helpers-invalid-input-400 deviation
NOT_FOUND = {"get": 404, "restore": 404, "then": 200}

prefix_in_other_cases = derived_ids_reaching(lambda id_: "DB_" + id_[3:], lambda id_: "Db_" + id_[3:])
# sent as `x%2Fdb_c…`, `db_c000…%2Fdb_c…` (matches the pattern) and `a%2Fb%2Fdb_c…`
ids_behind_an_encoded_slash = derived_ids_reaching(
    lambda id_: "x/" + id_, lambda id_: MISSING_DATABASE + "/" + id_, lambda id_: "a/b/" + id_
)
# sent as `db_c…%20`, `db_c….`, `db_c…%2F`, `db_c…%09`: '.' and '/' are in the pattern's [^\s-] (so 404), blanks not
ids_with_trailing_junk = derived_ids_reaching(*(lambda id_, junk=junk: id_ + junk for junk in (" ", ".", "/", "\t")))


def long_ids_on_every_database_route(api: Api) -> list[int]:
    """Each route taking a database id, asked about a missing id just over `LONG_ID` (it matches the pattern); then
    one of exactly `LONG_ID` characters."""
    seeded = api.seed(api.project())
    long_id, longest_fine = "db_c" + "0" * (LONG_ID - 3), "db_c" + "0" * (LONG_ID - 4)
    requests: list[Callable[[str], httpx.Response]] = [
        api.get_database,
        api.list_backups,
        api.list_connections,
        api.create_connection,
        lambda id_: api.restore(id_, seeded.source),
        api.delete_database,
    ]
    return [request(long_id).status_code for request in requests] + [api.get_database(longest_fine).status_code]


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
    Fault.DATA_LAID_OVER: Case(
        data_after_restore, BACKUP_DATA, {"a": [{"id": 1}, {"id": 2}], "b": [{"id": 1}, {"id": 2}]}
    ),
    Fault.LOCK_NOT_RELEASED: Case(restore_after_a_finished_restore, 200, 409),
    Fault.DELETED_DATABASE_RESTORABLE: Case(restore_of_a_deleted_database, 404, 200),
    Fault.FAILED_RESTORE_MUTATES: Case(data_after_a_rejected_restore, (404, BACKUP_DATA), (404, {})),
    Fault.AUTH_IGNORED: Case(get_without_token, 401, 200),
    Fault.SCOPE_IGNORED: Case(restore_with_a_token_lacking_admin, 403, 200),
    Fault.OTHER_WORKSPACE_TARGET_ACCEPTED: Case(restore_by_another_workspace, 404, 200),
    Fault.OTHER_WORKSPACE_BACKUP_ACCEPTED: Case(restore_from_another_workspaces_backup, 404, 200),
    Fault.UNICODE_ID_500: Case(get_of_a_unicode_id, 404, 500),
    Fault.PREFIX_CASE_FOLDED: Case(prefix_in_other_cases, [REGEX_INVALID] * 2, [REACHED] * 2),
    Fault.ENCODED_SLASH_SPLIT: Case(
        ids_behind_an_encoded_slash, [REGEX_INVALID, NOT_FOUND, REGEX_INVALID], [REACHED] * 3
    ),
    Fault.TRAILING_JUNK_TRIMMED: Case(
        ids_with_trailing_junk, [REGEX_INVALID, NOT_FOUND, NOT_FOUND, REGEX_INVALID], [REACHED] * 4
    ),
    Fault.LONG_ID_500: Case(long_ids_on_every_database_route, [404] * 7, [500] * 6 + [404]),
    Fault.MALFORMED_BODY_500: Case(restore_with_a_truncated_body, 422, 500),
    Fault.ERROR_ENVELOPE_WRONG: Case(error_body_keys, ["error"], ["message"]),
    Fault.CONTENT_TYPE_WRONG: Case(content_type_of_an_answer, "application/json", "text/plain; charset=utf-8"),
    Fault.RESPONSE_SCHEMA_WRONG: Case(restore_schema_problems, [], ["$.data: 'createdAt' is a required property"]),
}

# A fault that also changes another fault's observable, because that observable depends on what it breaks.
CONSEQUENCES: dict[Fault, set[Fault]] = {
    # nothing finishes, so nothing is replaced, and the database stays locked by the first restore
    Fault.RECOVERY_NEVER_FINISHES: {
        Fault.DATA_NOT_REPLACED,
        Fault.DATA_PARTLY_REPLACED,
        Fault.DATA_LAID_OVER,
        Fault.LOCK_NOT_RELEASED,
    },
    # a JSON answer labelled text/plain does not conform either
    Fault.CONTENT_TYPE_WRONG: {Fault.RESPONSE_SCHEMA_WRONG},
    # `db_c…%2F` split at its '/' leaves the empty id: still rejected, but as regex-invalid (400/422), not 404
    Fault.ENCODED_SLASH_SPLIT: {Fault.TRAILING_JUNK_TRIMMED},
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


# --- the id faults: they act on the public routes' database ids, and on nothing else --------------------------

ID_FAULTS = (Fault.PREFIX_CASE_FOLDED, Fault.ENCODED_SLASH_SPLIT, Fault.TRAILING_JUNK_TRIMMED, Fault.LONG_ID_500)


def _odd(id_: str, prefix: str) -> list[str]:
    """Ids each id fault would rewrite (or crash on), derived from `id_` (which starts with `prefix`)."""
    bare = id_.removeprefix(prefix)
    return [prefix.upper() + bare, "x/" + id_, id_ + " ", id_ + ".", id_ + "/", prefix + "c" + "0" * LONG_ID]


def exact_ids_on_every_database_route(api: Api) -> list[int | str]:
    seeded = api.seed(api.project())
    observed: list[int | str] = []
    for id_ in (seeded.database_id, seeded.database_id.removeprefix("db_")):  # the unprefixed alias is documented
        observed += [
            _outcome(api.get_database(id_), seeded.database_id),
            api.list_backups(id_).status_code,
            api.list_connections(id_).status_code,
            api.create_connection(id_).status_code,
            _outcome(api.restore(id_, seeded.source), seeded.database_id),
            _outcome(api.get_database(id_), seeded.database_id),  # the read ends the recovery (immediate clock)
        ]
    return [
        *observed,
        api.delete_database(seeded.database_id).status_code,
        api.get_database(seeded.database_id).status_code,
    ]


def odd_ids_elsewhere(api: Api) -> dict[str, list[int]]:
    """Odd ids where no route takes a database id: project ids, the restore body, the control plane."""
    seeded = api.seed(api.project())
    odd_projects, odd_databases = _odd(seeded.project_id, "proj_"), _odd(seeded.database_id, "db_")
    return {
        "list databases": [api.list_databases(id_).status_code for id_ in odd_projects],
        "create database": [api.create_database(id_).status_code for id_ in odd_projects],
        "restore source": [
            api.restore(seeded.database_id, {**seeded.source, "databaseId": id_}).status_code for id_ in odd_databases
        ],
        "control plane": [
            api.control("GET", f"/databases/{encode_segment(id_)}/data").status_code for id_ in odd_databases
        ],
    }


def test_the_id_faults_know_every_database_id_parameter() -> None:
    named = {name for op in operations().values() for name in re.findall(r"\{(\w+)\}", op.path)}
    assert {name for name in named if name.lower().endswith("databaseid")} == DATABASE_ID_PARAMS


@pytest.mark.parametrize("fault", ID_FAULTS, ids=str)
def test_an_id_fault_leaves_exact_ids_and_the_alias_alone(make_api: MakeApi, fault: Fault) -> None:
    expected = ["ready", 200, 200, 200, "recovering", "ready"] * 2 + [204, 404]

    healthy = exact_ids_on_every_database_route(make_api())
    with_fault = exact_ids_on_every_database_route(make_api(EmulatorConfig(faults=frozenset({fault}))))

    assert healthy == expected
    assert with_fault == expected


@pytest.mark.parametrize("fault", ID_FAULTS, ids=str)
def test_an_id_fault_leaves_other_ids_alone(make_api: MakeApi, fault: Fault) -> None:
    healthy = odd_ids_elsewhere(make_api())
    with_fault = odd_ids_elsewhere(make_api(EmulatorConfig(faults=frozenset({fault}))))

    assert 500 not in [status for statuses in healthy.values() for status in statuses], healthy
    assert with_fault == healthy
