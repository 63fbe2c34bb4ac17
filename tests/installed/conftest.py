"""An environment the project is installed in from its wheel, as another project installs it: a new virtualenv
that holds the wheel (no dev.py, no tests/) and sees this virtualenv's dependencies, not its editable install.

Built once per session (~6 s: the wheel through pip's isolated build, the venv without pip), in a folder of its own,
also under pytest-xdist: the first worker to need it builds it under a lock, the others wait and use it (a session
fixture alone is built once per worker). `Installed.run` starts a command of that environment in `Installed.project`,
another project's folder."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OTHER_TEST = "def test_other_project():\n    assert True\n"


@dataclass(frozen=True)
class Installed:
    bin: Path  # the environment's scripts: python, pytest, restore-contract, restore-emulator
    project: Path  # another project's folder, with one test of its own (test_other.py)

    def run(self, *command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        program = str(self.bin / command[0])
        environ = {"PATH": f"{self.bin}:/usr/bin:/bin", "HOME": str(self.project), **(env or {})}
        return subprocess.run(
            [program, *command[1:]], cwd=self.project, env=environ, capture_output=True, text=True, timeout=300
        )


def _build_wheel(into: Path, scratch: Path) -> Path:
    """The project's wheel, built from a copy of its sources (pip builds in the source tree)."""
    source = scratch / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    ignored = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "restore_contract", source / "restore_contract", ignore=ignored)
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-q", "-w", str(into)]
    subprocess.run([*command, str(source)], check=True, capture_output=True, timeout=300)
    (wheel,) = into.glob("restore_contract-*.whl")
    return wheel


def _dependencies_of_this_venv(into: Path) -> Path:
    """This virtualenv's packages but the project itself (its editable install would shadow the wheel)."""
    into.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith(("restore_contract", "__editable__", "_restore_contract", "__pycache__")):
            (into / entry.name).symlink_to(entry)
    return into


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield


def _build(scratch: Path) -> Installed:
    wheel = _build_wheel(scratch / "wheel", scratch)
    environment = scratch / "venv"
    venv.create(environment, with_pip=False)
    python = environment / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True
    ).stdout.strip()
    (Path(purelib) / "dependencies.pth").write_text(f"{_dependencies_of_this_venv(scratch / 'dependencies')}\n")
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q"]
    subprocess.run([*pip, "--disable-pip-version-check", str(wheel)], check=True, capture_output=True, timeout=300)
    project = scratch / "other-project"
    project.mkdir()
    (project / "test_other.py").write_text(OTHER_TEST)
    return Installed(environment / "bin", project)


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return _build(tmp_path_factory.mktemp("installed"))
    shared = tmp_path_factory.getbasetemp().parent  # every worker's basetemp is under it
    scratch, built = shared / "installed", shared / "installed.built"
    with _locked(shared / "installed.lock"):
        if not built.exists():
            shutil.rmtree(scratch, ignore_errors=True)  # a worker that failed half-way left it
            scratch.mkdir()
            _build(scratch)
            built.touch()
    return Installed(scratch / "venv" / "bin", scratch / "other-project")
