"""The suite as a user runs it from any folder: a replay started elsewhere finds the project's own schemathesis
configuration, and the command a failure prints, pasted into a shell, runs exactly that test the same way."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from restore_contract.harness.server import REPO


def _run(command: list[str] | str, folder: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """In `folder`, with only `env` of the suite's settings (a string is a shell command line, as pasted)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PRISMA_", "PYTEST_"))}
    clean.pop("PYTHONDONTWRITEBYTECODE", None)
    return subprocess.run(
        command,
        cwd=folder,
        env={**clean, **env},
        shell=isinstance(command, str),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.parametrize(
    ("profile_option", "env"),
    [([], {"PRISMA_CONTRACT_PROFILE": "replay"}), (["--hypothesis-profile", "replay"], {})],
    ids=["profile-by-variable", "profile-by-option"],
)
def test_the_committed_cassette_replays_from_another_folder(
    tmp_path: Path, profile_option: list[str], env: dict[str, str]
) -> None:
    """The option and the variable choose the profile alike: the cassette's check, the summary, the literals."""
    pytest_ = [sys.executable, "-m", "pytest", str(REPO / "restore_contract" / "suite"), "-q", "-p", "no:cacheprovider"]
    done = _run([*pytest_, "--target", "replay", *profile_option], tmp_path, **env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-1000:]
    assert "restore answers: 200 x" in done.stdout
    assert "hypothesis profile: replay" in done.stdout


def test_a_failure_prints_a_command_that_reruns_exactly_that_test_the_same_way(tmp_path: Path) -> None:
    """The fault comes from the environment, the data plane from an option, the run from another folder; the
    printed command, pasted in yet another folder, runs that one test (of the file's seven) and it fails alike."""
    started, pasted = tmp_path / "started", tmp_path / "pasted"
    started.mkdir()
    pasted.mkdir()
    tests = str(REPO / "restore_contract" / "suite" / "test_schemathesis.py")
    first = _run(
        [sys.executable, "-m", "pytest", tests, "-q", "-p", "no:cacheprovider", "--emulator-data", "memory"],
        started,
        PRISMA_CONTRACT_FAULTS="source-not-echoed",
    )
    output = first.stdout
    assert first.returncode == 1, output[-3000:]
    assert "1 failed, 6 passed" in output, output[-3000:]
    printed = re.search(r"This test again, the same way \(paste it\):\n  (.+)\n", output)
    assert printed, output[-3000:]
    command = printed.group(1)
    assert "dev.py contract 'restore_contract/suite/test_schemathesis.py::test_restore::test_restore[POST " in command
    assert "PRISMA_CONTRACT_FAULTS=source-not-echoed" in command
    assert "--emulator-data memory" in command
    again = _run(command, pasted)
    assert again.returncode == 1, again.stdout[-3000:] + again.stderr[-1000:]
    assert re.search(r"^1 failed(, \d+ warnings?)? in ", again.stdout, re.MULTILINE), again.stdout[
        -3000:
    ]  # only it ran
    assert "restore_starts_recovering" in again.stdout
