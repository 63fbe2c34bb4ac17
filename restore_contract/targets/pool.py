"""The resources a run owns and restores into: databases in every state, and backups with known data.

The pool is the run's: the scratch databases it creates (named contract-…, allowed by the target's guard)
are its to delete at the end, also when the run fails. Every database gets a connection issued through the
public API (`POST /v1/databases/{id}/connections`); the data probe logs in with it to write data and, later,
to check a restore. On an emulator the control plane does the rest (backups taken now, states forced); the
checks then know what data each backup holds and where each credential logged in before any restore.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from restore_contract.contracts import BUSY_STATUSES
from restore_contract.dataset.golden import GOLDEN_DATA, fixture_data
from restore_contract.dataset.tables import Tables
from restore_contract.settings import ENV
from restore_contract.targets.api import ApiError, ManagementApi
from restore_contract.targets.base import OTHER_WORKSPACE, Target, TargetConfigurationError
from restore_contract.targets.control import ControlPlane
from restore_contract.targets.data import Credential, LoginRefused
from restore_contract.targets.guard import SCRATCH_NAME, Allowlist
from restore_contract.targets.lease import Lease, Terms, release, take
from restore_contract.targets.live import STALE_FLOOR, LiveSettings
from restore_contract.targets.waiting import wait_for


@dataclass(frozen=True)
class KnownBackup:
    id: str
    database_id: str
    status: str


@dataclass
class Pool:
    target: Target
    run_id: str = ""  # in the names of the scratch databases, so a later run can tell they were this run's
    ready: list[str] = field(default_factory=list)  # restorable targets
    busy: dict[str, str] = field(default_factory=dict)  # held provisioning or recovering: id → that status
    failed: list[str] = field(default_factory=list)  # in status failure
    deleted: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    backups: list[KnownBackup] = field(default_factory=list)
    backup_data: dict[str, Tables] = field(default_factory=dict)
    credentials: dict[str, list[Credential]] = field(default_factory=dict)  # database → issued before any restore
    scratch: list[str] = field(default_factory=list)  # databases this run created, deleted at the end
    stale: list[str] = field(default_factory=list)  # scratch databases of earlier runs this run deleted
    stale_kept: list[str] = field(default_factory=list)  # and those too young to be sure no run uses them
    sacrificial: str | None = None  # PRISMA_CONTRACT_TARGET_DATABASE_ID
    lease: Lease | None = None  # this run's on the sacrificial database: it restores there only while it holds it
    leased_by_other: list[str] = field(default_factory=list)  # the sacrificial database another run holds: why not used
    expired_leases: list[str] = field(default_factory=list)  # those of killed runs this run deleted
    own_connections: list[str] = field(default_factory=list)  # made on the sacrificial database, deleted at the end
    # Scratch databases the run made in another workspace (with the OTHER_WORKSPACE token), deleted with it at the
    # end; and backups of them (only an emulator takes one now).
    foreign: list[str] = field(default_factory=list)
    foreign_backups: list[KnownBackup] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.client = self.target.client()  # the pool's own bookkeeping: scratch databases, connections
        self.api = ManagementApi(self.client)
        other = self.target.tokens.get(OTHER_WORKSPACE)
        self.other_client = self.target.client(other) if other else None  # the other workspace's admin
        self.other_api = ManagementApi(self.other_client) if self.other_client else None
        # Probe ids carry tokens the guard lets through; without a guard (the emulator) they are minted all the same.
        self._minter = self.target.guard or Allowlist(secret="unguarded")

    def mint(self) -> str:
        """A random token for ids that name no database but this run's own probes (see targets/guard.py)."""
        return self._minter.mint()

    @property
    def project_id(self) -> str | None:
        return self.target.project_id

    @property
    def restore_targets(self) -> list[str]:
        return self.ready + list(self.busy) + self.failed + self.deleted

    @property
    def database_ids(self) -> list[str]:
        return self.restore_targets + self.sources

    def data_of(self, backup_id: str) -> Tables | None:
        return self.backup_data.get(backup_id)

    def credentials_of(self, database_id: str) -> list[Credential]:
        return self.credentials.get(database_id, [])

    def create_database(self, name: str) -> str:
        """Create a scratch database (named contract-scratch-RUN-…) that this run owns, restores into and deletes."""
        if self.project_id is None:
            raise TargetConfigurationError("creating scratch databases needs PRISMA_CONTRACT_PROJECT_ID")
        database_id = self._create(self.api, self.project_id, name)
        self.scratch.append(database_id)
        return database_id

    def create_foreign_database(self, name: str) -> str:
        """A scratch database of the other workspace, made with its admin token in its project: the run's own (the
        guard allows it as any scratch database), restored into only with that token."""
        if self.other_api is None or self.target.other_project_id is None:
            raise TargetConfigurationError("a database of another workspace needs its token and project")
        database_id = self._create(self.other_api, self.target.other_project_id, name)
        self.foreign.append(database_id)
        return database_id

    def _create(self, api: ManagementApi, project_id: str, name: str) -> str:
        full_name = f"{SCRATCH_NAME}{self.run_id}-{name}" if self.run_id else SCRATCH_NAME + name
        database_id = str(api.created_database(project_id, full_name)["id"])
        if self.target.guard is not None:
            self.target.guard.allow(database_id, full_name)
        return database_id

    def delete_scratch(self, sweep: bool = False) -> list[str]:
        """Delete every scratch database still there; returns what could not be deleted, with why. `sweep` (a set-up
        that failed, an interrupted run): also those the project lists under this run's name, e.g. one whose create
        request was answered after the interrupt came (no one else's name carries this run's random id)."""
        if sweep and self.project_id and self.run_id:
            named = f"{SCRATCH_NAME}{self.run_id}-"
            try:
                listed = _project_databases(self.api, self.project_id)
            except (httpx.HTTPError, TargetConfigurationError):
                listed = []
            for database in listed:
                if str(database["name"]).startswith(named) and database["id"] not in self.scratch:
                    if self.target.guard is not None:
                        self.target.guard.allow(database["id"], database["name"])
                    self.scratch.append(database["id"])
        leftovers = []
        owners = [(self.api, self.scratch)] + ([(self.other_api, self.foreign)] if self.other_api else [])
        for api, databases in owners:
            for database_id in databases:
                try:
                    response = api.delete_database(database_id)
                except httpx.HTTPError as error:
                    leftovers.append(f"{database_id}: {error}")
                    continue
                if response.status_code not in (204, 404):
                    leftovers.append(f"{database_id}: DELETE answered {response.status_code}")
            databases.clear()
        return leftovers

    def release(self) -> list[str]:
        """The sacrificial database left as another run may find it: this run's connections there, then its lease,
        deleted; what could not be, with why (a lease left behind expires by itself)."""
        if self.lease is None:
            return []
        made, self.own_connections = [*self.own_connections, self.lease.connection_id], []
        self.lease = None
        return [problem for connection_id in made if (problem := release(self.api, connection_id))]

    def connect(self, database_id: str) -> Credential | None:
        """Have the API issue a connection for the database and log in with it once (None: no data probe); for a
        database of the other workspace, with that workspace's token.

        The connection is created even without a data probe, so a replay sends what the recording sent.
        """
        foreign = database_id in self.foreign and self.other_api is not None
        issued = create_connection(self.other_api if foreign and self.other_api else self.api, database_id)
        if self.lease is not None and database_id == self.sacrificial:  # left as found: deleted at the end
            if self.target.guard is not None:
                self.target.guard.allow_connection(issued.id, database_id, PROBE_CONNECTION)
            self.own_connections.append(issued.id)
        secret = issued.connection_string
        if self.target.data is None:
            return None
        try:
            credential = Credential(secret, self.target.data.login(secret))
        except LoginRefused as refused:
            raise TargetConfigurationError(
                f"a connection string the API just issued for {database_id} does not log in: {refused} "
                "(set PRISMA_CONTRACT_DATA_PROBE=off where the suite cannot reach the databases)"
            ) from None
        self.credentials.setdefault(database_id, []).append(credential)
        return credential

    def write(self, database_id: str, tables: Tables) -> None:
        """Write through the database's first credential (the data probe); nothing without one."""
        issued = self.credentials_of(database_id)
        if self.target.data is not None and issued:
            self.target.data.write(issued[0].connection_string, tables)


