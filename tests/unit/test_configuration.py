"""The run's settings checked as a whole before anything is written (restore_contract/run/configuration.py): a
mistake is one line (TargetConfigurationError, which the plugin prints and exits 2 with); a run that could check
nothing of a restore stops unless asked for a partial one; each target gets the budget the docs give it."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from restore_contract.emulator.config import config_from
from restore_contract.run.budget import DEFAULT_LIVE_BUDGET, DEFAULT_NIGHTLY_BUDGET
from restore_contract.run.configuration import RunSettings
from restore_contract.run.configuration import check_settings as check_whole
from restore_contract.run.coverage import NEEDS
from restore_contract.settings import DEFAULT_CASSETTE, SettingError, Settings, read
from restore_contract.targets.base import TargetConfigurationError

LIVE: dict[str, Any] = {"target": "live", "api_url": "https://api.example", "api_token": "t"}


def live(**given: Any) -> Settings:
    return Settings(**(LIVE | given))


def check_settings(values: Settings, emulator_options: Any, profile: str, *, preflight: bool = True) -> RunSettings:
    """The settings as `read` gives them to the check: with this profile and the emulator the options ask for."""
    emulator = config_from(emulator_options, {}, suite=True)
    return check_whole(dataclasses.replace(values, profile=profile, emulator=emulator), preflight=preflight)


def no_options(flag: str) -> Any:
    """pytest's getoption with no --emulator-… option given."""
    return None


def options(**given: Any) -> Any:
    return lambda flag: given.get(flag.removeprefix("--emulator-"))


def test_the_emulator_gets_the_options_asked_for_and_no_budget_unless_nightly() -> None:
    run = check_settings(Settings(), options(fault=["data-not-replaced"], data="memory"), "ci")
    assert run.target == "emulator"
    assert run.emulator is not None
    assert [fault.value for fault in run.emulator.faults] == ["data-not-replaced"]
    assert (run.emulator.data_plane, run.budget, run.live) == ("memory", None, None)
    assert check_settings(Settings(), no_options, "nightly").budget == DEFAULT_NIGHTLY_BUDGET
    assert check_settings(Settings(budget=90.0), no_options, "ci").budget == 90.0


def test_a_bad_emulator_option_is_one_line() -> None:
    with pytest.raises(SettingError, match=r"^bad --emulator-data 'disk': use one of "):
        read({}, {"emulator": {"--emulator-data": "disk"}})


def test_record_is_for_a_live_run() -> None:
    for target in ("emulator", "replay"):
        with pytest.raises(TargetConfigurationError, match=r"^--record records a --target live run"):
            check_settings(Settings(target=target, record="new"), no_options, "replay")


def test_a_replay_needs_its_cassette_recorded_with_the_profile_in_effect(tmp_path: Path) -> None:
    run = check_settings(Settings(target="replay"), no_options, "replay")
    assert (run.target, run.budget, run.emulator, run.live) == ("replay", None, None, None)
    with pytest.raises(TargetConfigurationError, match="recorded with the Hypothesis profile replay"):
        check_settings(Settings(target="replay", cassette=DEFAULT_CASSETTE), no_options, "ci")
    with pytest.raises(TargetConfigurationError, match=r"^no cassette at "):
        check_settings(Settings(target="replay", cassette=str(tmp_path / "none")), no_options, "replay")


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({}, [NEEDS["target"], NEEDS["backup"]]),
        ({"project_id": "proj_1"}, [NEEDS["backup"]]),
        ({"target_database_id": "db_csacrificial"}, [NEEDS["backup"]]),
        ({"source_database_id": "db_cgolden"}, [NEEDS["target"]]),
    ],
)
def test_a_live_run_that_could_check_no_restore_stops_naming_what_is_missing(
    given: dict[str, Any], missing: list[str]
) -> None:
    with pytest.raises(TargetConfigurationError) as stopped:
        check_settings(live(**given), no_options, "ci", preflight=False)
    said = f"this live run could not check a single restore; missing {'; and '.join(missing)} ("
    assert str(stopped.value).startswith(said)


def test_a_partial_live_run_goes_on_with_the_live_budget() -> None:
    run = check_settings(live(partial=True), no_options, "ci", preflight=False)
    assert run.live is not None
    assert (run.target, run.budget, run.emulator) == ("live", DEFAULT_LIVE_BUDGET, None)
    assert run.live.data_probe
    assert run.live.run_id != "recorded"
    complete = check_settings(
        live(project_id="proj_1", source_database_id="db_cgolden"), no_options, "nightly", preflight=False
    )
    assert complete.budget == DEFAULT_NIGHTLY_BUDGET


def test_a_recording_sends_what_its_replay_will(tmp_path: Path) -> None:
    """No budget (its replay has none: the same tests in the same order), no logins, a fixed run id."""
    settings = live(partial=True, record=str(tmp_path / "new"))
    run = check_settings(settings, no_options, "replay", preflight=False)
    assert run.live is not None
    assert (run.budget, run.live.run_id, run.live.data_probe) == (None, "recorded", False)


def test_a_recording_never_replaces_a_cassette_unless_forced() -> None:
    settings = live(partial=True, record=DEFAULT_CASSETTE)
    with pytest.raises(TargetConfigurationError, match=f"cassettes/{DEFAULT_CASSETTE} already holds a cassette"):
        check_settings(settings, no_options, "replay", preflight=False)
    forced = live(partial=True, record=DEFAULT_CASSETTE, record_force=True)
    assert check_settings(forced, no_options, "replay", preflight=False).live is not None


def test_the_preflight_reads_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the preflight asked for, the live target is made (its preflight reads the server) and closed at once."""
    made: list[str] = []

    class Target:
        def close(self) -> None:
            made.append("closed")

    def live_target(settings: Any) -> Target:
        made.append(settings.url)
        return Target()

    monkeypatch.setattr("restore_contract.run.configuration.live_target", live_target)
    check_settings(live(partial=True), no_options, "ci")
    assert made == ["https://api.example", "closed"]
    check_settings(live(partial=True), no_options, "ci", preflight=False)
    assert len(made) == 2
