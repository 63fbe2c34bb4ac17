"""The session's canary: its body marks that it ran, and tests/conftest.py fails it when it passed without running."""

from __future__ import annotations

import pytest

from tests.conftest import BODY_RAN


def test_a_test_body_runs(request: pytest.FixtureRequest) -> None:
    request.node.stash[BODY_RAN] = True