@dataclass(frozen=True)
class Issued:
    id: str
    connection_string: str  # shown once, in the answer that creates the connection


PROBE_CONNECTION = "contract-probe"


def create_connection(api: ManagementApi, database_id: str, name: str = PROBE_CONNECTION) -> Issued:
    data = api.issued_connection(database_id, name)
    return Issued(str(data["id"]), str(data["endpoints"]["direct"]["connectionString"]))


def fill_emulator_pool(pool: Pool, control: ControlPlane) -> None:
    """Every state restore can meet, built through the public API plus the control plane."""

    def new(name: str, version: str) -> str:
        database_id = pool.create_database(name)
        control.force_status(database_id, "ready")
        pool.connect(database_id)
        pool.write(database_id, fixture_data(version))
        return database_id

    def backup(database_id: str, version: str, status: str = "completed") -> str:
        pool.write(database_id, fixture_data(version))
        backup_id = control.take_backup(database_id, status)
        pool.backups.append(KnownBackup(backup_id, database_id, status))
        pool.backup_data[backup_id] = fixture_data(version)
        return backup_id

    first, second = new("source-1", "s1"), new("source-2", "s2")
    pool.sources += [first, second]
    backup(first, "s1-v1")
    backup(first, "s1-v2")
    for status in ("running", "failed", "unknown"):
        backup(first, f"s1-{status}", status)
    backup(second, "s2-v1")
    for index in (1, 2):
        database_id = new(f"target-{index}", f"t{index}")
        backup(database_id, f"t{index}-v1")
        pool.write(database_id, fixture_data(f"t{index}-written-after-backup"))
        pool.ready.append(database_id)
    for status in sorted(BUSY_STATUSES):
        database_id = new(f"held-{status}", status)
        control.force_status(database_id, status)
        pool.busy[database_id] = status
    failed = new("failed", "failed")
    control.force_status(failed, "failure")
    pool.failed.append(failed)
    gone = new("deleted", "deleted")
    pool.api.delete_database(gone)
    pool.deleted.append(gone)
    if pool.other_client is not None:  # last: the databases above keep the ids they had before there were workspaces
        foreign = pool.create_foreign_database("other-workspace")
        control.force_status(foreign, "ready")
        pool.connect(foreign)
        pool.write(foreign, fixture_data("other-workspace"))
        backup_id = control.take_backup(foreign)
        pool.foreign_backups.append(KnownBackup(backup_id, foreign, "completed"))
        pool.backup_data[backup_id] = fixture_data("other-workspace")
        pool.write(foreign, fixture_data("other-workspace-written-after-backup"))


