"""Seed a golden source on a live API: `python3 dev.py seed-golden [--database-id db_...]`.

A golden source is a database whose `public` schema holds exactly the golden fixture
(`restore_contract/dataset/golden.py`, versioned); its backups then hold it too, which is what lets the nightly check
that a restore delivers the backup's data. This command, with PRISMA_API_URL and PRISMA_API_TOKEN set:

1. takes the database given (it must be named `contract-…`: seeding replaces all of its tables), or
   creates `contract-golden-source` in PRISMA_CONTRACT_PROJECT_ID and waits until it is ready;
2. has the API issue a connection for it (`POST /v1/databases/{id}/connections`) and logs in with it;
3. writes the fixture, reads it back, and prints the setting for the nightly.

Backups are taken by the platform (daily); once one completed after seeding, the nightly can run.
"""

from __future__ import annotations

import argparse
import os
import sys

import httpx

from restore_contract.dataset.golden import GOLDEN_DATA, GOLDEN_NAME, GOLDEN_VERSION
from restore_contract.dataset.tables import canonical
from restore_contract.settings import ENV, SettingError, read
from restore_contract.targets.api import ManagementApi
from restore_contract.targets.base import TargetConfigurationError
from restore_contract.targets.data import LoginRefused, PostgresAccess
from restore_contract.targets.guard import SCRATCH_PREFIX
from restore_contract.targets.live import LiveSettings
from restore_contract.targets.pool import create_connection, wait_until_ready

READY_TIMEOUT = 600.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python3 dev.py seed-golden", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-id",
        help="the database to seed (named contract-…); default PRISMA_CONTRACT_SOURCE_DATABASE_ID, else a new "
        f"{GOLDEN_NAME!r} in PRISMA_CONTRACT_PROJECT_ID",
    )
    return parser.parse_args(argv)


def seed(api: ManagementApi, database_id: str | None, project_id: str | None) -> str:
    """Seed (creating the database if none is given); returns its id. Raises TargetConfigurationError or ApiError."""
    if database_id is None:
        if not project_id:
            raise TargetConfigurationError(f"give --database-id, or set {ENV['project_id']} to create one")
        database_id = str(api.created_database(project_id, GOLDEN_NAME)["id"])
    database = wait_until_ready(api, database_id, READY_TIMEOUT)
    if not str(database["name"]).startswith(SCRATCH_PREFIX):
        raise TargetConfigurationError(
            f"{database_id} is named {database['name']!r}; seeding replaces every table of a database, so it only "
            f"seeds databases named {SCRATCH_PREFIX}… (e.g. {GOLDEN_NAME!r})"
        )
    secret = create_connection(api, database_id, name="contract-golden-seed").connection_string
    access = PostgresAccess()
    try:
        access.write(secret, GOLDEN_DATA)
        found = access.read(secret)
    except LoginRefused as refused:
        raise TargetConfigurationError(f"the connection issued for {database_id} does not log in: {refused}") from None
    finally:
        access.close()
    if canonical(found) != canonical(GOLDEN_DATA):
        raise TargetConfigurationError(f"{database_id} does not read back the fixture it was given: {found}")
    return database_id


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        values = read(os.environ)
        settings = LiveSettings.from_settings(values, needed_by="seeding a golden source")
        with httpx.Client(
            base_url=settings.url, headers={"Authorization": f"Bearer {settings.token}"}, timeout=30.0
        ) as client:
            database_id = seed(
                ManagementApi(client), args.database_id or values.source_database_id, settings.project_id
            )
    except (TargetConfigurationError, SettingError, RuntimeError, httpx.HTTPError) as error:
        print(f"seed-golden: {error}", file=sys.stderr)
        return 2
    tables = ", ".join(f"{name} ({len(rows)} rows)" for name, rows in GOLDEN_DATA.items())
    print(f"seeded {database_id} with the golden fixture {GOLDEN_VERSION}: {tables}")
    print("Its backups hold the fixture from the next completed one on; then run the nightly with")
    print(f"PRISMA_CONTRACT_SOURCE_DATABASE_ID={database_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
