"""The restore-specific properties: plain functions over (observed, response), each registered with the answers
it applies to and the property it counts under (in the style of schemathesis's own checks).

A check raises AssertionError naming the property and the documentation it comes from. The driver hands it
the `Observation` of its own request (the world before the call, how to look at it afterwards, and a tally
of what was checked), so checks keep no state between calls and can judge several restores at once.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from typing import Any

import httpx

from restore_contract.checks.probe import Before, DatabaseView, Probe
from restore_contract.checks.tally import Tally
from restore_contract.contracts import (
    AUTH_RULE,
    BUSY_STATUSES,
    RESTORE,
    RestoreWorld,
    TargetState,
    describe_body,
    errors_of,
    expected_statuses,
    validator_for,
)
from restore_contract.dataset.golden import GOLDEN_DATA
from restore_contract.dataset.tables import Tables, canonical
from restore_contract.targets.data import Credential, LoginRefused
from restore_contract.targets.waiting import wait_for


@dataclass
class Observation:
    """Everything the checks need about one restore call, beyond the response itself."""

    before: Before
    probe: Probe
    restore_timeout: float
    pace: Callable[[float], None]  # how polling waits between reads (the target's: a replay does not wait)
    backup_data: Callable[[str], Tables | None]  # the data a backup holds, when the suite knows it
    credentials: Callable[[str], list[Credential]]  # issued for a database before the call, and where they logged in
    body: bytes | None
    arranged: RestoreWorld | None = None  # the world the caller arranged, known apart from what the API says
    token: str = "valid"  # valid | missing | invalid: which 401 cause a refusal exercises
    # The request waited before its answer (a retry after a 429, or its turn under the server's rate limit,
    # targets/pace.py): a busy target may have settled meanwhile.
    waited: bool = False
    tally: Tally = field(default_factory=Tally)


Check = Callable[[Observation, httpx.Response], None]
ANY_ANSWER = range(100, 600)
STARTED = frozenset({200})
REFUSED = frozenset(ANY_ANSWER) - STARTED


def known_target(observed: Observation) -> bool:
    return observed.before.target is not None


def arranged(observed: Observation) -> bool:
    return observed.arranged is not None


@dataclass(frozen=True)
class RestoreCheck:
    name: str  # the property's name in the run record (the function's)
    counts_as: str  # the property's name in the summary
    statuses: Container[int]  # the answers it judges
    needs: Callable[[Observation], bool] | None  # what else must hold for it to judge (the target existed, …)
    run: Check
    waits: bool = False  # it waits for the end of the recovery: verified in the background where restores are

    def applies(self, status: int, observed: Observation) -> bool:
        return status in self.statuses and (self.needs is None or self.needs(observed))


RESTORE_CHECKS: list[RestoreCheck] = []


def restore_check(
    counts_as: str,
    statuses: Container[int] = ANY_ANSWER,
    needs: Callable[[Observation], bool] | None = None,
    *,
    waits: bool = False,
) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        RESTORE_CHECKS.append(RestoreCheck(check.__name__, counts_as, statuses, needs, check, waits))
        return check

    return register


# On a live target the suite trusts that the golden source's backups hold the golden fixture: say so.
GOLDEN_HINT = (
    "\n    (a golden source's backups must hold the golden fixture: was this backup taken after seeding it with "
    "`python3 dev.py seed-golden`? docs/nightly.md: Setting up the golden source)"
)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


@restore_check("restore status follows the docs")
def restore_status_follows_docs(observed: Observation, response: httpx.Response) -> None:
    """The status is one the documentation allows in this world (the oracle)."""
    observed.tally.statuses[response.status_code] += 1
    world = observed.before.world
    expectation = expected_statuses(world)
    if observed.waited and world.target.value in BUSY_STATUSES and not expectation.accepts(response.status_code):
        # The world was read before the request waited out a rate limit (a retry, or its turn): the recovery (or
        # provisioning) may have ended meanwhile, so the answer is judged on the settled world too. The window was
        # missed, not broken.
        expectation = expected_statuses(dataclasses.replace(world, target=TargetState.READY))
        observed.tally.checked["a busy window closed while the request waited out the rate limit"] += 1
    if not expectation.accepts(response.status_code):
        raise AssertionError(
            f"restore answered {response.status_code}; the docs allow {sorted(expectation.codes)} here.\n"
            f"Why: {expectation.explain()}\nWorld before the call: {observed.before.world}"
        )
    if response.status_code in expectation.tolerated:
        observed.tally.deviations[expectation.tolerated[response.status_code]] += 1
    for rule in expectation.rules:  # the documented causes this answer exercised, for the coverage table
        if response.status_code in rule.codes or response.status_code in rule.tolerated:
            observed.tally.causes[cause_of(rule.name, observed)] += 1


def cause_of(rule: str, observed: Observation) -> str:
    """The coverage table's name for a rule's cause: 401s by token, 409s by the target's status."""
    if rule == AUTH_RULE.name:
        return f"{rule}: {observed.token} token"
    return f"{rule}: {observed.before.world.target}" if rule == "target-busy" else rule


