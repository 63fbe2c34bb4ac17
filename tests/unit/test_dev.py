"""`python3 dev.py contract|test …` (dev.py sets up .venv/ and hands over to restore_contract/commands/develop.py)
runs pytest from the project: relative paths the caller gives to options that name a file or folder (and to the
variables that set them) are made the caller's; test ids stay the project's."""

from __future__ import annotations

import hashlib
import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from restore_contract.commands import develop
from restore_contract.commands.cli import pytest_run

ROOT = Path(__file__).resolve().parents[2]
ELSEWHERE = Path("/tmp/elsewhere")
NODE = "restore_contract/suite/test_properties.py::test_unknown_database_is_404"


@pytest.mark.parametrize(
    ("args", "passed"),
    [
        (["--summary-json", "out.json"], ["--summary-json", f"{ELSEWHERE}/out.json"]),
        (["--summary-json=out.json"], [f"--summary-json={ELSEWHERE}/out.json"]),
        (["--junitxml=reports/j.xml"], [f"--junitxml={ELSEWHERE}/reports/j.xml"]),
        (["--junit-xml", "j.xml", "-x"], ["--junit-xml", f"{ELSEWHERE}/j.xml", "-x"]),
        (["--reports", "../r"], ["--reports", f"{ELSEWHERE}/../r"]),
        (["--reports", "/srv/r", "--summary-json=/srv/s.json"], ["--reports", "/srv/r", "--summary-json=/srv/s.json"]),
        ([NODE, "-k", "out.json", "--target", "live"], [NODE, "-k", "out.json", "--target", "live"]),
        (
            ["restore_contract/suite", "--cassette", "cassettes/emulator-http"],
            ["restore_contract/suite", "--cassette", "cassettes/emulator-http"],
        ),
        (["--summary-json="], ["--summary-json="]),  # empty: no file, as given
        (["-x", "--", "--reports", "r"], ["-x", "--", "--reports", "r"]),  # after `--`: positional, as given
    ],
)
def test_path_options_are_made_the_callers(args: list[str], passed: list[str]) -> None:
    assert develop.callers_paths(args, ELSEWHERE) == passed


def test_path_variables_are_made_the_callers() -> None:
    environ = {
        "PRISMA_CONTRACT_SUMMARY_JSON": "s.json",
        "PRISMA_CONTRACT_REPORTS": "/srv/reports",
        "PRISMA_CONTRACT_CASSETTE": "emulator-http",
    }
    assert develop.callers_variables(environ, ELSEWHERE) == {"PRISMA_CONTRACT_SUMMARY_JSON": f"{ELSEWHERE}/s.json"}


@pytest.mark.parametrize("option", develop.PATH_OPTIONS)
def test_restore_contract_uses_the_same_list(option: str) -> None:
    """One list of path options, develop.py's, for `restore-contract` too."""
    assert pytest_run("run", [option, "x", f"{option}=y"], {}, cwd=ELSEWHERE).args[1:] == [
        option,
        f"{ELSEWHERE}/x",
        f"{option}={ELSEWHERE}/y",
    ]


@pytest.mark.parametrize("command", ["contract", "test"])
def test_dev_runs_pytest_with_the_callers_paths(command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[list[str], dict[str, Any]]] = []

    def call(args: list[str], **kwargs: Any) -> int:
        calls.append((args, kwargs))
        return 0

    monkeypatch.setattr(develop, "lint_and_types", lambda root: 0)
    monkeypatch.setattr(develop, "run_to_its_end", call)
    monkeypatch.setenv("PRISMA_CONTRACT_REPORTS", "reports")
    monkeypatch.chdir(tmp_path)

    assert develop.main([command, NODE, "--summary-json", "out.json", "--junitxml=j.xml"]) == 0

    [(args, kwargs)] = calls
    assert args[3:] == [NODE, "--summary-json", f"{tmp_path}/out.json", f"--junitxml={tmp_path}/j.xml"]
    assert kwargs["cwd"] == ROOT
    assert kwargs["env"]["PRISMA_CONTRACT_REPORTS"] == f"{tmp_path}/reports"


@pytest.mark.parametrize(
    ("args", "parallel"),
    [
        ([], True),  # every test: on pytest-xdist's workers
        (["-x", "--durations=20"], True),
        ([NODE], False),  # tests the caller chose: in this process
        (["tests/unit"], False),
        (["-n", "3"], False),  # the caller's own choice of workers, of distribution, or no xdist
        (["-n3"], False),
        (["--numprocesses=auto"], False),
        (["--dist", "worksteal"], False),
        (["-p", "no:xdist"], False),
    ],
)
def test_every_test_runs_on_xdist_workers_unless_the_caller_chose(args: list[str], parallel: bool) -> None:
    chosen = develop.in_parallel(args, ROOT)
    assert chosen == (["-n", str(develop.WORKERS), "--dist", "load", "--maxschedchunk", "1"] if parallel else [])


