"""A failed contract test says how to run it again by pasting one command: that test only, the same target,
the same options and settings, from any folder; and `dev.py contract` runs what it is given."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from restore_contract.commands import develop
from restore_contract.run.repro import DEV, ROOT, Invocation, reproduce, rerun_command, rerun_id

NODE = "restore_contract/suite/test_properties.py::test_missing_backup_is_404"


def _tokens(command: str) -> list[str]:
    return shlex.split(command)


def test_the_rerun_runs_that_test_through_dev_py_with_the_runs_target_options_and_settings() -> None:
    invocation = Invocation.of(
        ["restore_contract/suite", "-q", "--target", "live", "--emulator-clock=reads:2", "--hypothesis-seed", "7"],
        ["restore_contract/suite"],
        ROOT,
        {"PRISMA_CONTRACT_FAULTS": "auth-ignored", "PRISMA_API_URL": "https://api.example", "HOME": "/root"},
    )
    assert _tokens(rerun_command(NODE, invocation, "ci")) == [
        "PRISMA_API_URL=https://api.example",
        "PRISMA_CONTRACT_FAULTS=auth-ignored",
        "PRISMA_CONTRACT_PROFILE=ci",  # the profile in effect, explicit whatever the shell exports
        "python3",
        str(DEV),
        "contract",
        NODE,  # instead of the tests the run was given
        "-q",
        "--target",
        "live",
        "--emulator-clock=reads:2",
        "--hypothesis-seed",
        "7",
    ]


def test_the_rerun_drops_test_selection_and_the_runs_outputs() -> None:
    args = ["-k", "restore", "-mslow", "--deselect=x", "--lf", "--summary-json", "r.json", "--junitxml=j.xml"]
    invocation = Invocation.of(
        [*args, "--record", "nightly", "restore_contract/suite", "--target=replay"],
        ["restore_contract/suite"],
        ROOT,
        {"PRISMA_CONTRACT_SUMMARY_JSON": "s.json", "PRISMA_CONTRACT_RECORD": "nightly"},
    )
    tokens = _tokens(rerun_command(NODE, invocation, "replay"))
    assert tokens[tokens.index("contract") + 1 :] == [NODE, "--target=replay"]
    assert not any("SUMMARY" in token or "RECORD" in token for token in tokens)


def test_secrets_are_named_not_printed() -> None:
    env = {"PRISMA_API_TOKEN": "s3cret", "PRISMA_EMULATOR_POSTGRES_DSN": "postgres://u:pw@h/db"}
    options = ["--emulator-postgres-dsn", "postgres://u:pw2@h/db"]
    command = rerun_command(NODE, Invocation.of(options, [], ROOT, env), "ci")
    assert 'PRISMA_API_TOKEN="$PRISMA_API_TOKEN"' in command  # the pasting shell's own token
    assert 'PRISMA_EMULATOR_POSTGRES_DSN="$PRISMA_EMULATOR_POSTGRES_DSN"' in command
    assert "s3cret" not in command
    assert ":pw2@" not in command  # typed as an option: its password is blanked out


def test_relative_paths_are_made_absolute_when_the_run_started_elsewhere(tmp_path: Path) -> None:
    (tmp_path / "cassettes" / "fresh").mkdir(parents=True)
    invocation = Invocation.of(
        ["--cassette=cassettes/fresh", "--target", "replay"],
        [],
        tmp_path,
        {"PRISMA_UPSTREAM_OPENAPI": "cassettes/fresh"},
    )
    tokens = _tokens(rerun_command(NODE, invocation, "replay"))
    assert f"--cassette={tmp_path}/cassettes/fresh" in tokens
    assert f"PRISMA_UPSTREAM_OPENAPI={tmp_path}/cassettes/fresh" in tokens
    assert "replay" in tokens  # a value that is no path stays as it is


@pytest.mark.parametrize(
    ("nodeid", "name", "selected"),
    [
        (NODE, "test_missing_backup_is_404", NODE),
        ("t.py::test_x[running]", "test_x[running]", "t.py::test_x[running]"),
        # schemathesis: one node id for every operation, pytest selects one of them by NODEID::NAME
        (
            "t.py::test_scaffolding",
            "test_scaffolding[GET /v1/x]",
            "t.py::test_scaffolding::test_scaffolding[GET /v1/x]",
        ),
    ],
)
def test_the_rerun_selects_exactly_the_failed_test(nodeid: str, name: str, selected: str) -> None:
    assert rerun_id(nodeid, name) == selected


def test_the_section_says_how_to_start_a_server_that_answers_the_emulators_curl() -> None:
    section = reproduce(NODE, Invocation.of([], [], ROOT, {}), "ci", ["--fault", "auth-ignored"])
    assert "dev.py contract" in section
    assert "-m restore_contract.emulator --port 8787 --fault auth-ignored" in section
    assert "http://emulator.local" in section
    assert "-m restore_contract.emulator" not in reproduce(
        NODE, Invocation.of([], [], ROOT, {}), "ci", None
    )  # other targets


def _dev(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """`python3 dev.py contract` once set up (commands/develop.py), with pytest recorded instead of run."""
    ran: list[list[str]] = []

    def pytest(args: list[str], root: Path) -> int:
        ran.append(args)
        return 0

    monkeypatch.setattr(develop, "pytest", pytest)
    return ran


@pytest.mark.parametrize(
    ("args", "runs"),
    [
        ([NODE, "--target", "live"], [NODE, "--target", "live"]),
        (["restore_contract/suite/test_properties.py"], ["restore_contract/suite/test_properties.py"]),
        ([f"{ROOT}/restore_contract/suite", "-x"], [f"{ROOT}/restore_contract/suite", "-x"]),
        (["--target", "live", "-k", "restore"], ["restore_contract/suite", "--target", "live", "-k", "restore"]),
        (
            ["--cassette", "cassettes/emulator-http"],
            ["restore_contract/suite", "--cassette", "cassettes/emulator-http"],
        ),
        ([], ["restore_contract/suite"]),
    ],
)
def test_dev_contract_runs_the_tests_it_is_given_else_the_contract_suite(
    monkeypatch: pytest.MonkeyPatch, args: list[str], runs: list[str]
) -> None:
    ran = _dev(monkeypatch)
    assert develop.main(["contract", *args]) == 0
    assert ran == [runs]