@restore_check("the answer fits the world the test arranged", ANY_ANSWER, arranged)
def restore_answers_the_arranged_world(observed: Observation, response: httpx.Response) -> None:
    """A property test or the lifecycle model arranged the world: the oracle judges the answer against it too, so
    a server that describes itself consistently wrong is still caught."""
    assert observed.arranged is not None
    expectation = expected_statuses(observed.arranged)
    if not expectation.accepts(response.status_code):
        raise AssertionError(
            f"restore answered {response.status_code}; in the world the test arranged the docs allow "
            f"{sorted(expectation.codes)} ({expectation.explain()}).\nArranged: {observed.arranged}\n"
            f"As the API showed it before the call: {observed.before.world}"
        )


@restore_check("restore body matches the contract", range(100, 500))
def restore_body_matches_contract(observed: Observation, response: httpx.Response) -> None:
    """The body validates (Draft 2020-12, formats enforced) against the contract for its status."""
    validator = validator_for(RESTORE, response.status_code)
    body = _json(response)
    if validator is not None:
        errors = errors_of(validator, body)
        if errors:
            raise AssertionError(f"the {response.status_code} body breaks the contract:\n  " + "\n  ".join(errors))


@restore_check("200 reports recovering, the target and the requested source", STARTED)
def restore_starts_recovering(observed: Observation, response: httpx.Response) -> None:
    """200: the database is `recovering`, it is the target, and `source` echoes the request."""
    data = (_json(response) or {}).get("data") or {}
    problems = []
    if data.get("status") != "recovering":
        problems.append(f"status is {data.get('status')!r}; the docs: 'The database status will be \"recovering\"'")
    target = observed.before.target
    if target is not None and data.get("id") != target.id:
        problems.append(f"id is {data.get('id')!r}, not the target {target.id!r}")
    facts = describe_body(observed.body)
    source = data.get("source") or {}
    if source.get("type") != "backup" or source.get("backupId") != facts.backup_id:
        problems.append(f"source is {source!r}; it must name the requested backup {facts.backup_id!r}")
    if source.get("databaseId") not in (facts.database_id, observed.before.source_id):
        problems.append(f"source.databaseId is {source.get('databaseId')!r}, not the requested {facts.database_id!r}")
    if problems:
        raise AssertionError("restore started wrongly:\n  " + "\n  ".join(problems))


@restore_check("restore keeps connections", STARTED, known_target)
def restore_keeps_connections(observed: Observation, response: httpx.Response) -> None:
    """200: connections and defaultConnectionId are those the target had ('Connections ... are preserved')."""
    data = (_json(response) or {}).get("data") or {}
    answered = tuple((c.get("id"), c.get("name"), c.get("kind")) for c in data.get("connections") or [])
    before = observed.before.target
    assert before is not None
    if answered != before.connections or data.get("defaultConnectionId") != before.default_connection_id:
        raise AssertionError(
            "'Connections and credentials are preserved': the 200 shows other connections.\n"
            f"  before: {before.connections} default {before.default_connection_id}\n"
            f"  after:  {answered} default {data.get('defaultConnectionId')}"
        )


def wait_until_settled(
    probe: Probe, database_id: str, timeout: float, pace: Callable[[float], None] = time.sleep
) -> DatabaseView:
    """Read the database (not its data) until it is no longer recovering; fail after `timeout` seconds."""
    view, settled = wait_for(
        lambda: probe.database(database_id),
        lambda v: v is None or v.status != "recovering",
        timeout,
        pace,
    )
    if view is None:
        raise AssertionError(f"database {database_id} disappeared while recovering")
    if not settled:
        raise AssertionError(f"database {database_id} still recovering after {timeout}s (the restore never ends)")
    return view


