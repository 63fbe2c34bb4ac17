"""Suite-wide pytest configuration: Hypothesis profiles and the options every test layer shares."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

# Profiles (select with --hypothesis-profile NAME or PRISMA_CONTRACT_PROFILE=NAME):
#   ci       derandomized, fixed budget: the same run sends the same requests every time (default)
#   nightly  random, larger budget: explores new inputs every night
#   replay   derandomized and without the example database, so a cassette replay re-sends exactly
#            the requests that were recorded
settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=100,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "nightly",
    derandomize=False,
    deadline=None,
    max_examples=1000,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "replay",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=100,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("PRISMA_CONTRACT_PROFILE", "ci"))


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("restore-contract")
    group.addoption(
        "--upstream-openapi",
        default=os.environ.get("PRISMA_UPSTREAM_OPENAPI"),
        help="upstream OpenAPI JSON for the drift test (env PRISMA_UPSTREAM_OPENAPI; "
        "default ../shared/reference/prisma-management-api.openapi.json)",
    )