def wait_until_ready(
    api: ManagementApi, database_id: str, timeout: float, pace: Callable[[float], None] = time.sleep
) -> dict[str, Any]:
    """Read the database until it has settled; it must then be ready (a new database, a sacrificial one)."""
    data, _ = wait_for(lambda: api.database(database_id), lambda d: d["status"] not in BUSY_STATUSES, timeout, pace)
    if data["status"] != "ready":
        raise RuntimeError(f"database {database_id} is {data['status']} (waited up to {timeout}s for ready)")
    return data


def fill_live_pool(pool: Pool, settings: LiveSettings, lease: Terms | None = None) -> None:
    """Scratch databases the run creates, the configured sacrificial one (when no other run holds its lease: asked
    for on `lease`'s terms), and the golden source's backups.

    Nothing here needs a control plane; whatever a live target cannot provide (held statuses, data access)
    stays empty and the tests that need it skip.
    """
    target, api = pool.target, pool.api
    # Reads first: everything that can go wrong without writing goes wrong before the first write.
    source = settings.source_database_id
    if source:
        pool.sources.append(source)
        pool.backups += _listed_backups(api, source)
        # A golden source's completed backups hold the golden fixture (docs/nightly.md: Setting up the golden source).
        pool.backup_data.update({b.id: GOLDEN_DATA for b in pool.backups if b.status == "completed"})
        # The preflight checked that the backup named is completed and that there is one (targets/live.py).
        wanted = settings.backup_id
        if wanted:  # the named backup first: the tests pick completed backups in list order
            pool.backups.sort(key=lambda backup: backup.id != wanted)
    if target.project_id:
        pool.stale, pool.stale_kept = delete_stale_scratch(api, target.project_id, target.guard, settings.stale_after)
    sacrificial = settings.target_database_id
    if sacrificial and _lease_sacrificial(pool, sacrificial, lease or Terms(pool.run_id, STALE_FLOOR)):
        wait_until_ready(api, sacrificial, target.restore_timeout, target.pace)
        pool.connect(sacrificial)
        pool.write(sacrificial, fixture_data(f"{settings.run_id}-written-before-restore"))
        pool.ready.append(sacrificial)
    if target.project_id:
        # Created together, so they provision at the same time, and the run waits for them once.
        created = [pool.create_database(f"target-{index}") for index in range(1, settings.scratch_targets + 1)]
        gone = pool.create_database("deleted")
        for database_id in created:
            wait_until_ready(api, database_id, target.restore_timeout, target.pace)
            pool.connect(database_id)
            pool.write(database_id, fixture_data(f"{settings.run_id}-written-before-restore"))
        pool.ready += created
        wait_until_ready(api, gone, target.restore_timeout, target.pace)
        api.delete_database(gone)
        pool.deleted.append(gone)
    if pool.other_api is not None and target.other_project_id:
        # The second workspace's own database, to restore into from the golden source's backups (which it must not
        # reach): created, and restored into, with that workspace's token only.
        foreign = pool.create_foreign_database("other-workspace")
        wait_until_ready(pool.other_api, foreign, target.restore_timeout, target.pace)
        pool.connect(foreign)
        pool.write(foreign, fixture_data(f"{settings.run_id}-other-workspace"))


