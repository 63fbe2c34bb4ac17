"""The settings table (restore_contract/settings.py): each setting declared once, parsed once, bounded, and settable
by its option as well as its variable; a bad value is one line naming what the user set."""

from __future__ import annotations

import argparse
import dataclasses
import math

import pytest

from restore_contract.settings import (
    BY_FIELD,
    TABLE,
    Setting,
    SettingError,
    Settings,
    add_options,
    given_options,
    read,
)


def test_each_field_has_exactly_one_row_and_each_row_its_own_variable_and_option() -> None:
    # emulator: the emulator's options, declared in their own table (restore_contract/emulator/config.py)
    assert [item.name for item in dataclasses.fields(Settings)] == [setting.field for setting in TABLE] + ["emulator"]
    envs = [setting.env for setting in TABLE]
    options = [setting.option for setting in TABLE if setting.option]
    assert len(set(envs)) == len(envs)
    assert len(set(options)) == len(options)
    secrets = ["api_token", "no_admin_token", "other_workspace_token"]
    # Only the tokens have no option (a command line is visible to every process and copied into logs), and the
    # file GitHub Actions names for the job's summary page.
    assert [setting.field for setting in TABLE if setting.option is None] == [*secrets, "step_summary"]
    assert [setting.field for setting in TABLE if setting.secret] == secrets


def test_unset_is_the_default_and_the_command_line_wins_over_the_environment() -> None:
    assert read({}) == Settings()
    environ = {"PRISMA_CONTRACT_RESTORE_TIMEOUT": "30", "PRISMA_CONTRACT_TARGET": "live"}
    assert read(environ).restore_timeout == 30
    both = read(environ, {"restore_timeout": "45", "target": None})
    assert (both.restore_timeout, both.target) == (45, "live")
    assert read({"PRISMA_CONTRACT_PARTIAL": "yes"}).partial
    assert read({}, {"partial": True}).partial
    assert not read({"PRISMA_CONTRACT_PARTIAL": "0"}).partial


@pytest.mark.parametrize(
    ("field", "text", "expected"),
    [
        ("budget", "90", 90.0),
        ("budget", "none", math.inf),
        ("progress_seconds", "0", 0.0),
        ("stale_scratch_hours", "0", 0.0),
        ("max_scratch", "6", 6),
        ("data_probe", "off", False),
        ("target", "replay", "replay"),
    ],
)
def test_a_good_value_is_parsed(field: str, text: str, expected: object) -> None:
    assert getattr(read({BY_FIELD[field].env: text}), field) == expected


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("budget", "-5", "PRISMA_CONTRACT_BUDGET must be seconds above 0, or none, got '-5'"),
        ("budget", "inf", "PRISMA_CONTRACT_BUDGET must be seconds above 0, or none"),
        ("budget", "soon", "PRISMA_CONTRACT_BUDGET must be seconds above 0, or none"),
        ("restore_timeout", "0", "PRISMA_CONTRACT_RESTORE_TIMEOUT must be a number of seconds above 0, got '0'"),
        ("restore_timeout", "-1", "PRISMA_CONTRACT_RESTORE_TIMEOUT must be a number of seconds above 0"),
        ("restore_timeout", "nan", "PRISMA_CONTRACT_RESTORE_TIMEOUT must be a number of seconds above 0"),
        ("progress_seconds", "-1", "PRISMA_CONTRACT_PROGRESS_SECONDS must be a number of seconds 0 or more"),
        ("stale_scratch_hours", "-2", "PRISMA_CONTRACT_STALE_SCRATCH_HOURS must be a number of hours 0 or more"),
        ("max_scratch", "5", "PRISMA_CONTRACT_MAX_SCRATCH must be a whole number above 5"),
        ("max_scratch", "7.5", "PRISMA_CONTRACT_MAX_SCRATCH must be a whole number above 5"),
        ("data_probe", "maybe", "PRISMA_CONTRACT_DATA_PROBE must be on or off"),
        ("target", "emulater", "PRISMA_CONTRACT_TARGET must be one of emulator, live, replay, got 'emulater'"),
        ("partial", "perhaps", "PRISMA_CONTRACT_PARTIAL must be 1/true/yes/on or 0/false/no/off"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(field: str, text: str, message: str) -> None:
    with pytest.raises(SettingError) as raised:
        read({BY_FIELD[field].env: text})
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


def test_a_bad_option_is_named_as_the_option() -> None:
    with pytest.raises(SettingError, match=r"^--restore-timeout must be a number of seconds above 0, got '-3'$"):
        read({"PRISMA_CONTRACT_RESTORE_TIMEOUT": "30"}, {"restore_timeout": "-3"})


# Two good values of each setting: the variable's, then the option's (a flag's option is True).
BOTH_VALUES = {
    "target": ("live", "replay"),
    "budget": ("90", "45"),
    "progress_seconds": ("30", "5"),
    "restore_timeout": ("30", "45"),
    "max_scratch": ("8", "9"),
    "stale_scratch_hours": ("30", "12"),
    "data_probe": ("on", "off"),
    "record_force": ("0", True),
    "partial": ("0", True),
}


@pytest.mark.parametrize("setting", [s for s in TABLE if s.option and not s.owned_by], ids=lambda s: s.field)
def test_every_option_wins_over_its_variable(setting: Setting) -> None:
    """README: each setting "is also an option that wins over its variable", through the options as declared."""
    from_env, from_option = BOTH_VALUES.get(setting.field, ("from-the-variable", "from-the-option"))
    parser = argparse.ArgumentParser()
    add_options(parser.add_argument)
    option = str(setting.option)
    argv = [option] if from_option is True else [option, str(from_option)]
    namespace = vars(parser.parse_args(argv))
    given = given_options(lambda option: namespace.get(option.lstrip("-").replace("-", "_")))
    value = getattr(read({setting.env: str(from_env)}, given), setting.field)
    assert value == setting.parse("1" if from_option is True else str(from_option))
    assert value != getattr(read({setting.env: str(from_env)}), setting.field)


def test_unset_settings_are_the_defaults_the_readme_documents() -> None:
    """README (Live): restore timeout 480 s, 12 scratch databases, stale after 24 h, a progress line every 60 s,
    the data probe on; and a timeout may be any number of seconds above 0, a fraction too."""
    unset = read({})
    assert (unset.restore_timeout, unset.max_scratch, unset.stale_scratch_hours) == (480, 12, 24)
    assert (unset.progress_seconds, unset.data_probe, unset.partial, unset.budget) == (60, True, False, None)
    assert not unset.record_force, "README: record refuses to replace a cassette unless given --force"
    assert read({"PRISMA_CONTRACT_RESTORE_TIMEOUT": "0.5"}).restore_timeout == 0.5
    assert read({"PRISMA_CONTRACT_BUDGET": " ", "PRISMA_CONTRACT_TARGET": ""}) == unset, "a blank variable is unset"
    parser = argparse.ArgumentParser()
    add_options(parser.add_argument)
    namespace = vars(parser.parse_args([]))
    assert read({}, given_options(lambda option: namespace.get(option.lstrip("-").replace("-", "_")))) == unset
