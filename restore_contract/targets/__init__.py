"""Targets the contract suite runs against: the in-process emulator (default), or a live server."""

from restore_contract.targets.base import Target, TargetConfigurationError
from restore_contract.targets.emulator import emulator_target
from restore_contract.targets.live import live_target

__all__ = ["Target", "TargetConfigurationError", "emulator_target", "live_target"]
