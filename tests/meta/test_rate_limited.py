"""README: "when a request is still answered transiently after [the retries] the run ends with one line
(`rate-limited for N s on POST …`, exit code 75), not a contract failure": driven by a server in a 429 storm."""

from __future__ import annotations

from pathlib import Path

from tests.meta.conftest import run_suite_with


def test_a_run_still_rate_limited_after_its_retries_ends_with_exit_75_and_one_line(tmp_path: Path) -> None:
    done = run_suite_with(
        {"PRISMA_CONTRACT_EMULATOR_DATA": "memory"},
        "-p",
        "tests.meta.storm",
        "--emulator-rate-limit",
        "1",
        record=tmp_path / "summary.json",
    )
    output = done.stdout + done.stderr
    assert done.returncode == 75, output[-3000:]
    lines = [line for line in output.splitlines() if "restore-contract: rate-limited for" in line]
    assert len(lines) == 1, output[-3000:]
    assert "retries): the API is not available to this run; try again later" in lines[0]
    assert "Traceback" not in output
