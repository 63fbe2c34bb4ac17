"""Restore, as documented: the checks in their order (422, 404, 422, 409, then 404/422 for the backup),
then `recovering` until the clock lets it end, when the target's data becomes the backup's."""

from __future__ import annotations

from functools import partial

from restore_contract.contracts import BUSY_STATUSES, DATABASE_ID_PATTERN, describe_body, matches_database_id
from restore_contract.emulator.errors import ApiError, invalid, not_found
from restore_contract.emulator.models import Backup, Database
from restore_contract.emulator.state import Store


def start_restore(store: Store, target_id: str, body: bytes | None) -> Database:
    """Start restoring `target_id` from the backup `body` names, or raise the documented error."""
    with store.lock:
        try:
            target, backup, named_source = _checked(store, target_id, body)
        except ApiError:
            store.policy.on_rejected(store.resolve(target_id))
            raise
        target.status = "recovering"
        target.source = {"type": "backup", "databaseId": named_source, "backupId": backup.id}
        replace = partial(store.policy.replace_data, target, backup.snapshot)  # with the faults on when it ends
        target.transition = store.clock.start("ready", on_done=replace)
        store.policy.on_started(target)
        return target


def _checked(store: Store, target_id: str, body: bytes | None) -> tuple[Database, Backup, str]:
    """The target, the backup and the source database id as the request named it, once every check passed."""
    policy = store.policy
    if not matches_database_id(target_id):
        raise invalid("targetDatabaseId does not match the database id pattern.")
    target = store.database(target_id, reading=False, include_deleted=policy.accepts_deleted_target())
    facts = describe_body(body)
    policy.on_body(body, facts.well_formed)
    if not facts.well_formed:
        raise invalid(
            "The request body must be {source: {type: 'backup', databaseId, backupId}}.",
            hint=f"databaseId must match {DATABASE_ID_PATTERN}",
        )
    if not facts.type_is_backup and not policy.accepts_other_source_type():
        raise invalid("Only source.type 'backup' can be restored.")
    if target.status in BUSY_STATUSES and not policy.accepts_busy(target.status):
        raise ApiError(409, "conflict", f"Database is {target.status} and cannot be restored now.")
    if policy.still_locked(target):
        raise ApiError(409, "conflict", "Database is recovering and cannot be restored now.")
    assert facts.database_id is not None  # a well-formed body names both
    assert facts.backup_id is not None
    return target, usable_backup(store, facts.database_id, facts.backup_id), facts.database_id


def usable_backup(store: Store, source_id: str, backup_id: str) -> Backup:
    """Backup `backup_id` of live database `source_id`, if completed; else 404 or 422. The caller holds the lock."""
    policy = store.policy
    source = store.resolve(source_id)
    if (source is None or source.deleted) and not policy.accepts_missing_source():
        raise not_found("Source database")
    backup = store.backups.get(backup_id)
    belongs = backup is not None and source is not None and backup.database_id == source.id
    if backup is None or not (belongs or policy.accepts_foreign_backup(source)):
        raise not_found("Backup")
    if backup.status != "completed" and not policy.accepts_unusable_backup():
        raise ApiError(422, "backup_not_usable", f"Backup is {backup.status}; only completed backups restore.")
    return backup
