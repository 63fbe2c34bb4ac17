"""Restore, as documented: the checks in their order (the token's scope, then 422, 404, 422, 409, then 404/422 for the
backup), then `recovering` until the clock lets it end, when the target's data becomes the backup's.

A caller's `Grant` decides what it can name: a token without workspace:admin restores nothing (401 or 403, as the
emulator is configured: the docs declare 401, the other database routes 403), and a target or source database of
another workspace is not found (404), so a token learns nothing about another tenant's databases."""

from __future__ import annotations

from functools import partial

from restore_contract.contracts import BUSY_STATUSES, DATABASE_ID_PATTERN, describe_body, matches_database_id
from restore_contract.emulator.errors import ApiError, invalid, not_found
from restore_contract.emulator.models import Backup, Database, Grant
from restore_contract.emulator.state import Store


def start_restore(store: Store, target_id: str, body: bytes | None, grant: Grant | None = None) -> Database:
    """Start restoring `target_id` from the backup `body` names, for `grant` (None: no authorization checks), or
    raise the documented error."""
    with store.lock:
        if grant is not None and not grant.admin and not store.policy.ignores_missing_scope():
            # First: a read-only token learns nothing about ids, bodies or states, and changes nothing.
            raise ApiError(
                store.config.missing_scope_status, "forbidden", "This token lacks the scope workspace:admin."
            )
        try:
            target, backup, named_source = _checked(store, target_id, body, grant)
        except ApiError:
            store.policy.on_rejected(store.resolve(target_id))
            raise
        target.status = "recovering"
        target.source = {"type": "backup", "databaseId": named_source, "backupId": backup.id}
        replace = partial(store.policy.replace_data, target, backup.snapshot)  # with the faults on when it ends
        target.transition = store.clock.start("ready", on_done=replace)
        store.policy.on_started(target)
        return target


def _checked(store: Store, target_id: str, body: bytes | None, grant: Grant | None) -> tuple[Database, Backup, str]:
    """The target, the backup and the source database id as the request named it, once every check passed."""
    policy = store.policy
    if not matches_database_id(target_id):
        raise invalid("targetDatabaseId does not match the database id pattern.")
    within = None if policy.accepts_foreign_target() else grant
    target = store.database(target_id, reading=False, include_deleted=policy.accepts_deleted_target(), grant=within)
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
    return target, usable_backup(store, facts.database_id, facts.backup_id, grant), facts.database_id


def usable_backup(store: Store, source_id: str, backup_id: str, grant: Grant | None = None) -> Backup:
    """Backup `backup_id` of live database `source_id` in `grant`'s workspace, if completed; else 404 or 422. The
    caller holds the lock."""
    policy = store.policy
    source = store.resolve(source_id)
    if (source is None or source.deleted) and not policy.accepts_missing_source():
        raise not_found("Source database")
    foreign = source is not None and grant is not None and store.workspace_of(source) != grant.workspace_id
    if foreign and not policy.accepts_foreign_source():
        raise not_found("Source database")  # another tenant's data: as if it did not exist
    backup = store.backups.get(backup_id)
    belongs = backup is not None and source is not None and backup.database_id == source.id
    if backup is None or not (belongs or policy.accepts_foreign_backup(source)):
        raise not_found("Backup")
    if backup.status != "completed" and not policy.accepts_unusable_backup():
        raise ApiError(422, "backup_not_usable", f"Backup is {backup.status}; only completed backups restore.")
    return backup
