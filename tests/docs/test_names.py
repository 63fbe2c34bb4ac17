"""Every `--option` and every `PRISMA_*` variable the README and docs/ name exists: in the settings table, the
emulator's options, pytest's options as this run has them (its plugins', the suite's included), or the command line
of one of the project's commands. Renaming an option or a variable without the docs fails here."""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from restore_contract import settings
from restore_contract.commands import cli, seed_golden
from restore_contract.emulator import config as emulator_config
from restore_contract.emulator.__main__ import build_parser
from restore_contract.emulator.dataplane import POSTGRES_DSN_ENV
from restore_contract.parity import __main__ as parity
from tests.docs.pages import PAGES, ROOT

OPTION = re.compile(r"(?<![\w/.-])--[a-z0-9][a-z0-9-]*")
VARIABLE = re.compile(r"\bPRISMA_[A-Z0-9_]+")
# Options of programs that are not the project's, named in the docs' examples.
OTHERS = {"--data-binary": "curl, in a failure's request", "--check": "ruff format --check"}


def _help_of(parse: Callable[[], object]) -> str:
    """What an argparse command prints for --help."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        parse()
    return out.getvalue()


def _commands_options() -> set[str]:
    texts = [
        build_parser().format_help(),
        cli.help_parser().format_help(),
        _help_of(lambda: parity.parse_args(["record", "--help"])),
        _help_of(lambda: parity.parse_args(["compare", "--help"])),
        _help_of(lambda: seed_golden.parse_args(["--help"])),
        (ROOT / "dev.py").read_text(encoding="utf-8").split('"""')[1],  # dev.py's --help
        *(re.findall(r"add_argument\(\s*\"(--[\w-]+)\"", path.read_text()) for path in (ROOT / "bench").glob("*.py")),
    ]
    return {option for text in texts for option in OPTION.findall(str(text))}


KNOWN_VARIABLES = (
    {setting.env for setting in settings.TABLE}
    | {option.env for option in emulator_config.OPTIONS.values() if option.env}
    | {POSTGRES_DSN_ENV}
)


def named(pattern: re.Pattern[str]) -> Iterator[tuple[str, Path]]:
    for page in PAGES:
        for name in sorted(set(pattern.findall(page.read_text(encoding="utf-8")))):
            yield name, page


@pytest.fixture(scope="module")
def commands_options() -> set[str]:
    return _commands_options()


def known_option(option: str, pytestconfig: pytest.Config, commands_options: set[str]) -> bool:
    if option.endswith("-"):  # `--emulator-…`: a prefix some option has
        return any(known.startswith(option) for known in [*commands_options, *suite_options()])
    if option in commands_options or option in OTHERS:
        return True
    try:
        pytestconfig.getoption(option)  # pytest's, its plugins' and the suite's (the settings table, --emulator-…)
    except ValueError:
        return False
    return True


def suite_options() -> list[str]:
    return [setting.option for setting in settings.TABLE if setting.option] + [
        emulator_config.SUITE_PREFIX + option.name for option in emulator_config.OPTIONS.values() if option.in_suite
    ]


def test_every_option_named_in_the_docs_exists(pytestconfig: pytest.Config, commands_options: set[str]) -> None:
    unknown = [
        f"{page.relative_to(ROOT)}: {option}"
        for option, page in named(OPTION)
        if not known_option(option, pytestconfig, commands_options)
    ]
    assert not unknown, "options named in the docs that no command has (renamed?):\n" + "\n".join(unknown)


def test_every_variable_named_in_the_docs_exists() -> None:
    unknown = [
        f"{page.relative_to(ROOT)}: {name}"
        for name, page in named(VARIABLE)
        if not (name in KNOWN_VARIABLES or (name.endswith("_") and any(v.startswith(name) for v in KNOWN_VARIABLES)))
    ]
    assert not unknown, "PRISMA_* variables named in the docs that no table declares (renamed?):\n" + "\n".join(unknown)


def test_every_setting_and_emulator_option_is_in_the_docs() -> None:
    """The other way round: the reference (generated) names each, so a new setting reaches the docs with it."""
    text = "\n".join(page.read_text(encoding="utf-8") for page in PAGES)
    missing = [name for name in [*KNOWN_VARIABLES, *suite_options()] if name not in text]
    assert not missing, missing


def test_a_renamed_option_is_caught(pytestconfig: pytest.Config, commands_options: set[str]) -> None:
    assert known_option("--max-scratch", pytestconfig, commands_options)
    assert not known_option("--max-scratches", pytestconfig, commands_options)
    assert known_option("--emulator-", pytestconfig, commands_options)
    assert not known_option("--emulater-", pytestconfig, commands_options)
