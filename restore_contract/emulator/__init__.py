"""A local, stateful emulator of the Prisma Management API's databases, backups and restore."""

from restore_contract.emulator.app import Emulator
from restore_contract.emulator.clock import ClockConfig
from restore_contract.emulator.config import DEFAULT_TOKEN, EmulatorConfig
from restore_contract.emulator.faults import DESCRIPTIONS, Fault
from restore_contract.emulator.ids import IdStyle

__all__ = ["DEFAULT_TOKEN", "DESCRIPTIONS", "ClockConfig", "Emulator", "EmulatorConfig", "Fault", "IdStyle"]
