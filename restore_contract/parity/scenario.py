"""The parity scenario: a fixed, readable sequence of API calls that reaches every documented answer of restore and
the operations around it, run against any target through its own transport stack (the safety guard included).

It touches only what the run owns: one scratch database it creates (`contract-scratch-<run>-parity`, registered
with the guard by the pool) and deletes, ids it makes up to name nothing, and the golden source, which it only
reads and restores *from*. It needs no control plane, so it runs against staging as against the emulator.

The 409 windows are held open without a control plane: a restore right after the database was created (it is
provisioning) and right after a 200 (it is recovering). A server fast enough to have closed a window answers 200,
which is right: the step records whether its window was reached instead of failing. What tells the two 200s apart is
the target's status read (unrecorded) just before the restore, kept as the step's `before`: `ready`, the window had
closed; `provisioning` or `recovering`, the server accepted a restore the docs answer 409 (`window: ignored`).
The restore after the recovery (`settled`) is judged by the same read the other way round: once it shows the target
`ready`, the docs leave no room for a 409 (a conflict that outlived the recovery); while it still shows it
recovering, a 409 is right, however long the server's recovery takes.

Each step records one request and its answer (a watch records the statuses it saw while polling, then one read).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx

from restore_contract.contracts import (
    BUSY_STATUSES,
    RestoreWorld,
    TargetState,
    expected_statuses,
    operations,
    validator_for,
)
from restore_contract.parity.normalise import Normaliser
from restore_contract.parity.snapshot import FORMAT, Snapshot
from restore_contract.targets.api import ManagementApi
from restore_contract.targets.base import NO_ADMIN, OTHER_WORKSPACE, SETTING_OF, Target
from restore_contract.targets.pool import Pool, create_connection
from restore_contract.targets.waiting import wait_for

WRONG_TOKEN = "contract-parity-wrong-token"  # not a secret: a token no server accepts
INVALID_ID = "not-an-id"  # matches neither branch of the id pattern
NOT_JSON = b"{not json"


class ScenarioError(RuntimeError):
    """The scenario could not go on (a setup call failed); the message names the step and the answer."""


@dataclass(frozen=True)
class Step:
    name: str
    does: str  # what it sends, and what the docs promise for it
    run: Callable[[Session], object]  # sends the step's one request (what it returns is not used)
    allowed: frozenset[int]  # the statuses a correct server may answer (restore: the oracle's)
    window: bool = False  # a 409 window: reached or not depends on the server's speed
    # A restore into a target the scenario watched settle: 200 once the read just before shows it ready, 409 only
    # while that read still shows it busy (the docs do not say how long a recovery takes: any length is right).
    settled: bool = False

    @property
    def reads_first(self) -> bool:
        """The step reads the target's status just before its restore and is judged by it (`before`)."""
        return self.window or self.settled


def restore_allows(**world: Any) -> frozenset[int]:
    """What the oracle accepts for a restore in this world (tolerated codes included: they are no divergence)."""
    expectation = expected_statuses(RestoreWorld(**world))
    return expectation.codes | frozenset(expectation.tolerated)


def documented(operation_id: str, *codes: int) -> frozenset[int]:
    """Statuses a scaffolding step accepts; each one must be documented for its operation."""
    undocumented = set(codes) - operations()[operation_id].status_codes
    if undocumented:
        raise ValueError(f"{operation_id} documents no {sorted(undocumented)}")
    return frozenset(codes)


def operation_of(method: str, raw_path: str) -> str | None:
    """The contract's operation for a request (None: a route the contract lacks)."""
    segments = raw_path.split("?", 1)[0].strip("/").split("/")
    for operation in operations().values():
        template = operation.path.strip("/").split("/")
        if operation.method != method or len(template) != len(segments):
            continue
        if all(part.startswith("{") or part == segment for part, segment in zip(template, segments, strict=True)):
            return operation.operation_id
    return None


def schema_errors(operation_id: str | None, status: int, text: str) -> list[str]:
    """How an answer breaks the schema documented for it, named by keyword and the schema's value (never the
    answer's: that may be a secret)."""
    validator = validator_for(operation_id, status)
    if validator is None:
        return []
    try:
        instance = json.loads(text)
    except ValueError:
        return ["$: not JSON"]
    errors = set()
    for error in validator.iter_errors(instance):
        if error.validator == "required" and isinstance(error.instance, dict):
            errors |= {
                f"{error.json_path}.{name}: required" for name in error.validator_value if name not in error.instance
            }
            continue
        value = json.dumps(error.validator_value, sort_keys=True)
        errors.add(f"{error.json_path}: {error.validator}" + (f" {value}" if len(value) <= 120 else ""))
    return sorted(errors)


