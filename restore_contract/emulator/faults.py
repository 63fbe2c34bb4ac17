"""Fault switches: each one breaks exactly one documented property, so the suite can prove it notices.

Turn them on per emulator (`EmulatorConfig(faults=...)`, `--fault NAME` on the server command line) or at
run time through the control plane (`PUT /_emulator/faults`). They act only through `FaultPolicy`: named
hooks the correct rules call at their seams. With no fault on every hook does the correct thing (accepts
nothing wrong, changes nothing, replaces the data), so the rules read as the documented behaviour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from restore_contract.emulator.dataplane import DataPlane, Snapshot
from restore_contract.emulator.errors import ApiError
from restore_contract.emulator.ids import IdMinter
from restore_contract.emulator.models import Database


@dataclass(frozen=True)
class Declared:
    """A fault's facts, declared once with its name: what it breaks (`--list-faults`, the control plane's catalogue),
    the properties of the contract suite that must catch it, and whether it breaks the data plane (data, passwords,
    roles: it shows only through real logins and real data, so the tests check it on PostgreSQL too)."""

    value: str
    description: str
    caught_by: tuple[str, ...]
    data_plane: bool = False


class Fault(StrEnum):
    """Each fault, its facts (`Declared`) its attributes: `fault.description`, `fault.caught_by`, `fault.data_plane`.

    `caught_by`: The property of the contract suite that must catch each fault: names as the suite's run record
    gives the properties a failing test violated (a check of checks/restore.py, a built-in schemathesis check of
    checks/builtin.py, or one a probe or a test checks itself). A run with the fault on that fails on any other
    property has not shown that the property it breaks is checked (tests/meta/test_fault_detection.py). Declared
    with the fault, so a fault cannot be added without saying what must notice it; as plain strings, because the
    emulator is the server's stand-in and imports nothing of the suite (the meta-test checks each name is one
    the suite gives). Each set is the tightest that the failing run named on every seed of the meta-test (0, 1,
    2), found by running them all.
    """

    description: str
    caught_by: frozenset[str]
    data_plane: bool

    def __new__(cls, declared: Declared) -> Fault:
        member = str.__new__(cls, declared.value)
        member._value_ = declared.value
        member.description = declared.description
        member.caught_by = frozenset(declared.caught_by)
        member.data_plane = declared.data_plane
        return member

    RESTORE_ANSWERS_READY = Declared(
        "restore-answers-ready",
        "restore's 200 says status 'ready' instead of 'recovering'",
        ("restore_starts_recovering",),
    )
    NO_CONFLICT_WHILE_RECOVERING = Declared(
        "no-conflict-while-recovering",
        "a restore into a recovering database starts again instead of 409",
        ("restore_status_follows_docs",),
    )
    NO_CONFLICT_WHILE_PROVISIONING = Declared(
        "no-conflict-while-provisioning",
        "a restore into a provisioning database is accepted instead of 409",
        ("restore_status_follows_docs",),
    )
    FOREIGN_BACKUP_ACCEPTED = Declared(
        "foreign-backup-accepted",
        "a backup of another database than source.databaseId is restored instead of 404",
        ("restore_status_follows_docs",),
    )
    UNUSABLE_BACKUP_ACCEPTED = Declared(
        "unusable-backup-accepted",
        "a backup whose status is not 'completed' is restored instead of 422",
        ("restore_status_follows_docs",),
    )
    MISSING_SOURCE_ACCEPTED = Declared(
        "missing-source-database-accepted",
        "a source.databaseId that does not exist is ignored instead of 404",
        ("restore_status_follows_docs",),
    )
    OTHER_SOURCE_TYPE_ACCEPTED = Declared(
        "other-source-type-accepted",
        "a source.type other than 'backup' is accepted instead of 422",
        ("restore_status_follows_docs",),
    )
    # Both found by the data probe's login with the first connection string issued before the restore (checks/probe.py:
    # `issued_credentials_still_log_in`), at the end of the first restore the suite sends, the first answers' verified
    # 200 (restore_contract/suite/test_first_answers.py): there it is the check of the restore's end that reads the
    # data, so the record names that check ("restore finishes with the backup's data and the same credentials"); a
    # restore checked on its own (tests/unit/test_restore_checks.py) names the login's property.
    CREDENTIALS_ROTATED = Declared(
        "restore-rotates-credentials",
        "a restore changes the passwords of the target's connections",
        ("issued_credentials_still_log_in", "restore_finishes_with_backup_data"),
        data_plane=True,
    )
    ROLES_DROPPED = Declared(
        "restore-drops-roles",
        "a finished restore drops the login roles of the target's connections",
        ("issued_credentials_still_log_in", "restore_finishes_with_backup_data"),
        data_plane=True,
    )
    CONNECTIONS_REPLACED = Declared(
        "restore-replaces-connections",
        "a restore replaces the target's connections (new ids, new defaultConnectionId)",
        ("restore_keeps_connections",),
    )
    SOURCE_NOT_ECHOED = Declared(
        "source-not-echoed",
        "restore's 200 names another backup in `source` than the request did",
        ("restore_starts_recovering",),
    )
    RECOVERY_NEVER_FINISHES = Declared(
        "recovery-never-finishes",
        "a restored database stays 'recovering' forever",
        ("restore_finishes_with_backup_data",),
    )
    DATA_NOT_REPLACED = Declared(
        "data-not-replaced",
        "a finished restore leaves the target's data as it was",
        ("restore_finishes_with_backup_data",),
        data_plane=True,
    )
    DATA_PARTLY_REPLACED = Declared(
        "data-partly-replaced",
        "a finished restore replaces only some tables of the target",
        ("restore_finishes_with_backup_data",),
        data_plane=True,
    )
    DATA_LAID_OVER = Declared(
        "backup-laid-over-data",
        "a finished restore lays the backup's rows over the target's: rows written after it stay",
        ("restore_finishes_with_backup_data",),
        data_plane=True,
    )
    LOCK_NOT_RELEASED = Declared(
        "lock-not-released",
        "after a restore finishes, the next restore of that database still gets 409",
        ("restore_status_follows_docs",),
    )
    DELETED_DATABASE_RESTORABLE = Declared(
        "deleted-database-restorable",
        "a deleted database can still be restored (200 instead of 404)",
        ("restore_status_follows_docs",),
    )
    FAILED_RESTORE_MUTATES = Declared(
        "failed-restore-mutates",
        "a rejected restore (404/422) still wipes the target's data",
        ("rejected_restore_changes_nothing",),
        data_plane=True,
    )
    AUTH_IGNORED = Declared(
        "auth-ignored", "requests without a valid token are served instead of 401", ("restore_status_follows_docs",)
    )
    # Found by the probes of restore_contract/suite/test_authorization.py, with the extra tokens.
    SCOPE_IGNORED = Declared(
        "scope-ignored",
        "a valid token without workspace:admin can restore (200 instead of 401/403)",
        ("restore_requires_admin_scope",),
    )
    OTHER_WORKSPACE_TARGET_ACCEPTED = Declared(
        "other-workspace-target-accepted",
        "an admin token of another workspace restores this one's database (200 instead of 404)",
        ("restore_stays_in_its_workspace",),
    )
    OTHER_WORKSPACE_BACKUP_ACCEPTED = Declared(
        "other-workspace-backup-accepted",
        "a restore takes a backup of another workspace's database as its source (another tenant's data copied in: "
        "200 instead of 404)",
        ("restore_stays_in_its_workspace",),
    )
    # A 500 on a read of a minted id (schemathesis's check) or on the probe's read of the target (seed 2).
    UNICODE_ID_500 = Declared(
        "unicode-id-500",
        "an id with non-ASCII characters crashes the server (500)",
        (
            "not_a_server_error",
            "probe_reads_answer_as_documented",
        ),
    )
    PREFIX_CASE_FOLDED = Declared(
        "prefix-case-folded",
        "an id prefixed 'DB_' or 'Db_' reaches the database 'db_\u2026' instead of 400/422",
        ("restore_status_follows_docs",),
    )
    ENCODED_SLASH_SPLIT = Declared(
        "encoded-slash-split",
        "an id 'x%2F<id>' is split at the decoded '/' and reaches <id> instead of 4xx",
        ("restore_answers_the_arranged_world",),
    )
    # A restore into the trimmed id answers 200 where the world the test arranged (no database of that name) allows
    # only 404/422: caught so by the first answers' id probes (restore_contract/suite/test_first_answers.py).
    TRAILING_JUNK_TRIMMED = Declared(
        "trailing-junk-trimmed",
        "an id ending in junk ('%20', '.', '%2F', '%09') reaches the database instead of 4xx",
        ("restore_answers_the_arranged_world",),
    )
    LONG_ID_500 = Declared(
        "long-id-500",
        "a database id longer than 256 characters crashes the server (500) instead of 404",
        ("probe_reads_answer_as_documented",),
    )
    MALFORMED_BODY_500 = Declared(
        "malformed-body-500", "a restore body that is not JSON crashes the server (500)", ("not_a_server_error",)
    )
    ERROR_ENVELOPE_WRONG = Declared(
        "error-envelope-wrong",
        "error answers are {'message': ...} instead of {'error': {'code', 'message'}}",
        ("restore_body_matches_contract",),
    )
    CONTENT_TYPE_WRONG = Declared(
        "content-type-wrong",
        "JSON answers are labelled text/plain instead of application/json",
        ("content_type_conformance",),
    )
    RESPONSE_SCHEMA_WRONG = Declared(
        "response-schema-wrong",
        "restore's 200 lacks the required `createdAt` field",
        ("restore_body_matches_contract",),
    )


# Views of the declarations, for callers that want a table.
DESCRIPTIONS: dict[Fault, str] = {fault: fault.description for fault in Fault}
CAUGHT_BY: dict[Fault, frozenset[str]] = {fault: fault.caught_by for fault in Fault}
DATA_PLANE_FAULTS = frozenset(fault for fault in Fault if fault.data_plane)


# The route parameters (public API) that name a database: the id faults act on these alone.
DATABASE_ID_PARAMS = frozenset({"databaseId", "targetDatabaseId"})
LONG_ID = 256  # long-id-500 crashes on database ids longer than this
_TRAILING_JUNK = re.compile(r"[^0-9A-Za-z]+\Z")  # minted ids end in a letter or digit


def parse_faults(names: list[str]) -> frozenset[Fault]:
    """Fault names → faults, with the list of valid names on a typo."""
    by_value = {fault.value: fault for fault in Fault}
    unknown = [name for name in names if name not in by_value]
    if unknown:
        raise ValueError(f"{unknown[0]!r} is not a valid Fault; valid faults: {', '.join(by_value)}")
    return frozenset(by_value[name] for name in names)


class FaultPolicy:
    def __init__(self, active: frozenset[Fault], data: DataPlane, ids: IdMinter) -> None:
        self.active = active  # switched at run time by the control plane
        self._data = data
        self._ids = ids
        self._restored: set[str] = set()  # databases a restore has started on, for lock-not-released

    # --- on the wire
    def lets_in(self, token_valid: bool) -> bool:
        return token_valid or Fault.AUTH_IGNORED in self.active

    def ignores_missing_scope(self) -> bool:
        return Fault.SCOPE_IGNORED in self.active

    def accepts_foreign_target(self) -> bool:
        return Fault.OTHER_WORKSPACE_TARGET_ACCEPTED in self.active

    def accepts_foreign_source(self) -> bool:
        return Fault.OTHER_WORKSPACE_BACKUP_ACCEPTED in self.active

    def on_request(self, params: dict[str, str], *, public: bool) -> dict[str, str]:
        """The route's (decoded) parameters as the handler gets them; `public`: a `/v1` route, not the control plane."""
        if Fault.UNICODE_ID_500 in self.active and any(not value.isascii() for value in params.values()):
            raise RuntimeError("non-ASCII id (fault unicode-id-500)")
        if not public:  # the control plane is the tests' tool, not the server under test
            return params
        return {
            name: self.database_id(value) if name in DATABASE_ID_PARAMS else value for name, value in params.items()
        }

    def database_id(self, raw: str) -> str:
        """The id a route's database id parameter is looked up by: exactly the one the path names."""
        if Fault.LONG_ID_500 in self.active and len(raw) > LONG_ID:
            raise RuntimeError(f"database id of {len(raw)} characters (fault long-id-500)")
        database_id = raw
        if Fault.ENCODED_SLASH_SPLIT in self.active:  # as if '%2F' had been decoded before routing
            database_id = database_id.rpartition("/")[2]
        if Fault.TRAILING_JUNK_TRIMMED in self.active:
            database_id = _TRAILING_JUNK.sub("", database_id)
        if Fault.PREFIX_CASE_FOLDED in self.active and database_id[:3].lower() == "db_":
            database_id = "db_" + database_id[3:]
        return database_id

    def wire_response(self, body: Any, error: ApiError | None) -> tuple[Any, str]:
        """The body and the media type an answer goes out with."""
        if error is not None and Fault.ERROR_ENVELOPE_WRONG in self.active:
            body = {"message": error.message}
        return body, "text/plain" if Fault.CONTENT_TYPE_WRONG in self.active else "application/json"

    def restore_answer(self, data: dict[str, Any]) -> dict[str, Any]:
        """The restored database as the 200 shows it."""
        if Fault.RESTORE_ANSWERS_READY in self.active:
            data["status"] = "ready"
        if Fault.SOURCE_NOT_ECHOED in self.active:
            data["source"] = {**data["source"], "backupId": data["source"]["backupId"] + "-other"}
        if Fault.RESPONSE_SCHEMA_WRONG in self.active:
            del data["createdAt"]
        return data

    # --- what a restore (or a creation from a backup) accepts
    def accepts_deleted_target(self) -> bool:
        return Fault.DELETED_DATABASE_RESTORABLE in self.active

    def on_body(self, body: bytes | None, well_formed: bool) -> None:
        if Fault.MALFORMED_BODY_500 in self.active:
            (body or b"").decode("utf-8")  # the fault: undecodable bytes crash instead of a 422
            if not well_formed:
                raise RuntimeError("malformed body crashed the handler (fault malformed-body-500)")

    def accepts_other_source_type(self) -> bool:
        return Fault.OTHER_SOURCE_TYPE_ACCEPTED in self.active

    def accepts_busy(self, status: str) -> bool:
        recovering, provisioning = Fault.NO_CONFLICT_WHILE_RECOVERING, Fault.NO_CONFLICT_WHILE_PROVISIONING
        return {"recovering": recovering, "provisioning": provisioning}.get(status) in self.active

    def still_locked(self, target: Database) -> bool:
        return Fault.LOCK_NOT_RELEASED in self.active and target.id in self._restored

    def accepts_missing_source(self) -> bool:
        return Fault.MISSING_SOURCE_ACCEPTED in self.active

    def accepts_foreign_backup(self, source: Database | None) -> bool:
        return Fault.FOREIGN_BACKUP_ACCEPTED in self.active or (source is None and self.accepts_missing_source())

    def accepts_unusable_backup(self) -> bool:
        return Fault.UNUSABLE_BACKUP_ACCEPTED in self.active

    # --- what a restore does
    def on_rejected(self, target: Database | None) -> None:
        if Fault.FAILED_RESTORE_MUTATES in self.active and target is not None and not target.deleted:
            self._data.write(target.id, {})

    def on_started(self, target: Database) -> None:
        self._restored.add(target.id)
        if Fault.CREDENTIALS_ROTATED in self.active:
            for connection in target.connections:
                connection.password = self._ids.secret()
                self._data.set_password(connection.user, connection.password)
        if Fault.CONNECTIONS_REPLACED in self.active:
            for connection in target.connections:
                connection.id = self._ids.new("con")
            target.default_connection_id = target.connections[0].id if target.connections else None
        if Fault.RECOVERY_NEVER_FINISHES in self.active:
            target.transition = None

    def replace_data(self, target: Database, snapshot: Snapshot) -> None:
        """The end of recovery: the target's data becomes the backup's, its logins stay as they are."""
        if Fault.ROLES_DROPPED in self.active:
            for connection in target.connections:
                self._data.drop_login(connection.user)
        if Fault.DATA_NOT_REPLACED in self.active:
            return
        faulty = self.active & {Fault.DATA_PARTLY_REPLACED, Fault.DATA_LAID_OVER}
        before = self._data.read(target.id) if faulty else None
        self._data.restore(target.id, snapshot)
        if before is not None and Fault.DATA_PARTLY_REPLACED in self.active:  # only the first table from the backup
            restored = sorted(self._data.read(target.id).items())[:1]
            self._data.write(target.id, {**before, **dict(restored)})
        elif before is not None:  # the backup's rows, and every row the target had that the backup lacks
            backup = self._data.read(target.id)
            tables = {*backup, *before}
            kept = {name: [row for row in before.get(name, []) if row not in backup.get(name, [])] for name in tables}
            self._data.write(target.id, {name: [*backup.get(name, []), *kept[name]] for name in sorted(tables)})
