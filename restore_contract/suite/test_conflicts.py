"""The 409 windows, reached without a control plane: a target right after its restore answered 200 (it is
recovering), and a scratch database the run has just created (it is provisioning).

Whether a request still meets the window depends on the server's speed (recovery may take 0.1 s or ten
minutes), so each answer is judged on the world the API showed just before it: 409 when the target was
seen busy, and a 200 is fine when it had already settled. The coverage table says whether a window was
reached; a server that accepts a restore into a busy database is caught whenever it is.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from restore_contract.run.driver import Driver, restore_case
from restore_contract.suite.arrange import indices, settled, valid_body
from restore_contract.targets.pool import Pool


@pytest.mark.budget_weight(20)  # a 200 verified end to end and a 409 per example: as large a share as any
@given(index=indices, target_index=indices)
def test_a_restore_while_the_last_one_recovers_is_refused(
    driver: Driver, pool: Pool, index: int, target_index: int
) -> None:
    """'409: Target database is currently ... recovering': restore again right after a 200. The first restore's
    own checks still run to the end (recovering → ready, data, credentials). Both name the same backup, so
    whichever ran last, the data must be that backup's."""
    target = settled(driver, pool, target_index)
    body = valid_body(pool, index)
    driver.send(restore_case(target, body), while_recovering=lambda: driver.send(restore_case(target, body)))


@settings(max_examples=1)  # each example creates a database: one is the window, the rest would be cost
@given(index=indices)
def test_a_restore_into_a_database_still_provisioning_is_refused(driver: Driver, pool: Pool, index: int) -> None:
    """'409: Target database is currently provisioning': restore into a scratch database right after creating it."""
    if not pool.project_id:
        pytest.skip("creating a scratch database needs PRISMA_CONTRACT_PROJECT_ID")
    body = valid_body(pool, index)
    driver.send(restore_case(pool.create_database("provisioning"), body))
