"""Schemathesis drives the contract: generated cases, with the suite's strategies and real resources mixed in.

Restore is the subject (positive and negative generation, boundary values); the scaffolding operations
run with valid input. Every case goes through the driver, so the built-in checks decided in
restore_contract/checks/builtin.py and the restore properties of restore_contract/checks/restore.py judge every answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st

from restore_contract.checks.schema import SCHEMA
from restore_contract.contracts import RESTORE, encode_segment, operations
from restore_contract.run.driver import Driver
from restore_contract.strategies.combinators import weighted
from restore_contract.strategies.ids import invalid_database_ids, valid_database_ids
from restore_contract.strategies.payloads import invalid_restore_bodies, restore_bodies, restore_bodies_for
from restore_contract.targets import Target
from restore_contract.targets.guard import READS
from restore_contract.targets.pool import Pool

# `include(operation_id=...)` is ignored once schemathesis.toml has an [[operations]] section (schemathesis
# 4.32.5), while `exclude` works: select restore by excluding everything else.
ONLY_RESTORE = SCHEMA.exclude(operation_id=[name for name in operations() if name != RESTORE])
# Restore gets a larger share of the budget than any scaffolding operation (it is what the suite is for).
RESTORE_EXAMPLES = settings().max_examples * 4


@dataclass(frozen=True)
class Mix:
    """What replaces schemathesis's generated id and body; built once per pool (strategy objects are
    validated on first use, so rebuilding them for every example would dominate the run time)."""

    target_ids: st.SearchStrategy[str | None]
    bodies: st.SearchStrategy[Any]


@pytest.fixture(scope="session")
def mix(pool: Pool, target: Target) -> Mix:
    if not pool.restore_targets or not pool.backups:
        pytest.skip("this target offers no databases to restore into or no backups (see docs/nightly.md)")
    # Known backups, mostly named with their own database (→ 200), sometimes with another one (→ 404).
    own = [(backup.database_id, backup.id) for backup in pool.backups]
    foreign = [
        (other, backup.id) for backup in pool.backups for other in pool.database_ids if other != backup.database_id
    ]
    pairs = weighted((3, st.sampled_from(own)), (1, st.sampled_from(foreign))) if foreign else st.sampled_from(own)
    pool_bodies = restore_bodies_for(pairs)
    keep: st.SearchStrategy[None] = st.none()  # None: keep what schemathesis generated
    owned = weighted(
        (4, st.sampled_from(pool.ready or pool.restore_targets)), (3, st.sampled_from(pool.restore_targets))
    )
    # Where the safety guard is on, every restore names a database the run owns; elsewhere ids come from anywhere.
    anywhere = weighted((7, owned), (1, keep), (1, valid_database_ids()), (1, invalid_database_ids()))
    return Mix(
        target_ids=owned if target.guarded else anywhere,
        bodies=weighted(
            (6, pool_bodies),
            (2, keep),
            (1, restore_bodies()),
            (2, invalid_restore_bodies(json_only=True)),
        ),
    )


@pytest.mark.budget_weight(4)  # restore is the subject (see RESTORE_EXAMPLES)
@ONLY_RESTORE.parametrize()
@SCHEMA.given(data=st.data())
@settings(max_examples=RESTORE_EXAMPLES)
def test_restore(case: Any, data: st.DataObject, driver: Driver, mix: Mix) -> None:
    target_id = data.draw(mix.target_ids, label="target id")
    if target_id is not None:
        case.path_parameters = {"targetDatabaseId": encode_segment(target_id)}
    body = data.draw(mix.bodies, label="body")
    if body is not None:
        case.body = body
        case.media_type = "application/json"
    driver.send(case)


@SCHEMA.exclude(operation_id=RESTORE).exclude(method="DELETE").parametrize()
@SCHEMA.given(data=st.data())
def test_scaffolding(case: Any, data: st.DataObject, driver: Driver, pool: Pool, target: Target) -> None:
    """Needs no backup and no restore target: only the databases the pool knows, when it knows any. Where the
    safety guard is on, a write (issuing a connection, creating a database) goes only to what the run owns: one of
    its restore targets, or an id carrying a token it minted, which names nobody's database or project; reads may
    name the golden source too."""
    writes = target.guarded and case.method.upper() not in READS
    known: list[str] = pool.restore_targets if writes else pool.database_ids
    if "databaseId" in case.path_parameters:
        if known and bool(data.draw(st.booleans(), label="use a real database")):
            index = data.draw(st.integers(min_value=0, max_value=len(known) - 1), label="database")
            case.path_parameters = {"databaseId": encode_segment(known[index])}
        elif writes:
            case.path_parameters = {"databaseId": f"db_{pool.mint()}"}
    if "projectId" in case.path_parameters:
        if writes:  # a live run's scratch databases are tracked: generated ones go nowhere
            case.path_parameters = {"projectId": f"proj_{pool.mint()}"}
        elif target.control is not None and pool.project_id and data.draw(st.booleans()):
            case.path_parameters = {"projectId": encode_segment(pool.project_id)}
    driver.send(case)
