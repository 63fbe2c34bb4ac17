"""Where the emulated databases keep their data and logins.

The control plane (`emulator.state`) only talks to a `DataPlane`; the in-memory one is the default, a
real PostgreSQL one can stand in its place without the HTTP layer noticing.
"""

from emulator.dataplane.base import DataPlane, Endpoint, Snapshot, Tables
from emulator.dataplane.memory import MemoryDataPlane

__all__ = ["DataPlane", "Endpoint", "MemoryDataPlane", "Snapshot", "Tables"]
