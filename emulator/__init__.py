"""A local, stateful emulator of the Prisma Management API's databases, backups and restore."""

from emulator.app import Emulator
from emulator.clock import ClockConfig
from emulator.config import DEFAULT_TOKEN, EmulatorConfig
from emulator.faults import DESCRIPTIONS, Fault
from emulator.ids import IdStyle

__all__ = ["DEFAULT_TOKEN", "DESCRIPTIONS", "ClockConfig", "Emulator", "EmulatorConfig", "Fault", "IdStyle"]