def window(status: int, before: str | None) -> str:
    """What a 409-window step's answer says of its window: `reached` (409), `closed` (accepted, and the target had
    settled by the read just before), `ignored` (accepted though that read showed it provisioning or recovering)."""
    if status == 409:
        return "reached"
    return "ignored" if before in BUSY_STATUSES else "closed"


def media_type(response: httpx.Response) -> str:
    return str(response.headers.get("content-type", "")).split(";", 1)[0].strip().lower()


@dataclass
class Session:
    """One run of the scenario: the target, what it created, and the exchanges each step recorded."""

    target: Target
    pool: Pool
    normaliser: Normaliser
    source: str  # the golden source: read and restored from, never written
    scratch: str = ""
    backup: str = ""  # the golden source's newest completed backup
    unusable: str | None = None  # one of its backups that is not completed, if it lists one
    _captured: list[tuple[str, httpx.Response]] = field(default_factory=list)
    _recording: bool = True
    _skipped: str | None = None
    _seen: list[str] | None = None
    _before: str | None = None

    def __post_init__(self) -> None:
        self.client = self.pool.client  # the pool's client: what the pool creates is recorded too
        self.anonymous = self.target.client(authenticated=False)
        self.wrong_token = self.target.client(token=WRONG_TOKEN)
        clients = [(self.client, "token"), (self.anonymous, "none"), (self.wrong_token, "wrong token")]
        # The other principals the target has (never recorded: a step's `auth` names the kind only).
        self.principals = {kind: self.target.client(token) for kind, token in self.target.tokens.items()}
        clients += [(client, f"{kind} token") for kind, client in self.principals.items()]
        for client, auth in clients:
            client.event_hooks["response"].append(partial(self._capture, auth))

    def _capture(self, auth: str, response: httpx.Response) -> None:
        if self._recording:
            response.read()
            self._captured.append((auth, response))

    @contextmanager
    def unrecorded(self) -> Iterator[None]:
        self._recording = False
        try:
            yield
        finally:
            self._recording = True

    # --- what steps do
    def mint(self, kind: str, prefix: str = "") -> str:
        """An id that names nothing (a token the run just drew; the guard lets it through)."""
        value = prefix + self.pool.mint()
        self.normaliser.learn(value, f"unknown-{kind}", server_minted=False)
        return value

    def body(self, database_id: str | None = None, backup_id: str | None = None, kind: str = "backup") -> Any:
        source = {"type": kind, "databaseId": database_id or self.source, "backupId": backup_id or self.backup}
        return {"source": source}

    def restore(self, target_id: str, body: Any = None, client: httpx.Client | None = None) -> httpx.Response:
        content = body if isinstance(body, bytes) else json.dumps(body if body is not None else self.body()).encode()
        return ManagementApi(client or self.client).restore(target_id, content)

    def restore_after_reading(self, target_id: str) -> None:
        """Read the target's status (unrecorded: the evidence of whether a 409 window was still open, or whether the
        target had settled), then restore into it at once."""
        with self.unrecorded():
            self._before = self.status_of(target_id)
        self.restore(target_id)

    def status_of(self, database_id: str) -> str:
        """The database's `status` as a read answers it now, or `answered N` when the read does not say."""
        response = ManagementApi(self.client).get_database(database_id)
        try:
            status = str(response.json()["data"]["status"]) if response.status_code == 200 else ""
        except (ValueError, KeyError, TypeError):
            status = ""
        return status or f"answered {response.status_code}"

    def watch(self, database_id: str) -> None:
        """Read the database until it settles; record the statuses seen on the way, then one read."""
        seen: list[str] = []

        def read() -> str:
            status = self.status_of(database_id)
            if not seen or seen[-1] != status:
                seen.append(status)
            return status

        with self.unrecorded():
            wait_for(read, lambda status: status not in BUSY_STATUSES, self.target.restore_timeout, self.target.pace)
        read()  # recorded: the step's answer
        self._seen = seen

    def skip(self, reason: str) -> None:
        self._skipped = reason

    # --- recording
    def run_step(self, step: Step) -> dict[str, Any]:
        self._start()
        try:
            step.run(self)
        except RuntimeError as error:  # a setup call answered something the scenario cannot go on from
            raise ScenarioError(f"step {step.name}: {error}") from None
        record: dict[str, Any] = {"step": step.name, "does": step.does}
        if self._skipped is not None:
            return {**record, "skipped": self._skipped}
        if len(self._captured) != 1:
            raise ScenarioError(f"step {step.name} recorded {len(self._captured)} requests; a step records one")
        auth, response = self._captured[0]
        record.update(self._exchange(auth, response))
        if self._before is not None:
            record["before"] = self._before
        if step.window and (response.status_code == 409 or response.is_success):
            record["window"] = window(response.status_code, self._before)
        if self._seen is not None:
            record["seen"] = self._seen
        return record

    def _start(self) -> None:
        self._captured, self._skipped, self._seen, self._before = [], None, None, None

    def _exchange(self, auth: str, response: httpx.Response) -> dict[str, Any]:
        request, normalise = response.request, self.normaliser
        raw_path = request.url.raw_path.decode("ascii")
        sent: dict[str, Any] = {"method": request.method, "path": normalise.text(raw_path), "auth": auth}
        if request.content:
            sent["body"] = self._payload(request.content, learn=False)
        operation_id = operation_of(request.method, raw_path)
        return {
            "request": sent,
            "status": response.status_code,
            "content_type": media_type(response),
            "body": self._payload(response.content, learn=True),
            "schema_errors": schema_errors(operation_id, response.status_code, response.text),
        }

    def _payload(self, content: bytes, *, learn: bool) -> Any:
        """A body normalised: JSON as JSON (learning the ids an answer names), anything else as text."""
        if not content:
            return None
        text = content.decode("utf-8", "replace")
        try:
            value = json.loads(text)
        except ValueError:
            return {"text": self.normaliser.text(text)}
        if learn:
            self.normaliser.learn_from(value)
        return self.normaliser.body(value)


