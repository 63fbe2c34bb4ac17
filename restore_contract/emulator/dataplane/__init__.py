"""Where the emulated databases keep their data and logins.

The emulator's state (`emulator.state`) only talks to a `DataPlane`: real PostgreSQL (`postgres`, an
embedded cluster or one given by DSN) or plain Python objects (`memory`, fast, no connection strings that
work). The HTTP layer does not notice which.
"""

from __future__ import annotations

from restore_contract.emulator.dataplane.base import DataPlane, Endpoint, Snapshot, Tables
from restore_contract.emulator.dataplane.memory import MemoryDataPlane

DATA_PLANES = ("postgres", "memory")
POSTGRES_DSN_ENV = "PRISMA_EMULATOR_POSTGRES_DSN"  # read by the server command and by the suite alike

__all__ = [
    "DATA_PLANES",
    "POSTGRES_DSN_ENV",
    "DataPlane",
    "Endpoint",
    "MemoryDataPlane",
    "Snapshot",
    "Tables",
    "new_data_plane",
]


def new_data_plane(kind: str, postgres_dsn: str | None = None) -> DataPlane:
    """`memory`, or `postgres` on the process's embedded cluster (or the server `postgres_dsn` names)."""
    if kind == "memory":
        return MemoryDataPlane()
    if kind != "postgres":
        raise ValueError(f"unknown data plane {kind!r}; choose one of {', '.join(DATA_PLANES)}")
    # Imported here: psycopg and the cluster are only needed when PostgreSQL is asked for.
    from restore_contract.emulator.dataplane.cluster import Cluster, embedded_cluster
    from restore_contract.emulator.dataplane.postgres import PostgresDataPlane

    return PostgresDataPlane(Cluster.external(postgres_dsn) if postgres_dsn else embedded_cluster())
