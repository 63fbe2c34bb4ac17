"""`--target live` against a server that implements the API: the emulator as a separate process, over real HTTP.

The server is started with `--no-control-plane --seed-golden`: the suite gets nothing but the public API,
a project and a golden source, as it would from staging. It must pass, every scratch database it created
must be gone afterwards, and bad configuration must end the run with one clear message.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from harness.server import seeded_settings
from tests.meta.conftest import Staging, database_names, live_env, run_live, run_recorded

if TYPE_CHECKING:
    from tests.conftest import StartServer


def test_the_suite_passes_live_against_the_emulator_server_and_cleans_up(staging: Staging) -> None:
    done = run_live(live_env(staging))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "SAFETY GUARD refused" not in done.stdout
    assert "NOT deleted" not in done.stdout
    assert "restore answers: 200 x" in done.stdout  # restores really succeeded
    # ... and the data probe logged in with issued connection strings to check data and credentials
    assert "data probe: the target holds exactly the backup's data:" in done.stdout
    assert "data probe: a credential issued before the restore logs in afresh:" in done.stdout
    assert database_names(staging.server, staging.settings) == ["contract-golden-source"], "scratch left behind"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"PRISMA_API_TOKEN": "wrong-token"}, "refused PRISMA_API_TOKEN (401)"),
        ({"PRISMA_API_URL": "http://127.0.0.1:9"}, "cannot reach PRISMA_API_URL=http://127.0.0.1:9"),
        ({"PRISMA_API_TOKEN": ""}, "--target live needs PRISMA_API_TOKEN"),
        ({"PRISMA_API_URL": "api.prisma.io"}, "PRISMA_API_URL must start with http:// or https://"),
        ({"PRISMA_CONTRACT_RESTORE_TIMEOUT": "soon"}, "PRISMA_CONTRACT_RESTORE_TIMEOUT must be a number"),
        ({"PRISMA_CONTRACT_BACKUP_ID": "bkp_nope"}, "PRISMA_CONTRACT_BACKUP_ID=bkp_nope is not a completed backup"),
        ({"PRISMA_CONTRACT_DATA_PROBE": "maybe"}, "PRISMA_CONTRACT_DATA_PROBE must be on or off"),
    ],
)
def test_bad_configuration_is_one_clear_message(staging: Staging, overrides: dict[str, str], message: str) -> None:
    done = run_live(live_env(staging, **overrides), "-x")
    output = done.stdout + done.stderr
    assert done.returncode == 2, output[-3000:]
    assert message in output, output[-3000:]
    assert "Traceback" not in output
    assert output.count("restore-contract:") == 1


def test_live_data_probe_catches_a_server_whose_restore_drops_the_roles(launch_server: StartServer) -> None:
    """Over HTTP, with nothing but the public API: credentials issued before a restore must still log in."""
    server = launch_server("--no-control-plane", "--seed-golden", "--fault", "restore-drops-roles")
    done = run_live(live_env(Staging(server, seeded_settings(server))), "-x")
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-3000:]
    assert "no longer logs in" in output, output[-3000:]
    assert "password authentication failed" in output  # the server's own words, through a real login


def test_with_only_a_golden_source_the_scaffolding_checks_run(staging: Staging, tmp_path: Path) -> None:
    """No project for scratch databases, so nothing to restore into: the restore tests skip, saying why, but
    the scaffolding operations need only the databases the run knows (the golden source) and must run."""
    run = run_recorded(live_env(staging, PRISMA_CONTRACT_PROJECT_ID=""), tmp_path, "--target=live")
    assert run.exit_code == 0, run.output
    scaffolding = {test: end for test, end in run.tests.items() if "test_scaffolding" in test}
    assert len(scaffolding) == 6, scaffolding  # the six GET and POST operations around restore
    assert {end["outcome"] for end in scaffolding.values()} == {"passed"}, scaffolding
    assert any("PRISMA_CONTRACT_PROJECT_ID" in reason for reason in run.skipped().values()), run.skipped()
