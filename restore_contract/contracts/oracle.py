"""Status-code semantics of restore: which answers a correct server may give in a given world.

The oracle is pure: describe the world (token, target, body, source, backup) and it returns the
*set* of acceptable status codes. It encodes what the documentation says, and stays tolerant where
the documentation is silent:

* several problems at once: any code of any applicable problem is accepted (precedence among
  simultaneous errors is not documented);
* a regex-invalid target id may be answered 404 or 422 (no status is declared for it);
* invalid input answered 400 instead of 422 is *tolerated but reported* as a documentation
  deviation (restore declares no 400);
* authorization beyond a valid token: the page names the scope `workspace:admin, offline_access`, yet declares
  only 401. A valid token without `workspace:admin` must not restore: 401, or the 403 every other database route
  declares (tolerated and reported), whatever else is wrong with the request. A token of another workspace must
  see nothing of this one: its database is not found for it (404; a 401 or 403 tolerated and reported), as is a
  source database of this workspace named in its own restore.

Quotes are from the restore documentation page and the upstream OpenAPI document.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class TargetState(StrEnum):
    MISSING = "missing"
    READY = "ready"
    PROVISIONING = "provisioning"
    RECOVERING = "recovering"
    FAILURE = "failure"


# '409: Target database is currently provisioning or recovering and cannot be restored.' Also the statuses in
# which the docs promise nothing about a database's data (it is being created or replaced).
BUSY_STATUSES = frozenset({TargetState.PROVISIONING.value, TargetState.RECOVERING.value})


@dataclass(frozen=True)
class RestoreWorld:
    """Everything that decides the answer to one restore request.

    Fields about the source are ``None`` when the body is too malformed for them to mean anything.
    """

    token_valid: bool = True
    token_admin: bool = True  # the (valid) token has the scope `workspace:admin` the restore page names
    target_id_empty: bool = False  # no path segment at all: the URL names another route
    target_id_matches_regex: bool = True
    target: TargetState = TargetState.READY
    body_well_formed: bool = True  # JSON object, `source` object, string fields, databaseId matches the regex
    source_type_is_backup: bool | None = True
    source_database_exists: bool | None = True
    backup_exists: bool | None = True  # exists *and* belongs to the named source database
    backup_status: str | None = "completed"
    # The target, or the source database, exists but belongs to another workspace than the token's: for that token
    # it must be as if it did not exist (the fields above describe it as it is).
    target_foreign: bool = False
    source_foreign: bool = False


@dataclass(frozen=True)
class Rule:
    name: str
    doc: str  # the sentence of the documentation the rule comes from
    applies: Callable[[RestoreWorld], bool]
    codes: frozenset[int]
    tolerated: Mapping[int, str] = field(default_factory=dict)  # accepted, but reported as a deviation


_INVALID_INPUT_400 = (
    "400 for invalid input: restore declares no 400 (malformed input is documented nowhere; 422 is the "
    "documented 'invalid' answer)"
)

RULES: tuple[Rule, ...] = (
    Rule(
        "target-id-empty",
        "(not documented) an empty id leaves no path segment, so the request names another route "
        "(/v1/databases/restore or a double slash): the server answers for that route, 404 or 405",
        lambda w: w.target_id_empty,
        frozenset({404, 405}),
        {400: _INVALID_INPUT_400},
    ),
    Rule(
        "target-id-invalid",
        "Path parameter targetDatabaseId: Match ^(db_)?([cC][^\\s-]{8,}|[a-z0-9]+)$ (no status is declared "
        "for a mismatch: such an id names no database (404) and is invalid input (422))",
        lambda w: not w.target_id_matches_regex,
        frozenset({404, 422}),
        {400: _INVALID_INPUT_400},
    ),
    Rule(
        "target-missing",
        "404: Target database, source database, or backup not found.",
        lambda w: w.target_id_matches_regex and w.target is TargetState.MISSING,
        frozenset({404}),
    ),
    Rule(
        "target-busy",
        "409: Target database is currently provisioning or recovering and cannot be restored.",
        lambda w: w.target in BUSY_STATUSES,
        frozenset({409}),
    ),
    Rule(
        "body-malformed",
        "Request body: source (object, required) with type, databaseId (matching the id pattern) and "
        "backupId required; 422: Invalid source type or backup not usable.",
        lambda w: not w.body_well_formed,
        frozenset({422}),
        {400: _INVALID_INPUT_400},
    ),
    Rule(
        "source-type-not-backup",
        "422: Invalid source type or backup not usable. (source.type is const 'backup')",
        lambda w: w.body_well_formed and w.source_type_is_backup is False,
        frozenset({422}),
    ),
    Rule(
        "source-database-missing",
        "404: Target database, source database, or backup not found.",
        lambda w: w.source_database_exists is False,
        frozenset({404}),
    ),
    Rule(
        "backup-missing",
        "404: Target database, source database, or backup not found. (databaseId is 'ID of the database the "
        "backup belongs to': a backup of another database is not found there)",
        lambda w: w.backup_exists is False,
        frozenset({404}),
    ),
    Rule(
        "backup-not-usable",
        "422: Invalid source type or backup not usable. (a backup whose status is not 'completed')",
        lambda w: w.backup_status is not None and w.backup_status != "completed",
        frozenset({422}),
    ),
    Rule(
        "target-failed",
        "409 is documented only for 'provisioning or recovering'; restoring a database in 'failure' is not "
        "forbidden, so it is expected to start (a 409 is tolerated: the docs do not say it works either)",
        lambda w: w.target is TargetState.FAILURE,
        frozenset(),
        {409: "409 for a target in 'failure': the docs list only provisioning and recovering"},
    ),
)

AUTH_RULE = Rule(
    "unauthorized",
    "401: Missing or invalid authorization token. (checked before anything else: an unauthenticated "
    "caller learns nothing about ids, bodies or states)",
    lambda w: not w.token_valid,
    frozenset({401}),
)


# A token's workspace must neither see nor touch another workspace's databases: tolerated, but a 401 or 403 tells the
# caller that the database exists, which a 404 would not.
_WORKSPACE_REFUSAL = (
    "{code} for a database of another workspace: 404 is the answer that reveals nothing (restore declares 404 for a "
    "target or source database not found, and 401 only for a missing or invalid token)"
)


def _not_found_in_another_workspace(name: str, documented: str, foreign: Callable[[RestoreWorld], bool]) -> Rule:
    """A database of another workspace is not found for this token: 404, a 401 or 403 tolerated and reported."""
    tolerated = {code: _WORKSPACE_REFUSAL.format(code=code) for code in (401, 403)}
    return Rule(name, documented, lambda w: w.token_valid and foreign(w), frozenset({404}), tolerated)


WORKSPACE_RULES = (
    _not_found_in_another_workspace(
        "target-in-another-workspace",
        "404: Target database ... not found. (the token's workspace does not hold the target: it must not see it, "
        "so it is not found there)",
        lambda w: w.target_foreign,
    ),
    _not_found_in_another_workspace(
        "source-in-another-workspace",
        "404: ... source database ... not found. (a backup of another workspace's database is not found from this "
        "one: restoring from it would copy another tenant's data)",
        lambda w: w.source_foreign,
    ),
)

SCOPE_RULE = Rule(
    "scope-missing",
    "Scope: workspace:admin, offline_access (the restore page). Restore declares only 401 ('Missing or invalid "
    "authorization token'); the other database routes declare 403, so either refuses a token without the scope, "
    "before anything else: a read-only token learns nothing and changes nothing",
    lambda w: w.token_valid and not w.token_admin,
    frozenset({401}),
    {403: "403 for a token without workspace:admin: restore declares only 401 (the other database routes declare 403)"},
)


@dataclass(frozen=True)
class Expectation:
    """The answer of the oracle: accepted codes, tolerated (reported) codes, and why."""

    codes: frozenset[int]
    tolerated: Mapping[int, str]
    rules: tuple[Rule, ...]

    def accepts(self, status: int) -> bool:
        return status in self.codes or status in self.tolerated

    def explain(self) -> str:
        if not self.rules:
            return "nothing is wrong with the request, so restore must start (200)"
        return "; ".join(f"{rule.name} → {sorted(rule.codes) or 'no error'} ({rule.doc})" for rule in self.rules)


def expected_statuses(world: RestoreWorld) -> Expectation:
    """The set of status codes a correct server may answer in `world`."""
    for first in (AUTH_RULE, SCOPE_RULE):  # checked before anything else
        if first.applies(world):
            return Expectation(first.codes, first.tolerated, (first,))
    workspace = tuple(rule for rule in WORKSPACE_RULES if rule.applies(world))
    applicable = workspace + tuple(rule for rule in RULES if rule.applies(as_the_token_sees_it(world)))
    codes = frozenset().union(*(rule.codes for rule in applicable))
    tolerated: dict[int, str] = {}
    for rule in applicable:
        tolerated.update(rule.tolerated)
    if not codes:
        codes = frozenset({200})
    return Expectation(codes, {c: why for c, why in tolerated.items() if c not in codes}, applicable)


def as_the_token_sees_it(world: RestoreWorld) -> RestoreWorld:
    """The world with what belongs to another workspace than the token's left out: not found."""
    if world.target_foreign:
        world = dataclasses.replace(world, target=TargetState.MISSING)
    if world.source_foreign:
        world = dataclasses.replace(world, source_database_exists=False, backup_exists=None, backup_status=None)
    return world
