"""A local, stateful emulator of the Prisma Management API's databases, backups and restore.

Its names load on first use (PEP 562): the suite's pytest plugin reads the option table in `emulator.config` at
every pytest start, and must not pay for the HTTP app, Starlette and the data planes there."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from restore_contract.emulator.app import Emulator
    from restore_contract.emulator.clock import ClockConfig
    from restore_contract.emulator.config import DEFAULT_TOKEN, EmulatorConfig
    from restore_contract.emulator.faults import DESCRIPTIONS, Fault
    from restore_contract.emulator.ids import IdStyle

_WHERE = {
    "Emulator": "app",
    "ClockConfig": "clock",
    "DEFAULT_TOKEN": "config",
    "EmulatorConfig": "config",
    "DESCRIPTIONS": "faults",
    "Fault": "faults",
    "IdStyle": "ids",
}
__all__ = ["DEFAULT_TOKEN", "DESCRIPTIONS", "ClockConfig", "Emulator", "EmulatorConfig", "Fault", "IdStyle"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
