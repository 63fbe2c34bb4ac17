"""Targets the contract suite runs against: the in-process emulator (default), or a live server."""

from targets.base import Target, TargetConfigurationError
from targets.emulator import emulator_target
from targets.live import live_target

__all__ = ["Target", "TargetConfigurationError", "emulator_target", "live_target"]
