"""Suite-wide pytest configuration: Hypothesis profiles, the options every test layer shares, the summary."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, settings

# Profiles (select with --hypothesis-profile NAME or PRISMA_CONTRACT_PROFILE=NAME):
#   ci       derandomized, fixed budget: the same run sends the same requests every time (default)
#   nightly  random, larger budget: explores new inputs every night
#   replay   derandomized and without the example database, so a cassette replay re-sends exactly
#            the requests that were recorded
_COMMON = {"deadline": None, "print_blob": True, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("ci", derandomize=True, database=None, max_examples=100, **_COMMON)  # type: ignore[arg-type]
settings.register_profile("nightly", derandomize=False, max_examples=1000, **_COMMON)  # type: ignore[arg-type]
settings.register_profile("replay", derandomize=True, database=None, max_examples=100, **_COMMON)  # type: ignore[arg-type]
# meta: seeded by --hypothesis-seed, small budget, no shrinking: the fault meta-test only needs a verdict
settings.register_profile(
    "meta",
    derandomize=False,
    database=None,
    max_examples=25,
    phases=[Phase.explicit, Phase.generate, Phase.target],
    **_COMMON,  # type: ignore[arg-type]
)
PROFILE = os.environ.get("PRISMA_CONTRACT_PROFILE", "ci")
settings.load_profile(PROFILE)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("restore-contract")
    group.addoption(
        "--upstream-openapi",
        default=os.environ.get("PRISMA_UPSTREAM_OPENAPI"),
        help="upstream OpenAPI JSON for the drift test (env PRISMA_UPSTREAM_OPENAPI; "
        "default ../shared/reference/prisma-management-api.openapi.json)",
    )
    group.addoption(
        "--target",
        default=os.environ.get("PRISMA_CONTRACT_TARGET", "emulator"),
        choices=("emulator", "live", "replay"),
        help="what the contract suite runs against (env PRISMA_CONTRACT_TARGET; default: the in-process emulator)",
    )
    group.addoption(
        "--emulator-fault",
        action="append",
        default=[f for f in os.environ.get("PRISMA_CONTRACT_FAULTS", "").split(",") if f],
        metavar="NAME",
        help="turn an emulator fault on (repeatable; env PRISMA_CONTRACT_FAULTS, comma-separated); "
        "the suite must then fail",
    )
    group.addoption(
        "--emulator-clock",
        default=os.environ.get("PRISMA_CONTRACT_EMULATOR_CLOCK", "immediate"),
        help="the emulator's state clock: immediate | reads:N | seconds:T | manual",
    )
    group.addoption(
        "--emulator-id-style", default="cuid", choices=("cuid", "cuid2"), help="id format the emulator mints"
    )
    group.addoption("--emulator-no-alias", action="store_true", help="unprefixed ids do not reach db_ databases")
    group.addoption("--emulator-backups-oldest-first", action="store_true", help="list backups oldest first")


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"restore-contract: target={config.getoption('--target')} hypothesis-profile={PROFILE}"]