def _lease_sacrificial(pool: Pool, database_id: str, terms: Terms) -> bool:
    """Whether this run holds the sacrificial database's lease (targets/lease.py); if not, it says whose it is and,
    without a project to create scratch databases in, stops (it would have nothing to restore into) unless a partial
    run was asked for or the holder is another worker of the same run (which restores there)."""
    target = pool.target
    assert target.guard is not None, "a live target is guarded"
    name = str(pool.api.database(database_id)["name"])
    target.guard.allow(database_id, name)  # refuses a database not named contract-…
    outcome = take(
        pool.api, target.guard, database_id, terms.run, pool.run_id or terms.run, terms.seconds, pace=target.pace
    )
    pool.expired_leases += outcome.expired
    if outcome.held is not None:
        pool.sacrificial, pool.lease = database_id, outcome.held
        return True
    assert outcome.other is not None
    line = outcome.other.describe(database_id)
    if target.project_id is None and outcome.other.run != terms.run and not terms.partial:
        raise TargetConfigurationError(
            f"{line}; with no PRISMA_CONTRACT_PROJECT_ID it has nothing to restore into: run it again once that run "
            "has ended (or give it a project for scratch databases)"
        )
    pool.leased_by_other.append(line)
    return False


def delete_stale_scratch(
    api: ManagementApi, project_id: str, guard: Allowlist | None, older_than: float, now: datetime | None = None
) -> tuple[list[str], list[str]]:
    """Scratch databases that earlier runs left behind (killed before they cleaned up): those named
    contract-scratch-… and created more than `older_than` seconds ago, and never less than STALE_FLOOR, are deleted.
    A younger one may be a run in progress elsewhere: it is kept, and listed with the request that deletes it.
    Anything not named so is never touched. Returns (deleted, kept), one line each."""
    now, deleted, kept = now or datetime.now(UTC), [], []
    limit = max(older_than, STALE_FLOOR)
    for database in _project_databases(api, project_id):
        if not str(database["name"]).startswith(SCRATCH_NAME):
            continue
        created = datetime.fromisoformat(str(database["createdAt"]).replace("Z", "+00:00"))
        age = (now - created).total_seconds()
        described = f"{database['id']} ({database['name']}, {age / 3600:.1f} h old)"
        if age <= limit:  # not older than the limit: a run in progress may own it
            kept.append(
                f"{described}: not deleted, not older than {limit / 3600:g} h (a run in progress may own it; "
                f"{STALE_FLOOR / 3600:g} h is the floor); once no run uses it: curl -X DELETE -H "
                f'"Authorization: Bearer ${ENV["api_token"]}" {api.database_url(database["id"])}'
            )
            continue
        if guard is not None:
            guard.allow(database["id"], database["name"])
        deleted.append(f"{described}: DELETE answered {api.delete_database(database['id']).status_code}")
    return deleted, kept


def _project_databases(api: ManagementApi, project_id: str) -> list[dict[str, Any]]:
    try:
        return api.project_databases(project_id)
    except ApiError as error:
        raise TargetConfigurationError(
            f"listing the databases of {ENV['project_id']}={project_id} answered {error.status}"
        ) from None


def _listed_backups(api: ManagementApi, database_id: str) -> list[KnownBackup]:
    try:
        listed = api.backups(database_id)
    except ApiError as error:
        raise TargetConfigurationError(
            f"listing the backups of {ENV['source_database_id']}={database_id} answered {error.status}: "
            f"{error.body[:200]}"
        ) from None
    return [KnownBackup(item["id"], database_id, item["status"]) for item in listed]
