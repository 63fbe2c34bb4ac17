"""Fault switches: each one breaks exactly one documented property, so the suite can prove it notices.

Turn them on per emulator (`Emulator(faults={...})`, `--fault NAME` on the server command line) or at
run time through the control plane (`PUT /_emulator/faults`).
"""

from __future__ import annotations

from enum import StrEnum


class Fault(StrEnum):
    RESTORE_ANSWERS_READY = "restore-answers-ready"
    NO_CONFLICT_WHILE_RECOVERING = "no-conflict-while-recovering"
    NO_CONFLICT_WHILE_PROVISIONING = "no-conflict-while-provisioning"
    FOREIGN_BACKUP_ACCEPTED = "foreign-backup-accepted"
    UNUSABLE_BACKUP_ACCEPTED = "unusable-backup-accepted"
    MISSING_SOURCE_ACCEPTED = "missing-source-database-accepted"
    OTHER_SOURCE_TYPE_ACCEPTED = "other-source-type-accepted"
    CREDENTIALS_ROTATED = "restore-rotates-credentials"
    ROLES_DROPPED = "restore-drops-roles"
    CONNECTIONS_REPLACED = "restore-replaces-connections"
    SOURCE_NOT_ECHOED = "source-not-echoed"
    RECOVERY_NEVER_FINISHES = "recovery-never-finishes"
    DATA_NOT_REPLACED = "data-not-replaced"
    DATA_PARTLY_REPLACED = "data-partly-replaced"
    LOCK_NOT_RELEASED = "lock-not-released"
    DELETED_DATABASE_RESTORABLE = "deleted-database-restorable"
    FAILED_RESTORE_MUTATES = "failed-restore-mutates"
    AUTH_IGNORED = "auth-ignored"
    UNICODE_ID_500 = "unicode-id-500"
    MALFORMED_BODY_500 = "malformed-body-500"
    ERROR_ENVELOPE_WRONG = "error-envelope-wrong"
    CONTENT_TYPE_WRONG = "content-type-wrong"
    RESPONSE_SCHEMA_WRONG = "response-schema-wrong"

    @property
    def breaks(self) -> str:
        return DESCRIPTIONS[self]


DESCRIPTIONS: dict[Fault, str] = {
    Fault.RESTORE_ANSWERS_READY: "restore's 200 says status 'ready' instead of 'recovering'",
    Fault.NO_CONFLICT_WHILE_RECOVERING: "a restore into a recovering database starts again instead of 409",
    Fault.NO_CONFLICT_WHILE_PROVISIONING: "a restore into a provisioning database is accepted instead of 409",
    Fault.FOREIGN_BACKUP_ACCEPTED: "a backup of another database than source.databaseId is restored instead of 404",
    Fault.UNUSABLE_BACKUP_ACCEPTED: "a backup whose status is not 'completed' is restored instead of 422",
    Fault.MISSING_SOURCE_ACCEPTED: "a source.databaseId that does not exist is ignored instead of 404",
    Fault.OTHER_SOURCE_TYPE_ACCEPTED: "a source.type other than 'backup' is accepted instead of 422",
    Fault.CREDENTIALS_ROTATED: "a restore changes the passwords of the target's connections",
    Fault.ROLES_DROPPED: "a finished restore drops the login roles of the target's connections",
    Fault.CONNECTIONS_REPLACED: "a restore replaces the target's connections (new ids, new defaultConnectionId)",
    Fault.SOURCE_NOT_ECHOED: "restore's 200 names another backup in `source` than the request did",
    Fault.RECOVERY_NEVER_FINISHES: "a restored database stays 'recovering' forever",
    Fault.DATA_NOT_REPLACED: "a finished restore leaves the target's data as it was",
    Fault.DATA_PARTLY_REPLACED: "a finished restore replaces only some tables of the target",
    Fault.LOCK_NOT_RELEASED: "after a restore finishes, the next restore of that database still gets 409",
    Fault.DELETED_DATABASE_RESTORABLE: "a deleted database can still be restored (200 instead of 404)",
    Fault.FAILED_RESTORE_MUTATES: "a rejected restore (404/422) still wipes the target's data",
    Fault.AUTH_IGNORED: "requests without a valid token are served instead of 401",
    Fault.UNICODE_ID_500: "an id with non-ASCII characters crashes the server (500)",
    Fault.MALFORMED_BODY_500: "a restore body that is not JSON crashes the server (500)",
    Fault.ERROR_ENVELOPE_WRONG: "error answers are {'message': ...} instead of {'error': {'code', 'message'}}",
    Fault.CONTENT_TYPE_WRONG: "JSON answers are labelled text/plain instead of application/json",
    Fault.RESPONSE_SCHEMA_WRONG: "restore's 200 lacks the required `createdAt` field",
}

assert set(DESCRIPTIONS) == set(Fault), "every fault needs a description"

# The faults that break the data plane (data, passwords, roles): they show only through real logins and
# real data, so the tests check them on PostgreSQL too.
DATA_PLANE_FAULTS = frozenset(
    {
        Fault.CREDENTIALS_ROTATED,
        Fault.ROLES_DROPPED,
        Fault.DATA_NOT_REPLACED,
        Fault.DATA_PARTLY_REPLACED,
        Fault.FAILED_RESTORE_MUTATES,
    }
)


def parse_faults(names: list[str]) -> frozenset[Fault]:
    """Fault names → faults, with the list of valid names on a typo."""
    try:
        return frozenset(Fault(name) for name in names)
    except ValueError as error:
        valid = ", ".join(fault.value for fault in Fault)
        raise ValueError(f"{error}; valid faults: {valid}") from None
