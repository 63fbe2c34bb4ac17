"""Every built-in schemathesis check, decided: where it runs, or why it does not.

"restore" is the subject (negative and boundary inputs); "scaffolding" are the helper operations, run
with valid input only. The suite's own checks (restore_contract/checks/restore.py) cover what is disabled here, with
knowledge of the world that schemathesis's checks do not have.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemathesis import CheckFunction
from schemathesis.checks import CHECKS, load_all_checks

RESTORE = "restore"
SCAFFOLDING = "scaffolding"


@dataclass(frozen=True)
class Decision:
    runs_on: frozenset[str]
    why: str


BOTH = frozenset({RESTORE, SCAFFOLDING})
NEITHER: frozenset[str] = frozenset()

DECISIONS: dict[str, Decision] = {
    "not_a_server_error": Decision(BOTH, "no input, valid or not, may produce a 5xx"),
    "status_code_conformance": Decision(
        frozenset({SCAFFOLDING}),
        "on restore the oracle is stricter: it knows which documented status the world calls for, and "
        "reports (rather than fails) the undocumented 400 for invalid input",
    ),
    "content_type_conformance": Decision(BOTH, "every documented body is application/json"),
    "response_schema_conformance": Decision(
        BOTH, "bodies match the contract (restore_contract/checks/restore.py re-checks formats)"
    ),
    "response_headers_conformance": Decision(NEITHER, "the contract documents no response headers"),
    "negative_data_rejection": Decision(
        NEITHER,
        "the suite swaps generated ids/bodies for its own; the oracle judges the input actually sent, "
        "where this check would judge the generated one",
    ),
    "positive_data_acceptance": Decision(
        NEITHER,
        "on restore a schema-valid body is still rightly refused (404/409/422) in many worlds, and the oracle "
        "demands 200 exactly when nothing is wrong; on scaffolding, loosely documented inputs (a `limit` of "
        "0.5 is schema-valid) may reasonably get a documented 400, and the pool and the state machine "
        "exercise their success paths with real inputs",
    ),
    "missing_required_header": Decision(NEITHER, "the contract declares no required header parameter"),
    "unsupported_method": Decision(
        NEITHER,
        "the docs say nothing about undocumented methods (405 and 404 are both common), and on a live "
        "target it would send undocumented verbs to a destructive path",
    ),
    "allow_header_conformance": Decision(NEITHER, "the docs say nothing about OPTIONS or the Allow header"),
    "use_after_free": Decision(
        NEITHER, "stateful-only; the lifecycle state machine checks use-after-delete → 404 explicitly"
    ),
    "ensure_resource_availability": Decision(
        NEITHER, "stateful-only; the lifecycle state machine reads back every database it creates"
    ),
    "ignored_auth": Decision(
        NEITHER,
        "it re-sends through schemathesis's own HTTP stack, around the suite's transport and safety guard; "
        "the 401 property sends unauthenticated requests through the suite's own client instead",
    ),
    "object_level_authorization": Decision(NEITHER, "needs a second identity; the suite runs with one token"),
    "max_response_time": Decision(NEITHER, "speed is measured by bench/, not asserted in tests"),
}


def checks_for(kind: str) -> list[CheckFunction]:
    load_all_checks()
    names = [name for name, decision in DECISIONS.items() if kind in decision.runs_on]
    # Built-in checks are plain functions (class-based checks are a plugin feature we do not use).
    return [check for check in CHECKS.get_by_names(names) if callable(check) and not isinstance(check, type)]
