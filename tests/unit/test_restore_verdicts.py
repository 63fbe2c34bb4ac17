"""What the restore checks say about servers no emulator fault plays (restore_contract/checks/restore.py): a restore
that ends in another status than ready, a target that vanishes while recovering or after a refusal, a credential that
logs in as someone else, a refusal that still changed the target. A scripted server answers the reads the checks
make; the checks are given the world before the call, as the driver gives it to them."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import httpx
import pytest

from restore_contract.checks.probe import Before, DatabaseView, Probe
from restore_contract.checks.restore import (
    GOLDEN_HINT,
    Observation,
    rejected_restore_changes_nothing,
    restore_finishes_with_backup_data,
    restore_keeps_connections,
    restore_requires_admin_scope,
    restore_starts_recovering,
)
from restore_contract.contracts import RestoreWorld, TargetState
from restore_contract.dataset.golden import GOLDEN_DATA
from restore_contract.dataset.tables import Tables
from restore_contract.targets.data import Credential, Login, LoginRefused

TARGET, SOURCE, BACKUP = "db_ctarget0000000001", "db_csource0000000001", "bkp_c0000000001"
CONNECTIONS = [{"id": "con_c1", "name": "default", "kind": "postgres"}]
BACKUP_DATA: Tables = {"items": [{"id": 1, "name": "in the backup"}]}
ALICE = Login("alice", "target")
SENT = json.dumps({"source": {"type": "backup", "databaseId": SOURCE, "backupId": BACKUP}}).encode()


class Data:
    """The data probe: who each connection string logs in as now (None: refused), and what it reads."""

    def __init__(self, logins: dict[str, Login | None], tables: Tables = BACKUP_DATA) -> None:
        self.logins, self.tables = logins, tables

    def login(self, connection_string: str) -> Login:
        login = self.logins[connection_string]
        if login is None:
            raise LoginRefused("password authentication failed for user alice")
        return login

    def read(self, connection_string: str) -> Tables:
        self.login(connection_string)
        return self.tables

    def write(self, connection_string: str, tables: Tables) -> None:
        raise AssertionError("the checks never write")

    def close(self) -> None:
        pass


def _server(states: list[dict[str, Any] | None]) -> httpx.Client:
    """GET of the target answers each state in turn (the last one from then on); None: 404."""
    answers = iter(states)
    current: list[dict[str, Any] | None] = [None]

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.method == "GET"
        assert request.url.path == f"/v1/databases/{TARGET}"
        current[0] = next(answers, current[0])
        state = current[0]
        if state is None:
            return httpx.Response(404, json={"error": {"code": "not_found", "message": "Database not found."}})
        database = {"id": TARGET, "connections": CONNECTIONS, "defaultConnectionId": "con_c1", "source": None}
        return httpx.Response(200, json={"data": database | state})

    return httpx.Client(transport=httpx.MockTransport(answer), base_url="https://api.example")


def _observed(
    states: list[dict[str, Any] | None], data: Data | None = None, before_status: str = "ready"
) -> Observation:
    credentials = [Credential("postgres://alice:secret@db/target", ALICE)]
    before = DatabaseView(TARGET, before_status, (("con_c1", "default", "postgres"),), "con_c1", None, BACKUP_DATA)
    world = RestoreWorld(target=TargetState(before_status))
    return Observation(
        before=Before(world, TARGET, before, SOURCE, BACKUP),
        probe=Probe(_server(states), data, lambda database: credentials),
        restore_timeout=1.0,
        pace=lambda seconds: None,
        backup_data=lambda backup: BACKUP_DATA if backup == BACKUP else None,
        credentials=lambda database: credentials,
        body=SENT,
    )


OK = Data({"postgres://alice:secret@db/target": ALICE})
STARTED = httpx.Response(200, json={"data": {}})


def _problems(check: Any, observed: Observation, response: httpx.Response = STARTED) -> str:
    with pytest.raises(AssertionError) as failed:
        check(observed, response)
    return str(failed.value)


def test_a_restore_that_ends_ready_with_the_backups_data_and_logins_passes() -> None:
    observed = _observed([{"status": "recovering"}, {"status": "ready"}], OK)
    restore_finishes_with_backup_data(observed, STARTED)
    assert observed.tally.causes == {"started: verified end to end": 1}


def test_without_a_data_probe_the_restore_is_checked_for_what_the_api_shows() -> None:
    observed = _observed([{"status": "ready"}], None)
    restore_finishes_with_backup_data(observed, STARTED)
    assert observed.tally.causes == {"started: no data probe": 1}
    assert observed.tally.checked == {}


def test_a_restore_that_ends_in_another_status_than_ready_fails() -> None:
    observed = _observed([{"status": "recovering"}, {"status": "failure"}], OK)
    said = _problems(restore_finishes_with_backup_data, observed)
    assert "the restore ended in status 'failure', not 'ready'" in said


def test_a_target_that_vanishes_while_recovering_fails() -> None:
    said = _problems(restore_finishes_with_backup_data, _observed([{"status": "recovering"}, None], OK))
    assert said == f"database {TARGET} disappeared while recovering"


def test_a_credential_that_logs_in_as_someone_else_after_the_restore_fails() -> None:
    data = Data({"postgres://alice:secret@db/target": Login("postgres", "target")})
    said = _problems(restore_finishes_with_backup_data, _observed([{"status": "ready"}], data))
    assert f"connection string #1 logs in as {Login('postgres', 'target')}; before the restore: {ALICE}" in said


def test_a_credential_refused_after_the_restore_fails_and_is_named_by_number() -> None:
    """Read with the probe's own session, the data still comes; a fresh login with the credential is refused."""

    class RefusedFresh(Data):
        def read(self, connection_string: str) -> Tables:
            return self.tables

    data = RefusedFresh({"postgres://alice:secret@db/target": None})
    said = _problems(restore_finishes_with_backup_data, _observed([{"status": "ready"}], data))
    assert "connection string #1, issued before the restore, no longer logs in: password authentication failed" in said
    assert "secret" not in said


