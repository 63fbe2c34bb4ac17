"""Every setting of a contract run, checked before the run writes anything: one line says what is wrong (exit 2).

The run's own settings (target, profile, budget, progress, the emulator's options) are parsed here, and on a live
target the settings are read from the environment and checked against the server with reads only (the URL, the
token, the project, the sacrificial database, the golden source and its backups): the preflight. Only then does the
run create scratch databases or issue connections, so a mistake is never found halfway through a run that has
already written somewhere.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from restore_contract.run.budget import budget_seconds
from restore_contract.run.coverage import NEEDS
from restore_contract.settings import Settings
from restore_contract.targets.base import TargetConfigurationError
from restore_contract.targets.cassettes import Cassette, check_recordable, check_replayable
from restore_contract.targets.emulator import EmulatorConfig
from restore_contract.targets.live import LiveSettings, live_target


@dataclass(frozen=True)
class RunSettings:
    values: Settings  # every setting as parsed (restore_contract/settings.py)
    budget: float | None
    emulator: EmulatorConfig | None = None  # --target emulator
    live: LiveSettings | None = None  # --target live: already checked by the preflight

    @property
    def target(self) -> str:
        return self.values.target

    @property
    def profile(self) -> str:
        return self.values.profile


def check_settings(values: Settings, *, preflight: bool) -> RunSettings:
    """The run's settings, checked as a whole; TargetConfigurationError (one line) on the first mistake.
    `preflight`: check a live target's settings against the server (reads only)."""
    live = values.target == "live"
    if values.record and not live:
        raise TargetConfigurationError("--record records a --target live run (the emulator as a server counts)")
    # A recording is sized like its replay (which has no budget): the same tests, in the same order.
    budget = budget_seconds(values.budget, values.profile, live=live and not values.record)
    if values.target == "emulator":
        return RunSettings(values, budget, emulator=values.emulator)
    if not live:  # a replay: its cassette must be there, recorded with this profile
        check_replayable(Cassette.named(values.cassette), values.profile)
        return RunSettings(values, budget)
    settings = LiveSettings.from_settings(values)
    if values.record:
        # A cassette holds HTTP only and a replay cannot log in anywhere; the recording does not log in either,
        # so both take the same paths and send the same requests.
        settings = dataclasses.replace(settings, run_id="recorded", data_probe=False)
    if not values.partial:
        _refuse_a_run_that_cannot_restore(settings)
    if values.record:
        check_recordable(Cassette.named(values.record), values.record_force)
    if preflight:
        live_target(settings).close()  # its preflight reads the server; nothing is written
    return RunSettings(values, budget, live=settings)


def _refuse_a_run_that_cannot_restore(settings: LiveSettings) -> None:
    """A live run that could not exercise a successful restore would look green having checked nothing of what
    matters: it stops, naming what is missing, unless a partial run was asked for."""
    missing = []
    if not (settings.project_id or settings.target_database_id):
        missing.append(NEEDS["target"])
    if not settings.source_database_id:
        missing.append(NEEDS["backup"])
    if missing:
        raise TargetConfigurationError(
            f"this live run could not check a single restore; missing {'; and '.join(missing)} "
            "(or ask for a partial run: --partial, PRISMA_CONTRACT_PARTIAL=1)"
        )