# --- the steps, in order


def _list_golden_backups(s: Session) -> None:
    response = ManagementApi(s.client).list_backups(s.source)
    if response.status_code != 200:
        raise ScenarioError(f"listing the golden source's backups answered {response.status_code}")
    items = [item for item in response.json()["data"] if isinstance(item, dict)]
    ordered = sorted(items, key=lambda item: (str(item.get("status")), str(item.get("createdAt")), str(item["id"])))
    completed = [item for item in ordered if item.get("status") == "completed"]
    if not completed:
        raise ScenarioError("the golden source (PRISMA_CONTRACT_SOURCE_DATABASE_ID) lists no completed backup")
    s.backup = str(completed[-1]["id"])  # the newest
    s.unusable = next((str(item["id"]) for item in ordered if item.get("status") != "completed"), None)
    # Placeholders: the backup restored from is <backup:1> and the unusable one <backup:2> however many the server
    # keeps; the others are numbered per status (<running-backup:1>) in an order of their own, not the list's (the
    # server's choice), so servers that list the same backups differently, or more of them, name them alike.
    for backup_id in (s.backup, s.unusable):
        if backup_id is not None:
            s.normaliser.learn(backup_id, "backup")
    for item in ordered:
        status = re.sub(r"[^a-z]+", "-", str(item.get("status")).lower()).strip("-") or "other"
        s.normaliser.learn(str(item["id"]), f"{status}-backup")


def _create_scratch(s: Session) -> None:
    s.scratch = s.pool.create_database("parity")


def _restore_scratch(s: Session) -> None:
    s.restore(s.scratch)


def _restore_scratch_after_reading(s: Session) -> None:
    s.restore_after_reading(s.scratch)


def _watch_scratch(s: Session) -> None:
    s.watch(s.scratch)


def _issue_connection(s: Session) -> None:
    create_connection(ManagementApi(s.client), s.scratch, name="contract-parity")


def _list_connections(s: Session) -> None:
    ManagementApi(s.client).list_connections(s.scratch, limit=None)


def _get_unprefixed(s: Session) -> None:
    if not s.scratch.startswith("db_"):
        s.skip("the scratch database's id has no db_ prefix to leave out")
        return
    ManagementApi(s.client).get_database(s.scratch.removeprefix("db_"))