def test_a_200_that_names_another_database_or_source_is_a_wrong_start() -> None:
    source = {"type": "backup", "backupId": BACKUP, "databaseId": "db_cother000000000002"}
    answered = {"status": "recovering", "id": "db_cother000000000001", "source": source}
    said = _problems(restore_starts_recovering, _observed([]), httpx.Response(200, json={"data": answered}))
    assert f"id is 'db_cother000000000001', not the target {TARGET!r}" in said
    assert f"source.databaseId is 'db_cother000000000002', not the requested {SOURCE!r}" in said
    assert "status is" not in said


def test_a_200_whose_body_is_not_json_is_a_wrong_start_not_a_crash() -> None:
    said = _problems(restore_starts_recovering, _observed([]), httpx.Response(200, content=b"<html>ok</html>"))
    assert "status is None; the docs: 'The database status will be \"recovering\"'" in said


@pytest.mark.parametrize(
    ("after", "change"),
    [
        (None, "the database is gone"),
        ({"status": "recovering"}, "status: ready → recovering"),
        ({"status": "ready", "connections": []}, "connections: (('con_c1', 'default', 'postgres'),) → ()"),
    ],
)
def test_a_refused_restore_that_changed_the_target_fails_saying_what_changed(
    after: dict[str, Any] | None, change: str
) -> None:
    refused = httpx.Response(404, json={"error": {"code": "not_found", "message": "Backup not found."}})
    said = _problems(rejected_restore_changes_nothing, _observed([after], OK), refused)
    assert said == f"a restore answered 404 yet changed the target:\n  {change}"


def test_a_refusal_leaves_a_busy_target_free_to_settle() -> None:
    """A recovering target may end its recovery meanwhile: its status and data are its own to change."""
    refused = httpx.Response(409, json={"error": {"code": "conflict", "message": "Target is recovering."}})
    rejected_restore_changes_nothing(_observed([{"status": "ready"}], OK, before_status="recovering"), refused)
    said = _problems(rejected_restore_changes_nothing, _observed([None], OK, before_status="recovering"), refused)
    assert said.endswith("the database is gone")


def test_other_data_after_a_restore_of_the_golden_fixture_says_how_the_golden_source_is_seeded() -> None:
    """On a live target the suite trusts that the golden source's backups hold the golden fixture: when the data
    found is not it, the failure says how the source must have been seeded; for any other backup it says nothing of
    the kind."""
    stale = Data({"postgres://alice:secret@db/target": ALICE}, tables={"items": []})
    golden = _observed([{"status": "ready"}], stale)
    golden.backup_data = lambda backup: GOLDEN_DATA
    said = _problems(restore_finishes_with_backup_data, golden)
    assert "the data is not the backup's" in said
    assert said.endswith(GOLDEN_HINT.strip())
    other = _problems(restore_finishes_with_backup_data, _observed([{"status": "ready"}], stale))
    assert "the data is not the backup's" in other
    assert "seed-golden" not in other


def test_a_200_that_changes_only_the_default_connection_breaks_the_kept_connections() -> None:
    answered = {"connections": CONNECTIONS, "defaultConnectionId": "con_cother"}
    said = _problems(restore_keeps_connections, _observed([]), httpx.Response(200, json={"data": answered}))
    assert "default con_c1" in said
    assert "default con_cother" in said


def test_every_credential_is_tried_even_after_one_is_refused_and_each_is_counted() -> None:
    """Connections and credentials are preserved: the second is checked too when the first no longer logs in."""
    first, second = "postgres://alice:secret@db/target", "postgres://bob:secret@db/target"

    class Reads(Data):  # the probe's kept session still reads; only fresh logins are refused
        def read(self, connection_string: str) -> Tables:
            return self.tables

    observed = _observed([{"status": "ready"}], Reads({first: None, second: Login("postgres", "target")}))
    two = [Credential(first, ALICE), Credential(second, Login("bob", "target"))]
    observed.credentials = lambda database: two
    said = _problems(restore_finishes_with_backup_data, observed)
    assert "connection string #1, issued before the restore, no longer logs in" in said
    assert "connection string #2 logs in as" in said
    assert observed.tally.checked["data probe: a credential issued before the restore logs in afresh"] == 2


def test_a_caller_without_the_scope_refused_as_documented_who_still_changed_the_data_was_let_through() -> None:
    """A 403 is the right answer, but the target's data changed: the refusal was only on the wire."""
    observed = _observed([{"status": "ready"}], Data({"postgres://alice:secret@db/target": ALICE}, {"items": []}))
    observed.before = dataclasses.replace(observed.before, world=RestoreWorld(token_admin=False))
    forbidden = httpx.Response(403, json={"error": {"code": "forbidden", "message": "Missing scope."}})
    said = _problems(restore_requires_admin_scope, observed, forbidden)
    assert said.startswith("a valid token without the scope workspace:admin was let through:\n  data: ")
