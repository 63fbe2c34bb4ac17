"""The emulated resources as plain records: projects, databases with their connections, backups."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from restore_contract.emulator.clock import Transition
from restore_contract.emulator.dataplane import Snapshot

REGIONS = {
    "us-east-1": "US East (N. Virginia)",
    "us-west-1": "US West (N. California)",
    "eu-west-3": "Europe (Paris)",
    "eu-central-1": "Europe (Frankfurt)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
}
BACKUP_STATUSES = ("running", "completed", "failed", "unknown")
DATABASE_STATUSES = ("failure", "provisioning", "ready", "recovering")
ADMIN_SCOPE = "workspace:admin"  # what the restore page's scope names; every write needs it
SCOPES = (ADMIN_SCOPE, "offline_access")  # the scopes the docs name, those a token may be minted with
DEFAULT_WORKSPACE = "wksp_emulator"  # the workspace of the configured token (a fixed id: minting one would shift ids)
Source = dict[str, str]  # where a database's data came from: {"type", "databaseId", "backupId"} as the API shows it


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Grant:
    """What a bearer token may do: act in one workspace, with some scopes."""

    workspace_id: str
    scopes: frozenset[str] = frozenset(SCOPES)

    @property
    def admin(self) -> bool:
        return ADMIN_SCOPE in self.scopes


@dataclass
class Project:
    id: str
    name: str
    workspace_id: str = DEFAULT_WORKSPACE
    created_at: str = field(default_factory=now_iso)


@dataclass
class Connection:
    id: str
    name: str
    database_id: str
    user: str
    password: str
    created_at: str = field(default_factory=now_iso)


@dataclass(frozen=True)
class NewConnection:
    connection: Connection
    connection_string: str  # shown once, in the answer that creates the connection


@dataclass
class Backup:
    id: str
    database_id: str
    snapshot: Snapshot
    status: str = "completed"
    backup_type: str = "full"
    size: int = 0
    created_at: str = field(default_factory=now_iso)


@dataclass
class Database:
    id: str
    name: str
    project_id: str
    region: str
    status: str
    is_default: bool
    connections: list[Connection] = field(default_factory=list)
    default_connection_id: str | None = None
    source: Source | None = None
    created_at: str = field(default_factory=now_iso)
    transition: Transition | None = None  # the pending end of `provisioning` or `recovering`
    deleted: bool = False