@restore_check("restore finishes with the backup's data and the same credentials", STARTED, known_target, waits=True)
def restore_finishes_with_backup_data(observed: Observation, response: httpx.Response) -> None:
    """200: the restore ends (ready), with the backup's data, the same connections and working credentials."""
    before = observed.before.target
    assert before is not None
    after = wait_until_settled(observed.probe, before.id, observed.restore_timeout, observed.pace)
    # The logins first: the data is then read through the session the first one opened (a restore that ended the
    # sessions costs one new connection, not a reconnect and a login). Refused credentials fail the read below too.
    logins = _credential_problems(observed, before.id)
    data = observed.probe.read_data(after.id) if after.status not in BUSY_STATUSES else None
    problems = []
    if after.status != "ready":
        problems.append(f"the restore ended in status {after.status!r}, not 'ready'")
    if not after.same_identity(before):
        problems.append(f"connections changed: {before.connections} → {after.connections}")
    expected = observed.backup_data(observed.before.backup_id or "")
    if expected is not None and data is not None:
        observed.tally.checked["data probe: the target holds exactly the backup's data"] += 1
    if expected is not None and data is not None and canonical(data) != canonical(expected):
        problems.append(
            "the data is not the backup's ('overwrites all data in the target database with the contents of the "
            f"specified backup'; rows written after the backup must be gone):\n    expected {canonical(expected)}\n"
            f"    found    {canonical(data)}" + (GOLDEN_HINT if canonical(expected) == canonical(GOLDEN_DATA) else "")
        )
    problems += logins
    if problems:
        raise AssertionError("after the restore:\n  " + "\n  ".join(problems))
    checked_data = expected is not None and data is not None and observed.credentials(before.id)
    observed.tally.causes["started: verified end to end" if checked_data else "started: no data probe"] += 1


def _credential_problems(observed: Observation, database_id: str) -> list[str]:
    """'Connections and credentials are preserved': each connection string issued before the restore logs in
    afresh now, as the same user into the same database."""
    data = observed.probe.data
    if data is None:
        return []
    problems = []
    for number, credential in enumerate(observed.credentials(database_id), start=1):
        observed.tally.checked["data probe: a credential issued before the restore logs in afresh"] += 1
        try:
            login = data.login(credential.connection_string)
        except LoginRefused as refused:
            problems.append(f"connection string #{number}, issued before the restore, no longer logs in: {refused}")
            continue
        if login != credential.login:
            problems.append(f"connection string #{number} logs in as {login}; before the restore: {credential.login}")
    return problems


@restore_check("a rejected restore changes nothing", REFUSED, known_target)
def rejected_restore_changes_nothing(observed: Observation, response: httpx.Response) -> None:
    """Any answer but 200: the target database is exactly as it was (status, connections, data)."""
    before = observed.before.target
    assert before is not None
    after = observed.probe.database(before.id, with_data=True)
    changes = _changes(before, after)
    if changes:
        raise AssertionError(
            f"a restore answered {response.status_code} yet changed the target:\n  " + "\n  ".join(changes)
        )


def _changes(before: DatabaseView, after: DatabaseView | None) -> list[str]:
    """What differs, leaving out what a transient status may change by itself (status, data)."""
    if after is None:
        return ["the database is gone"]
    changes = []
    if not after.same_identity(before):
        changes.append(f"connections: {before.connections} → {after.connections}")
    settling = before.status in BUSY_STATUSES
    if not settling and after.status != before.status:
        changes.append(f"status: {before.status} → {after.status}")
    known = before.data is not None and after.data is not None
    if not settling and known and canonical(after.data or {}) != canonical(before.data or {}):
        changes.append(f"data: {before.data} → {after.data}")
    return changes


def lacks_admin_scope(observed: Observation) -> bool:
    world = observed.before.world
    return world.token_valid and not world.token_admin


def crosses_workspaces(observed: Observation) -> bool:
    world = observed.before.world
    return world.token_valid and (world.target_foreign or world.source_foreign)


@restore_check("a token without workspace:admin restores nothing", ANY_ANSWER, lacks_admin_scope)
def restore_requires_admin_scope(observed: Observation, response: httpx.Response) -> None:
    """'Scope: workspace:admin, offline_access': a valid token without it is refused (401, or the 403 the other
    database routes declare), whatever else is wrong with the request, and the target is exactly as before."""
    _refused_unchanged(observed, response, "a valid token without the scope workspace:admin")


@restore_check("a token restores nothing of another workspace", ANY_ANSWER, crosses_workspaces)
def restore_stays_in_its_workspace(observed: Observation, response: httpx.Response) -> None:
    """An admin token of another workspace neither restores this workspace's database nor restores from its backups
    (another tenant's data): not found for it (404; 401 or 403 tolerated), and the target is exactly as before."""
    world = observed.before.world
    what = "this workspace's database" if world.target_foreign else "a backup of another workspace's database"
    _refused_unchanged(observed, response, f"an admin token of another workspace, restoring {what}")


def _refused_unchanged(observed: Observation, response: httpx.Response, who: str) -> None:
    """The oracle's answer for the world (authorization first), and no change to the target: the worst bug of a
    destructive call is one that lets the wrong caller run it."""
    expectation = expected_statuses(observed.before.world)
    problems = []
    if not expectation.accepts(response.status_code):
        problems.append(
            f"answered {response.status_code}; the docs allow {sorted(expectation.codes)} "
            f"(tolerated: {sorted(expectation.tolerated)}): {expectation.explain()}"
        )
    before = observed.before.target
    if before is not None:
        problems += _changes(before, observed.probe.database(before.id, with_data=True))
    if problems:
        raise AssertionError(f"{who} was let through:\n  " + "\n  ".join(problems))
