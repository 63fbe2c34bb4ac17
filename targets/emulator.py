"""The default target: the emulator, in-process (no port, no process)."""

from __future__ import annotations

from emulator import Emulator, EmulatorConfig
from targets.base import Target
from targets.control import ControlPlane
from targets.inprocess import InProcessTransport

BASE_URL = "http://emulator.local"


def emulator_target(config: EmulatorConfig | None = None, restore_timeout: float = 5.0) -> Target:
    emulator = Emulator(config)
    target = Target(
        name="emulator",
        base_url=BASE_URL,
        token=emulator.config.token,
        transport=InProcessTransport(emulator),
        project_id=None,
        restore_timeout=restore_timeout,
    )
    target.control = ControlPlane(target.client(authenticated=False))
    target.project_id = target.control.create_project("contract-project")
    return target
