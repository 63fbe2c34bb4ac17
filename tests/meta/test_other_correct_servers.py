"""The suite leans on nothing the docs do not promise: it passes against differently built correct servers.

Other id formats (cuid2, no alias for the unprefixed id), backups listed oldest first, and recovery that
takes several reads or some time instead of ending at the first read. A pass counts only when it is genuine
(tests/meta/records.py): nothing skipped, restores answered 200, the lifecycle reached successful restores,
and the emulator really ran with the variant's options.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.meta.conftest import run_recorded
from tests.meta.records import pass_problems

META = {"PRISMA_CONTRACT_PROFILE": "meta"}


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        # ids and the number of reads are HTTP matters: the in-memory data plane, twice as fast, is enough
        pytest.param(
            ["--emulator-clock=reads:3", "--emulator-id-style=cuid2", "--emulator-no-alias", "--emulator-data=memory"],
            {"clock": "reads:3", "id_style": "cuid2", "alias_unprefixed": "false", "data_plane": "memory"},
            id="slow-by-reads-cuid2-no-alias",
            marks=pytest.mark.waits(37),
        ),
        # recovery that takes time, on PostgreSQL: the data probe must wait for `ready` before it reads
        pytest.param(
            ["--emulator-clock=seconds:0.2", "--emulator-backups-oldest-first"],
            {"clock": "seconds:0.2", "backups_newest_first": "false", "data_plane": "postgres"},
            id="slow-by-time-oldest-first",
            marks=pytest.mark.waits(55),
        ),
    ],
)
def test_the_suite_passes_against_another_correct_server(
    variant: list[str], expected: dict[str, str], tmp_path: Path
) -> None:
    run = run_recorded(META, tmp_path, "--target=emulator", "--hypothesis-seed=0", *variant)
    problems = pass_problems(run, expected_target=expected)
    assert not problems, f"{problems}\n{run.output}"


def test_a_run_that_skipped_its_restores_is_not_a_pass(tmp_path: Path) -> None:
    """Exit 0 alone is not enough: a run that reached no successful restore, or ran with other options than the
    variant asked for, passed nothing worth claiming."""
    only_auth = run_recorded(META, tmp_path, "--target=emulator", "--hypothesis-seed=0", "-k", "no_valid_token")
    assert only_auth.exit_code == 0, only_auth.output
    assert "no restore answered 200: nothing checked what a successful restore must do" in pass_problems(only_auth)
    assert "the target ran with id_style='cuid', not 'cuid2'" in pass_problems(
        only_auth, expected_target={"id_style": "cuid2"}
    )
