"""The default target: the emulator, in-process (no port, no process)."""

from __future__ import annotations

from restore_contract.emulator import Emulator, EmulatorConfig

__all__ = ["EmulatorConfig", "emulator_target"]
from restore_contract.targets.base import NO_ADMIN, OTHER_WORKSPACE, Target, Traffic, new_client
from restore_contract.targets.control import ControlPlane
from restore_contract.targets.data import ControlPlaneAccess, DataAccess, PostgresAccess
from restore_contract.targets.inprocess import InProcessTransport
from restore_contract.targets.transient import Transient

BASE_URL = "http://emulator.local"
OTHER_WORKSPACE_NAME = "contract-other-workspace"


def emulator_target(config: EmulatorConfig | None = None, restore_timeout: float | None = None) -> Target:
    emulator = Emulator(config)
    transport = InProcessTransport(emulator)
    traffic = Traffic(Transient(transport))  # the staging-like options answer 429 and 503 in process too
    if restore_timeout is None:
        # In process a restore ends at the first read (immediate clock), after a few reads, or after the
        # clock's seconds; a short bound keeps a never-ending restore from costing seconds per example.
        restore_timeout = 1.0 + (emulator.config.clock.seconds if emulator.config.clock.mode == "seconds" else 0.0)
    control = ControlPlane(new_client(traffic, BASE_URL, None))
    # With PostgreSQL the data probe logs in for real, as on staging; in memory nothing can, so it asks the
    # control plane instead.
    data: DataAccess = PostgresAccess() if emulator.config.data_plane == "postgres" else ControlPlaneAccess(control)
    project_id = control.create_project("contract-project")
    # The other principals, minted by the control plane: a token of the run's workspace without workspace:admin, and
    # an admin of a workspace of its own, with a project there for the database of that workspace the pool makes.
    other_workspace = control.create_workspace(OTHER_WORKSPACE_NAME)
    tokens = {
        NO_ADMIN: control.mint_token(scopes=["offline_access"]),
        OTHER_WORKSPACE: control.mint_token(other_workspace),
    }

    def release() -> None:
        transport.close()
        emulator.close()

    return Target(
        name="emulator",
        base_url=BASE_URL,
        token=emulator.config.token,
        traffic=traffic,
        restore_timeout=restore_timeout,
        project_id=project_id,
        tokens=tokens,
        other_project_id=control.create_project("contract-other-project", other_workspace),
        control=control,
        data=data,
        described=_describe(emulator.config),
        release=release,
    )


def _describe(config: EmulatorConfig) -> dict[str, str]:
    """The options the emulator really runs with (the token and the DSN, which may hold a password, left out)."""
    return {
        "clock": config.clock.describe(),
        "faults": ",".join(sorted(config.faults)),
        "id_style": config.id_style.value,
        "alias_unprefixed": str(config.alias_unprefixed).lower(),
        "backups_newest_first": str(config.backups_newest_first).lower(),
        "missing_scope_status": str(config.missing_scope_status),
        "data_plane": config.data_plane,
        "staging": f"latency={config.latency} rate_limit={config.rate_limit} transient_503={config.transient_503} "
        f"provisioning={config.provisioning}",
    }
