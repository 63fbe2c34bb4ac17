"""Where snapshots come from: a live target (staging, or the emulator started as a server), or the in-process
emulator seeded like `python -m restore_contract.emulator --seed-golden`."""

from __future__ import annotations

import dataclasses
import uuid

from restore_contract.dataset.golden import GOLDEN_DATA, GOLDEN_NAME
from restore_contract.emulator import EmulatorConfig
from restore_contract.parity import scenario
from restore_contract.parity.snapshot import Snapshot
from restore_contract.targets import TargetConfigurationError, emulator_target, live_target
from restore_contract.targets.api import ManagementApi
from restore_contract.targets.base import Target
from restore_contract.targets.live import LiveSettings

# The backups the emulator's `--seed-golden` takes of the golden source, in this order.
SEEDED_BACKUPS = ("running", "failed", "completed")


def record_live(settings: LiveSettings, recorded_against: str) -> Snapshot:
    """Run the scenario against a live target, through its safety guard. Nothing logs in to a database."""
    if not settings.project_id or not settings.source_database_id:
        raise TargetConfigurationError(
            "recording a parity snapshot needs PRISMA_CONTRACT_PROJECT_ID (its scratch database is created there) "
            "and PRISMA_CONTRACT_SOURCE_DATABASE_ID (the golden source: backups to restore from)"
        )
    target = live_target(dataclasses.replace(settings, data_probe=False), name="parity")
    try:
        return scenario.run(
            target,
            source_id=settings.source_database_id,
            run_id=settings.run_id[:8],
            recorded_against=recorded_against,
        )
    finally:
        target.close()


def record_emulator(config: EmulatorConfig) -> Snapshot:
    """Run the scenario against the in-process emulator, with a golden source seeded as `--seed-golden` does."""
    target = emulator_target(config)
    try:
        return scenario.run(
            target,
            source_id=seed_golden(target),
            run_id=uuid.uuid4().hex[:8],
            recorded_against=describe(target),
        )
    finally:
        target.close()


def seed_golden(target: Target) -> str:
    """The golden source, through the public API and the control plane (what `--seed-golden` does in the server)."""
    assert target.control is not None, "the in-process emulator has a control plane"
    assert target.project_id is not None
    with target.client() as client:
        source = str(ManagementApi(client).created_database(target.project_id, GOLDEN_NAME)["id"])
    target.control.force_status(source, "ready")
    target.control.write_data(source, GOLDEN_DATA)
    for status in SEEDED_BACKUPS:
        target.control.take_backup(source, status)
    return source


def describe(target: Target) -> str:
    options = ", ".join(f"{name} {value}" for name, value in sorted(target.described.items()) if value)
    return f"in-process emulator ({options})"
