"""The golden fixture: the known, versioned data a golden source database holds.

A golden source (PRISMA_CONTRACT_SOURCE_DATABASE_ID on live targets, seeded by the emulator itself) holds
exactly this data when its backups are taken, so the suite knows what a restore from them must deliver.
Bump the version when the fixture changes, and re-seed the golden source.
"""

from __future__ import annotations

from typing import Any

GOLDEN_VERSION = "golden-v1"
# Golden sources are named so; a run never restores into or writes to a database named like one.
GOLDEN_NAME_PREFIX = "contract-golden"
GOLDEN_NAME = GOLDEN_NAME_PREFIX + "-source"

Tables = dict[str, list[dict[str, Any]]]


def fixture_data(version: str) -> Tables:
    """A small data set of two tables (so a partial restore shows), marked with `version`."""
    return {
        "customers": [{"id": 1, "name": "Ada", "version": version}, {"id": 2, "name": "Grace", "version": version}],
        "orders": [{"id": 10, "customer": 1, "total": 42, "version": version}],
    }


GOLDEN_DATA = fixture_data(GOLDEN_VERSION)