def test_dev_test_without_arguments_runs_on_xdist(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []

    def call(args: list[str], **kwargs: Any) -> int:
        calls.append(args)
        return 0

    monkeypatch.setattr(develop, "lint_and_types", lambda root: 0)
    monkeypatch.setattr(develop, "run_to_its_end", call)
    assert develop.main(["test"]) == 0
    [args] = calls
    assert args[3:] == develop.in_parallel([], ROOT) != []


# --- what a newcomer types first ------------------------------------------------------------------------------


def dev(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "dev.py"), *args], capture_output=True, text=True, timeout=120)


def test_dev_help_prints_the_commands_and_exits_0() -> None:
    done = dev("--help")

    assert done.returncode == 0, done.stderr
    assert "python3 dev.py contract" in done.stdout


def test_a_mistyped_command_is_named_in_one_line_with_the_nearest_one() -> None:
    done = dev("contarct")

    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "[dev] no command 'contarct': did you mean 'contract'? use one of contract, test, seed-golden, docs, setup "
        "(--help: what each does)"
    ]


def test_dev_contract_help_is_pytests_help_with_the_suites_options() -> None:
    done = dev("contract", "--help")

    assert done.returncode == 0, done.stderr[-3000:]
    assert "restore-contract:" in done.stdout
    assert "--target=NAME" in done.stdout
    assert "Traceback" not in done.stderr


LACKING_HTTPX = "import sys, pytest; sys.modules['httpx'] = None; raise SystemExit(pytest.main(sys.argv[1:]))"


@pytest.mark.parametrize("tests", [[], ["tests/unit"], ["tests/meta"], ["restore_contract/suite/test_properties.py"]])
def test_pytest_with_a_python_that_lacks_a_dependency_is_one_line(tests: list[str]) -> None:
    """`python3 -m pytest` in the checkout with a Python other than .venv's (the checkout's egg-info registers the
    plugin for any Python started there): one line saying what to run instead, not an import traceback."""
    done = subprocess.run(
        [sys.executable, "-c", LACKING_HTTPX, "-q", "-p", "no:cacheprovider", *tests],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    lines = (done.stdout + done.stderr).strip().splitlines()
    assert done.returncode == 2, lines[-20:]
    assert lines == [
        f"restore-contract: this Python ({sys.executable}) lacks httpx, which the suite needs: run python3 dev.py "
        "contract (or python3 dev.py test): it sets up .venv/ and runs pytest with it"
    ]


def _dev_module() -> Any:
    """dev.py as a module (it is a script beside the package, not part of it)."""
    spec = importlib.util.spec_from_file_location("dev_script", ROOT / "dev.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def setup_calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[tuple[str, ...]], dict[str, int]]:
    """dev.py's setup with an existing virtualenv that needs installing, its commands recorded, not run: each
    answers the exit code `fails` gives the first word it contains (0 otherwise)."""
    module, calls, fails = _dev_module(), [], {}  # type: ignore[var-annotated]
    python = tmp_path / "python"
    python.write_text("")
    monkeypatch.setattr(module, "PYTHON", python)
    monkeypatch.setattr(module, "STAMP", tmp_path / "stamp")

    def run(*command: object) -> int:
        words = tuple(str(part) for part in command)
        calls.append(words)
        return next((code for word, code in fails.items() if word in words), 0)

    monkeypatch.setattr(module, "_run", run)
    return module, calls, fails


def test_setup_installs_with_uv_compiling_bytecode_as_pip_does(setup_calls: Any) -> None:
    module, calls, _ = setup_calls
    module.setup()

    assert [call[1:] for call in calls] == [
        ("-m", "pip", "install", "--quiet", "--disable-pip-version-check", "uv>=0.9"),
        ("-m", "uv", "pip", "install", "--quiet", "--compile-bytecode", "--python", calls[0][0], "-e", ".[dev]"),
    ]
    assert module.STAMP.read_text().strip() == hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("failing", "tried"), [("uv>=0.9", ["pip", "pip"]), ("uv", ["pip", "uv", "pip"])], ids=["uv-not-had", "uv-fails"]
)
def test_setup_falls_back_to_pip_when_uv_cannot_install(
    setup_calls: Any, failing: str, tried: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    module, calls, fails = setup_calls
    fails[failing] = 1
    module.setup()

    assert [call[2] for call in calls] == tried
    assert calls[-1][1:] == ("-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", ".[dev]")
    assert "pip installs it instead" in capsys.readouterr().out
    assert module.STAMP.exists()


def test_setup_that_cannot_install_says_so_in_one_line_and_writes_no_stamp(setup_calls: Any) -> None:
    module, _, fails = setup_calls
    fails["uv"] = fails[".[dev]"] = 1

    with pytest.raises(SystemExit, match=r"^\[dev\] installing the project failed: see pip's message above"):
        module.setup()
    assert not module.STAMP.exists()


def test_setup_is_skipped_while_pyproject_is_unchanged(setup_calls: Any) -> None:
    module, calls, _ = setup_calls
    module.STAMP.write_text(hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest() + "\n")
    module.setup()

    assert calls == []