def _restore_wrong_case_prefix(s: Session) -> None:
    if not s.scratch.startswith("db_"):
        s.skip("the scratch database's id has no db_ prefix to write in the wrong case")
        return
    # The scratch database's own id, so a server that folds the case reaches only what the run owns (the guard
    # checks every id the segment could reach).
    s.restore("DB_" + s.scratch.removeprefix("db_"))


def _restore_unusable(s: Session) -> None:
    if s.unusable is None:
        s.skip("the golden source lists no backup that is not completed")
        return
    s.restore(s.scratch, s.body(backup_id=s.unusable))


def _as(s: Session, kind: str) -> httpx.Client | None:
    """The other principal's client; None (the step skipped, naming the setting) when the target has none."""
    client = s.principals.get(kind)
    if client is None:
        s.skip(f"no {kind} token (live: set {SETTING_OF[kind]})")
    return client


def _restore_without_admin_scope(s: Session) -> None:
    if (client := _as(s, NO_ADMIN)) is not None:
        s.restore(s.scratch, client=client)


def _get_from_another_workspace(s: Session) -> None:
    if (client := _as(s, OTHER_WORKSPACE)) is not None:
        ManagementApi(client).get_database(s.scratch)


def _restore_from_another_workspace(s: Session) -> None:
    if (client := _as(s, OTHER_WORKSPACE)) is not None:
        s.restore(s.scratch, client=client)


def _delete_scratch(s: Session) -> None:
    ManagementApi(s.client).delete_database(s.scratch)


def _get_scratch(s: Session) -> None:
    ManagementApi(s.client).get_database(s.scratch)


MALFORMED = {"body_well_formed": False, "source_type_is_backup": None, "source_database_exists": None}
MALFORMED |= {"backup_exists": None, "backup_status": None}
GET_DATABASE = "getV1DatabasesByDatabaseId"

