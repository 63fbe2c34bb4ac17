"""Each emulator option, defined once in `emulator.config`, means the same on the server and in the suite."""

from __future__ import annotations

import argparse
import os
from typing import Any

import pytest

from restore_contract.emulator import ClockConfig, EmulatorConfig, Fault, IdStyle
from restore_contract.emulator.config import add_options, config_from, server_args
from restore_contract.emulator.dataplane import POSTGRES_DSN_ENV

SERVER_ARGS = ["--clock", "reads:3", "--fault", "auth-ignored", "--id-style", "cuid2", "--no-alias", "--data", "memory"]
SERVER_ARGS += ["--latency", "0.25", "--rate-limit", "5", "--transient-503", "0.1", "--provisioning", "2"]
SUITE_ARGS = [arg.replace("--", "--emulator-", 1) for arg in SERVER_ARGS]
DSN = os.environ.get(POSTGRES_DSN_ENV)


def _config(argv: list[str], *, suite: bool, environ: dict[str, str] | None = None) -> EmulatorConfig:
    """What `argv` asks for, parsed as the server parses it (or as pytest's option group does: both are argparse),
    over `environ` (default: this process's)."""
    parser = argparse.ArgumentParser()
    add_options(parser.add_argument, suite=suite)
    args = parser.parse_args(argv)

    def getoption(flag: str) -> Any:
        return getattr(args, flag.removeprefix("--").replace("-", "_"))

    return config_from(getoption, os.environ if environ is None else environ, suite=suite)


def test_the_server_and_the_suite_read_the_options_alike() -> None:
    expected = EmulatorConfig(
        clock=ClockConfig("reads", reads=3),
        faults=frozenset({Fault.AUTH_IGNORED}),
        id_style=IdStyle.CUID2,
        alias_unprefixed=False,
        data_plane="memory",
        postgres_dsn=DSN,
        latency=0.25,
        rate_limit=5,
        transient_503=0.1,
        provisioning=2.0,
    )

    assert _config(SERVER_ARGS, suite=False) == _config(SUITE_ARGS, suite=True) == expected


def test_without_options_both_run_postgres_with_the_defaults() -> None:
    expected = EmulatorConfig(data_plane="postgres", postgres_dsn=DSN)

    assert _config([], suite=False) == _config([], suite=True) == expected


def test_only_the_suite_takes_defaults_from_its_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRISMA_CONTRACT_FAULTS", "auth-ignored,content-type-wrong")
    monkeypatch.setenv("PRISMA_CONTRACT_EMULATOR_CLOCK", "manual")

    suite, server = _config([], suite=True), _config([], suite=False)

    assert (suite.faults, suite.clock) == (
        frozenset({Fault.AUTH_IGNORED, Fault.CONTENT_TYPE_WRONG}),
        ClockConfig("manual"),
    )
    assert (server.faults, server.clock) == (frozenset(), ClockConfig())


def test_the_server_alone_has_the_token_seed_and_control_plane_options() -> None:
    server = _config(["--token", "t", "--seed", "7", "--no-control-plane"], suite=False)

    assert (server.token, server.seed, server.control_plane) == ("t", 7, False)
    with pytest.raises(SystemExit):
        _config(["--emulator-token", "t"], suite=True)


@pytest.mark.parametrize(
    ("argv", "env", "names"),
    [
        (["--emulator-clock", "soon"], {}, "'soon'"),
        (["--emulator-fault", "nope"], {}, Fault.AUTH_IGNORED.value),
        ([], {"PRISMA_CONTRACT_EMULATOR_DATA": "disk"}, "PRISMA_CONTRACT_EMULATOR_DATA 'disk'"),
        (["--emulator-latency", "-1"], {}, "'-1'"),
        (["--emulator-rate-limit", "0"], {}, "'0'"),
        (["--emulator-rate-limit", "2.5"], {}, "'2.5'"),
        (["--emulator-transient-503", "1.5"], {}, "'1.5'"),
        (["--emulator-provisioning", "nan"], {}, "'nan'"),
    ],
    ids=[
        "clock",
        "fault",
        "data from the environment",
        "latency",
        "rate limit 0",
        "rate limit not whole",
        "probability",
        "seconds",
    ],
)
def test_a_bad_value_is_a_one_line_value_error(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], env: dict[str, str], names: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(ValueError, match=r"^[^\n]+$") as raised:
        _config(argv, suite=True)
    assert names in str(raised.value)


@pytest.mark.parametrize(
    "argv",
    [
        [],
        SUITE_ARGS,
        ["--emulator-fault", "scope-ignored", "--emulator-fault", "auth-ignored", "--emulator-backups-oldest-first"],
        ["--emulator-clock", "seconds:0.5", "--emulator-missing-scope-status", "401", "--emulator-id-style", "cuid2"],
    ],
    ids=["defaults", "every kind of option", "two faults", "clock in seconds"],
)
def test_a_failed_tests_reproduce_line_starts_the_same_emulator(argv: list[str]) -> None:
    """`server_args` is what a failed test's 'reproduce' section passes to `restore-emulator`: the server it starts is
    the one the suite ran (the DSN left out of the line: its variable reaches the server as it reached the suite)."""
    suite = _config(argv, suite=True, environ={})

    assert _config(server_args(suite), suite=False, environ={}) == suite
