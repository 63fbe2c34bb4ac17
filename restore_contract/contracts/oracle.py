"""Status-code semantics of restore: which answers a correct server may give in a given world.

The oracle is pure: describe the world (token, target, body, source, backup) and it returns the
*set* of acceptable status codes. It encodes what the documentation says, and stays tolerant where
the documentation is silent:

* several problems at once: any code of any applicable problem is accepted (precedence among
  simultaneous errors is not documented);
* a regex-invalid target id may be answered 404 or 422 (no status is declared for it);
* invalid input answered 400 instead of 422 is *tolerated but reported* as a documentation
  deviation (restore declares no 400).

Quotes are from the restore documentation page and the upstream OpenAPI document.
"""

from __future__ import annotations

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
    target_id_empty: bool = False  # no path segment at all: the URL names another route
    target_id_matches_regex: bool = True
    target: TargetState = TargetState.READY
    body_well_formed: bool = True  # JSON object, `source` object, string fields, databaseId matches the regex
    source_type_is_backup: bool | None = True
    source_database_exists: bool | None = True
    backup_exists: bool | None = True  # exists *and* belongs to the named source database
    backup_status: str | None = "completed"


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
    if AUTH_RULE.applies(world):
        return Expectation(AUTH_RULE.codes, {}, (AUTH_RULE,))
    applicable = tuple(rule for rule in RULES if rule.applies(world))
    codes = frozenset().union(*(rule.codes for rule in applicable))
    tolerated: dict[int, str] = {}
    for rule in applicable:
        tolerated.update(rule.tolerated)
    if not codes:
        codes = frozenset({200})
    return Expectation(codes, {c: why for c, why in tolerated.items() if c not in codes}, applicable)