# fmt: off
STEPS: tuple[Step, ...] = (
    Step("list-golden-backups", "list the golden source's backups (200); the newest completed one is restored from",
         _list_golden_backups, documented("getV1DatabasesByDatabaseIdBackups", 200)),
    Step("create-scratch", "create a scratch database in the project (201, provisioning or ready)",
         _create_scratch, documented("postV1ProjectsByProjectIdDatabases", 201)),
    Step("restore-while-provisioning", "read its status, then restore into it at once: 409 while it is "
         "provisioning (a window)",
         _restore_scratch_after_reading, restore_allows(target=TargetState.PROVISIONING), window=True),
    Step("watch-scratch-ready", "read it until it settles: ready", _watch_scratch, documented(GET_DATABASE, 200)),
    Step("issue-connection", "issue a connection for it (200, its secrets shown once)",
         _issue_connection, documented("postV1DatabasesByDatabaseIdConnections", 200)),
    Step("list-connections", "list its connections (200, no secrets)",
         _list_connections, documented("getV1DatabasesByDatabaseIdConnections", 200)),
    Step("get-by-unprefixed-id", "read it by its id without db_ (the pattern allows it; whether it names the same "
         "database is not documented: 200 or 404)", _get_unprefixed, documented(GET_DATABASE, 200, 404)),
    Step("restore", "restore it from the backup: 200, recovering, the same id and connections, the source echoed",
         _restore_scratch, restore_allows()),
    Step("restore-while-recovering", "read its status, then restore it again at once: 409 while it is "
         "recovering (a window)",
         _restore_scratch_after_reading, restore_allows(target=TargetState.RECOVERING), window=True),
    Step("watch-recovery", "read it until it settles: ready, the source the backup, the connections unchanged",
         _watch_scratch, documented(GET_DATABASE, 200)),
    Step("restore-after-recovery", "read its status, then restore it again: 200 once the read shows it ready (the "
         "recovery released it; 409 only while the read still shows it recovering)",
         _restore_scratch_after_reading, restore_allows(), settled=True),
    Step("watch-recovery-again", "read it until it settles again: ready",
         _watch_scratch, documented(GET_DATABASE, 200)),
    Step("restore-target-missing", "restore into an id that names no database: 404",
         lambda s: s.restore(s.mint("database", "db_")), restore_allows(target=TargetState.MISSING)),
    Step("restore-source-missing", "restore from a source database that does not exist: 404",
         lambda s: s.restore(s.scratch, s.body(database_id=s.mint("database", "db_"))),
         restore_allows(source_database_exists=False, backup_exists=False)),
    Step("restore-backup-missing", "restore from a backup id that names nothing: 404",
         lambda s: s.restore(s.scratch, s.body(backup_id=s.mint("backup"))), restore_allows(backup_exists=False)),
    Step("restore-backup-of-another-database", "restore from the golden backup named as the scratch database's: 404",
         lambda s: s.restore(s.scratch, s.body(database_id=s.scratch)), restore_allows(backup_exists=False)),
    Step("restore-source-type-not-backup", "restore with source.type 'database': 422",
         lambda s: s.restore(s.scratch, s.body(kind="database")), restore_allows(source_type_is_backup=False)),
    Step("restore-backup-not-usable", "restore from a backup that is not completed: 422",
         _restore_unusable, restore_allows(backup_status="failed")),
    Step("restore-body-malformed", "restore with a source lacking backupId: 422 (400 tolerated)",
         lambda s: s.restore(s.scratch, {"source": {"type": "backup", "databaseId": s.source}}),
         restore_allows(**MALFORMED)),
    Step("restore-body-not-json", "restore with a body that is not JSON: 422 (400 tolerated)",
         lambda s: s.restore(s.scratch, NOT_JSON), restore_allows(**MALFORMED)),
    Step("restore-without-token", "restore with no Authorization header: 401",
         lambda s: s.restore(s.scratch, client=s.anonymous), restore_allows(token_valid=False)),
    Step("restore-with-wrong-token", "restore with a token no server accepts: 401",
         lambda s: s.restore(s.scratch, client=s.wrong_token), restore_allows(token_valid=False)),
    Step("restore-without-admin-scope", "restore with a valid token lacking workspace:admin: 401 (403 tolerated)",
         _restore_without_admin_scope, restore_allows(token_admin=False)),
    Step("get-from-another-workspace", "read the scratch database with another workspace's admin token: 404 "
         "(401/403 tolerated)", _get_from_another_workspace, documented(GET_DATABASE, 401, 403, 404)),
    Step("restore-from-another-workspace", "restore it (from this workspace's backup) with another workspace's admin "
         "token: 404 (401/403 tolerated)",
         _restore_from_another_workspace, restore_allows(target_foreign=True, source_foreign=True)),
    Step("restore-regex-invalid-id", f"restore into {INVALID_ID!r}, which breaks the id pattern: 404 or 422",
         lambda s: s.restore(INVALID_ID), restore_allows(target_id_matches_regex=False, target=TargetState.MISSING)),
    Step("restore-wrong-case-prefix", "restore into its id prefixed DB_, which breaks the id pattern: 400, 404 or "
         "422 (which one the docs leave open), never the database db_…",
         _restore_wrong_case_prefix, restore_allows(target_id_matches_regex=False)),
    Step("delete-scratch", "delete the scratch database (204)",
         _delete_scratch, documented("deleteV1DatabasesByDatabaseId", 204)),
    Step("get-deleted", "read the deleted database: 404", _get_scratch, documented(GET_DATABASE, 404)),
    Step("restore-into-deleted", "restore into the deleted database: 404",
         _restore_scratch, restore_allows(target=TargetState.MISSING)),
)
# fmt: on
BY_NAME = {step.name: step for step in STEPS}


def run(target: Target, *, source_id: str, run_id: str, recorded_against: str) -> Snapshot:
    """Run every step against `target` (its project holds the scratch database, `source_id` is the golden source);
    the snapshot of what it answered. The scratch database is deleted at the end whatever happens (a ScenarioError
    says where the scenario stopped)."""
    if target.project_id is None:
        raise ScenarioError("the scenario creates its scratch database in a project: set PRISMA_CONTRACT_PROJECT_ID")
    normaliser = Normaliser(target.base_url, run_id)
    normaliser.learn(target.project_id, "project")
    normaliser.learn(source_id, "database")
    pool = Pool(target, run_id=run_id)
    session = Session(target, pool, normaliser, source_id)
    steps, problems = [], []
    try:
        for step in STEPS:
            steps.append(session.run_step(step))
    except ScenarioError as error:
        problems.append(str(error))
    finally:
        with session.unrecorded():
            leftovers = pool.delete_scratch()
    if leftovers:
        problems.append(f"scratch databases NOT deleted: {'; '.join(leftovers)}")
    if problems:
        raise ScenarioError("; ".join(problems))
    return {
        "format": FORMAT,
        "recorded_against": normaliser.text(recorded_against),  # a label naming the server's URL: `<api>`
        "id_formats": normaliser.id_formats(),
        "steps": steps,
    }
