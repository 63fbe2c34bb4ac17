"""The suite leans on nothing the docs do not promise: it passes against differently built correct servers.

Other id formats (cuid2, no alias for the unprefixed id), backups listed oldest first, and recovery that
takes several reads or some time instead of ending at the first read.
"""

from __future__ import annotations

import pytest

from tests.meta.conftest import run_suite_with


@pytest.mark.parametrize(
    "variant",
    [
        # ids and the number of reads are HTTP matters: the in-memory data plane, twice as fast, is enough
        ["--emulator-clock=reads:3", "--emulator-id-style=cuid2", "--emulator-no-alias", "--emulator-data=memory"],
        # recovery that takes time, on PostgreSQL: the data probe must wait for `ready` before it reads
        ["--emulator-clock=seconds:0.2", "--emulator-backups-oldest-first"],
    ],
    ids=["slow-by-reads-cuid2-no-alias", "slow-by-time-oldest-first"],
)
def test_the_suite_passes_against_another_correct_server(variant: list[str]) -> None:
    done = run_suite_with({"PRISMA_CONTRACT_PROFILE": "meta"}, "--target=emulator", "--hypothesis-seed=0", *variant)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-1000:]
