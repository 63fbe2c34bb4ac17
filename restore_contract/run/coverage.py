"""The documented-behaviour coverage table: for each answer the docs promise and each cause behind it, how often
this run exercised it, and for each one it did not, why (which capability or setting was missing).

A cause counts when the oracle found it in the world before a restore and the server gave one of its answers
(restore_contract/checks/restore.py tallies them); a 200 counts when the restore was verified end to end.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from restore_contract.settings import ENV
from restore_contract.targets.base import NO_ADMIN, OTHER_WORKSPACE
from restore_contract.targets.pool import Pool

# What a run needs to reach a cause, and the setting that provides it.
NEEDS = {
    "target": "a database to restore into: set PRISMA_CONTRACT_PROJECT_ID (scratch databases) or "
    "PRISMA_CONTRACT_TARGET_DATABASE_ID",
    "backup": "a completed backup: set PRISMA_CONTRACT_SOURCE_DATABASE_ID (the golden source)",
    "logins": "logging in to the databases, which a recording and its replay never do (a cassette holds HTTP "
    "only): a live run without --record checks it",
    "data": "the data probe: PRISMA_CONTRACT_DATA_PROBE=on, on a machine that reaches the databases",
    "unusable backup": "a backup that is not completed: only the emulator's control plane makes one "
    "(on staging, the golden source lists none)",
    "busy": "a database held provisioning or recovering: the emulator's control plane, or a window a live run "
    "catches (a scratch database before it is ready, a target right after a restore: PRISMA_CONTRACT_PROJECT_ID)",
    NO_ADMIN: f"a token of the workspace without workspace:admin: set {ENV['no_admin_token']}",
    OTHER_WORKSPACE: f"an admin token of a second workspace: set {ENV['other_workspace_token']}",
    "other workspace database": "a database of the second workspace to restore into: set "
    f"{ENV['other_workspace_project_id']} (a project there, for a scratch database)",
}


@dataclass(frozen=True)
class Row:
    answer: str
    cause: str
    counted_as: str  # the cause's name in the tally
    needs: tuple[str, ...]  # keys of NEEDS


ROWS = (
    Row("200", "recovering → ready, the backup's data, the same credentials", "started: verified end to end",
        ("target", "backup", "logins", "data")),
    Row("401", "missing token", "unauthorized: missing token", ()),
    Row("401", "invalid token", "unauthorized: invalid token", ()),
    Row("404", "target database not found", "target-missing", ()),
    Row("404", "source database not found", "source-database-missing", ("target",)),
    Row("404", "backup not found", "backup-missing", ("target", "backup")),
    Row("409", "target provisioning", "target-busy: provisioning", ("target", "backup", "busy")),
    Row("409", "target recovering", "target-busy: recovering", ("target", "backup", "busy")),
    Row("422", "invalid source type", "source-type-not-backup", ("target", "backup")),
    Row("422", "backup not usable", "backup-not-usable", ("target", "unusable backup")),
    Row("422", "malformed body (a 400 is tolerated)", "body-malformed", ("target",)),
    Row("401/403", "token without workspace:admin (403 tolerated)", "scope-missing", ("target", "backup", NO_ADMIN)),
    Row("404", "target of another workspace (its admin token)", "target-in-another-workspace",
        ("target", "backup", OTHER_WORKSPACE)),
    Row("404", "source of another workspace (a backup of this one's)", "source-in-another-workspace",
        ("backup", OTHER_WORKSPACE, "other workspace database")),
)  # fmt: skip


def capabilities(pool: Pool) -> dict[str, bool]:
    """Which needs this run meets (keys of NEEDS), from what its pool holds and its target can do."""
    completed = [backup for backup in pool.backups if backup.status == "completed"]
    return {
        "target": bool(pool.ready),
        "backup": bool(completed),
        "logins": not pool.target.cassette,
        "data": pool.target.data is not None and any(pool.credentials.values()),
        "unusable backup": len(completed) < len(pool.backups),
        "busy": bool(pool.busy) or pool.project_id is not None,
        NO_ADMIN: NO_ADMIN in pool.target.tokens,
        OTHER_WORKSPACE: OTHER_WORKSPACE in pool.target.tokens,
        "other workspace database": bool(pool.foreign),
    }


BUDGET_OR_TIMING = "not reached by this run's examples (budget or timing)"


@dataclass(frozen=True)
class Covered:
    """A row of the coverage table as a run found it: a documented answer and cause, how often this run exercised
    it, and, when never, why not."""

    answer: str
    cause: str
    exercised: int
    why_not: str

    @property
    def label(self) -> str:
        """The answer and its cause, as the table and the picture name the row."""
        return f"{self.answer} {self.cause}"


def coverage(
    causes: Mapping[str, int],
    has: Mapping[str, bool],
    setup_failed: str | None = None,
    interrupted: str | None = None,
) -> list[Covered]:
    """Each row with how often it was exercised and, when never, why: the run's setup failing, the first missing
    need, the run stopped early (`interrupted`: by what), else the budget."""
    unreached = f"the run was interrupted ({interrupted}) first" if interrupted else BUDGET_OR_TIMING
    table: list[Covered] = []
    for row in ROWS:
        count = causes.get(row.counted_as, 0)
        missing = [NEEDS[need] for need in row.needs if not has.get(need, False)]
        why = "" if count else (missing[0] if missing else unreached)
        if not count and setup_failed:
            why = f"the run's setup failed: {setup_failed}"
        table.append(Covered(row.answer, row.cause, count, why))
    return table


def render(table: list[Covered]) -> list[str]:
    width = max(len(row.label) for row in table)
    lines = ["documented behaviour coverage (answer, cause: times exercised; why not):"]
    for row in table:
        label = row.label.ljust(width)
        lines.append(f"  {label}  {row.exercised:>5}" + (f"  NOT CHECKED: {row.why_not}" if row.why_not else ""))
    return lines
