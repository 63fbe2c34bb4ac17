"""The console commands the project's install puts in the virtualenv: `restore-contract` (the suite) and
`restore-emulator` (the server), and a shell getting a live run's settings from the emulator by sourcing."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from restore_contract.commands.cli import PROFILE_ENV, ROOT, PytestRun, UsageError, main, pytest_run
from restore_contract.emulator import DEFAULT_TOKEN
from restore_contract.harness.server import exported

BIN = Path(sys.executable).parent  # the virtualenv's bin/, where the install put the scripts
LIVE_SETTINGS = (
    "PRISMA_API_URL",
    "PRISMA_API_TOKEN",
    "PRISMA_CONTRACT_PROJECT_ID",
    "PRISMA_CONTRACT_SOURCE_DATABASE_ID",
)
ECHO_SETTINGS = 'echo "$PRISMA_API_URL $PRISMA_API_TOKEN $PRISMA_CONTRACT_PROJECT_ID $RESTORE_EMULATOR_PID"'
FAST = ("--seed-golden", "--port", "0", "--data", "memory")


def script(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BIN / name, *args], capture_output=True, text=True, timeout=60, check=False)


def test_restore_contract_help_lists_its_commands() -> None:
    done = script("restore-contract", "--help")

    assert done.returncode == 0, done.stderr
    for command in ("run [pytest args]", "replay [NAME] [pytest args]", "record NAME [pytest args]", "seed-golden"):
        assert re.search(rf"^  {re.escape(command)} +\S", done.stdout, re.MULTILINE), done.stdout


def test_restore_emulator_help_lists_its_options() -> None:
    done = script("restore-emulator", "--help")

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: restore-emulator"), done.stdout
    for option in ("--seed-golden", "--env-file PATH", "--print-env", "--port PORT", "--fault NAME"):
        assert option in done.stdout


# --- what restore-contract passes to pytest -----------------------------------------------------------


SUITE = "restore_contract/suite"
PASSED = ["-k", "restore and not 404", "--junitxml=/srv/ci/junit.xml", "-x", "--hypothesis-profile", "replay"]
REPLAY = {PROFILE_ENV: "replay"}
RECORD, FORCE = ["--target", "live", "--record"], "--record-force"


@pytest.mark.parametrize(
    ("command", "args", "environ", "pytest_args", "env"),
    [
        ("run", ["--target", "live", *PASSED], {}, [SUITE, "--target", "live", *PASSED], {}),
        ("run", [], {}, [SUITE], {}),
        ("run", [SUITE, "-q"], {}, [SUITE, "-q"], {}),  # it names its tests: as given
        ("replay", [], {}, [SUITE, "--target", "replay"], REPLAY),
        ("replay", ["mine", *PASSED], {}, [SUITE, "--target", "replay", "--cassette", "mine", *PASSED], REPLAY),
        ("replay", ["-x"], {PROFILE_ENV: "debug"}, [SUITE, "--target", "replay", "-x"], {}),  # the caller's profile
        ("record", ["nightly", *PASSED], {}, [SUITE, "--target", "live", "--record", "nightly", *PASSED], REPLAY),
        # record's own --force: not pytest's, it reaches the suite as PRISMA_CONTRACT_RECORD_FORCE=1
        (
            "record",
            ["nightly", "--force", "-x"],
            {},
            [SUITE, "--target", "live", "--record", "nightly", "-x", "--record-force"],
            REPLAY,
        ),
        (
            "record",
            ["--force", "nightly"],
            {},
            [SUITE, "--target", "live", "--record", "nightly", "--record-force"],
            REPLAY,
        ),
    ],
)
def test_arguments_reach_pytest_unchanged(
    command: str, args: list[str], environ: dict[str, str], pytest_args: list[str], env: dict[str, str]
) -> None:
    assert pytest_run(command, args, environ) == PytestRun(pytest_args, env)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "restore-contract: give a command: run, replay, record, seed-golden (or --help)"),
        (["nope"], "restore-contract: no command 'nope': use one of run, replay, record, seed-golden (or --help)"),
        (["record", "-x"], "restore-contract: record needs the cassette's NAME first: restore-contract record NAME"),
    ],
)
def test_a_bad_command_line_is_one_line_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message), err
    assert err.count("\n") == 1, err


def test_record_needs_a_name() -> None:
    with pytest.raises(UsageError, match="NAME first"):
        pytest_run("record", [], {})
    with pytest.raises(UsageError, match="NAME first"):
        pytest_run("record", ["--force"], {})


# --- relative paths are the caller's, not the project's (pytest runs from the project) ---------------------


ELSEWHERE = Path("/tmp/elsewhere")
NODE = "restore_contract/suite/test_properties.py::test_unknown_database_is_404"
PATHS_GIVEN = ["--summary-json", "out.json", "--junitxml=reports/j.xml", "--reports", "/srv/reports", "-k", "out.json"]
PATHS_PASSED = [
    "--summary-json",
    f"{ELSEWHERE}/out.json",
    f"--junitxml={ELSEWHERE}/reports/j.xml",
    "--reports",
    "/srv/reports",  # absolute: as given
    "-k",
    "out.json",  # not a path option's value
]


@pytest.mark.parametrize(
    ("command", "args", "pytest_args"),
    [
        ("run", PATHS_GIVEN, [SUITE, *PATHS_PASSED]),
        ("run", [NODE, *PATHS_GIVEN], [NODE, *PATHS_PASSED]),  # a test id stays the project's
        ("replay", ["mine", *PATHS_GIVEN], [SUITE, "--target", "replay", "--cassette", "mine", *PATHS_PASSED]),
        ("record", ["mine", *PATHS_GIVEN], [SUITE, "--target", "live", "--record", "mine", *PATHS_PASSED]),
    ],
)
def test_relative_paths_given_to_options_are_the_callers(command: str, args: list[str], pytest_args: list[str]) -> None:
    assert pytest_run(command, args, {PROFILE_ENV: "ci"}, cwd=ELSEWHERE).args == pytest_args


@pytest.mark.parametrize("command", ["run", "replay", "record"])
def test_relative_paths_in_the_variables_are_the_callers(command: str) -> None:
    environ = {
        PROFILE_ENV: "ci",
        "PRISMA_CONTRACT_SUMMARY_JSON": "runs/s.json",
        "PRISMA_CONTRACT_REPORTS": "/srv/reports",  # absolute: as it is
        "PRISMA_CONTRACT_CASSETTE": "emulator-http",  # not a path
    }
    run = pytest_run(command, ["mine"] if command == "record" else [], environ, cwd=ELSEWHERE)
    assert run.env == {"PRISMA_CONTRACT_SUMMARY_JSON": f"{ELSEWHERE}/runs/s.json"}


def test_restore_contract_writes_where_its_caller_is(tmp_path: Path) -> None:
    """From another folder, a relative --junitxml lands there, not in the project (pytest runs from the project)."""
    name = f"junit-{uuid.uuid4().hex}.xml"
    test = "tests/unit/test_cli.py::test_record_needs_a_name"
    try:
        done = subprocess.run(
            [BIN / "restore-contract", "run", test, f"--junitxml={name}"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        assert (tmp_path / name).is_file()
        assert not (ROOT / name).exists()
    finally:
        (ROOT / name).unlink(missing_ok=True)  # where it went before


# --- a shell sources the emulator's settings ----------------------------------------------------------


def settings_work(url: str, token: str, project: str) -> None:
    """The settings reach the seeded project: what a live run's preflight asks first."""
    answer = httpx.get(f"{url}/v1/projects/{project}/databases", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"], answer.text  # the golden source


def test_a_shell_sources_the_env_file_and_reaches_the_server(tmp_path: Path) -> None:
    env_file = tmp_path / "emu.env"
    server = subprocess.Popen(
        [BIN / "restore-emulator", *FAST, "--env-file", str(env_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 15
        while not env_file.exists():  # written whole (renamed into place) once the server is ready
            assert server.poll() is None, server.communicate()
            assert time.monotonic() < deadline, "no env file in 15 s"
            time.sleep(0.05)
        sourced = subprocess.run(
            ["bash", "-c", f"source {shlex.quote(str(env_file))} && {ECHO_SETTINGS}"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        url, token, project, pid = sourced.stdout.split()
        assert token == DEFAULT_TOKEN
        assert pid == str(server.pid)
        settings_work(url, token, project)
        assert {name for name, _ in filter(None, map(exported, env_file.read_text().splitlines()))} >= set(
            LIVE_SETTINGS
        )
    finally:
        server.terminate()
        out, err = server.communicate(timeout=10)
    assert server.returncode == 0, err
    assert out.splitlines() == env_file.read_text().splitlines()  # stdout: the same lines, and nothing else
    assert all(line.startswith("export ") and exported(line) for line in out.splitlines()), out
    assert f"emulator listening on {url}" in err.splitlines()
    assert "emulator stopped" in err.splitlines()


def test_eval_of_print_env_leaves_the_server_running_with_the_settings_in_the_shell() -> None:
    command = f"{shlex.quote(str(BIN / 'restore-emulator'))} {' '.join(FAST)} --print-env"
    sourced = subprocess.run(
        ["bash", "-c", f'eval "$({command})" && {ECHO_SETTINGS}'], capture_output=True, text=True, timeout=30
    )
    assert sourced.returncode == 0, sourced.stderr
    url, token, project, pid = sourced.stdout.split()
    log = Path(sourced.stderr.rsplit(" log ", 1)[1].strip())
    try:
        settings_work(url, token, project)  # still serving after the command returned
    finally:
        os.kill(int(pid), signal.SIGTERM)
    deadline = time.monotonic() + 10
    while "emulator stopped" not in log.read_text():
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
    log.unlink()


# --- installed from a wheel: no checkout, pytest runs where the caller is -------------------------------------


def test_from_an_install_the_suite_runs_in_the_callers_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A wheel has the package only (no dev.py, no tests/): the suite is the package's, the caller's folder is
    pytest's root (reports/ and cassettes/ there), and the caller's relative paths stay as given."""
    monkeypatch.setattr("restore_contract.workspace.CHECKOUT", None)
    installed = str(ROOT / SUITE)
    run = pytest_run("run", ["--junitxml", "junit.xml", "-x"], {}, cwd=tmp_path)
    assert run == PytestRun([installed, "--junitxml", "junit.xml", "-x", "--rootdir", str(tmp_path)], {})
    replay = pytest_run("replay", ["mine"], {}, cwd=tmp_path)
    assert replay.args == [installed, "--target", "replay", "--cassette", "mine", "--rootdir", str(tmp_path)]
    (tmp_path / "test_own.py").write_text("def test_x(): pass\n")
    assert pytest_run("run", ["test_own.py::test_x"], {}, cwd=tmp_path).args[0] == "test_own.py::test_x"


@pytest.mark.parametrize("command", ["restore-contract", "restore-emulator"])
def test_each_console_command_says_its_version(command: str) -> None:
    done = script(command, "--version")

    assert done.returncode == 0, done.stderr
    assert re.fullmatch(rf"{command} \d+\.\d+\.\d+\S*\n", done.stdout), done.stdout
