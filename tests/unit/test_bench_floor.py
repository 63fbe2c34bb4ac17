"""bench/empty_bodies.py, the floor of bench/default_run.py --floor: bodies do not run, and examples are still drawn."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

TESTS = """
import os
from hypothesis import given, settings, strategies as st

def drawn(value):
    with open(os.environ["DRAWN"], "a") as record:
        record.write(f"{value}\\n")
    return value

@settings(max_examples=7, database=None)
@given(st.integers().map(drawn))
def test_generated(value):
    raise AssertionError("a body ran")

def test_plain():
    raise AssertionError("a body ran")
"""


def test_bodies_are_emptied_and_examples_still_drawn(tmp_path: Path) -> None:
    (tmp_path / "test_bodies.py").write_text(TESTS, encoding="utf-8")
    record = tmp_path / "drawn.txt"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRISMA_", "PYTEST_"))} | {"DRAWN": str(record)}
    env["PYTHONPATH"] = str(ROOT)  # `-p bench.empty_bodies` from the checkout
    command = [sys.executable, "-m", "pytest", str(tmp_path / "test_bodies.py"), "-q", "-p", "no:cacheprovider"]
    done = subprocess.run(
        [*command, "-p", "bench.empty_bodies"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout
    assert len(record.read_text(encoding="utf-8").splitlines()) >= 7  # every example was generated
