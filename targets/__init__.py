"""Targets the contract suite runs against: the in-process emulator (default), or a live server."""

from targets.base import Target, TargetConfigurationError
from targets.emulator import emulator_target
from targets.live import live_target

TARGETS = ("emulator", "live", "replay")

__all__ = ["TARGETS", "Target", "TargetConfigurationError", "emulator_target", "live_target"]
