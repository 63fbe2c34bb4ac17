"""docs/configuration.md is the settings and emulator tables, rendered: it fails while the committed page differs
from a fresh render (a setting added, renamed, or its help changed without `python3 dev.py docs`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from restore_contract import settings
from restore_contract.commands import reference
from restore_contract.emulator import config as emulator_config


def test_the_committed_configuration_reference_is_current() -> None:
    committed = reference.PAGE.read_text(encoding="utf-8")
    assert committed == reference.render(), (
        "docs/configuration.md is out of date with restore_contract/settings.py or emulator/config.py: "
        "run python3 dev.py docs and commit the page"
    )


def test_the_reference_names_every_setting_and_every_emulator_option() -> None:
    page = reference.render()
    for setting in settings.TABLE:
        assert f"`{setting.env}`" in page
        assert setting.option is None or f"`{setting.option}`" in page
    for option in emulator_config.OPTIONS.values():
        assert f"`--{option.name}`" in page
        assert not option.in_suite or f"`{emulator_config.SUITE_PREFIX}{option.name}`" in page


def test_what_a_setting_accepts_is_its_parsers_own_message() -> None:
    page = reference.render()
    assert "| `PRISMA_CONTRACT_MAX_SCRATCH` | `--max-scratch` | COUNT | a whole number above 5" in page
    assert "| `PRISMA_CONTRACT_TARGET` | `--target` | NAME | one of emulator, live, replay | emulator |" in page


def test_the_check_command_fails_on_a_stale_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "configuration.md"
    stale.write_text(reference.render().replace("--max-scratch", "--max-scratches"), encoding="utf-8")
    monkeypatch.setattr(reference, "PAGE", stale)

    assert reference.main(["--check"]) == 1
    assert "out of date: run python3 dev.py docs" in capsys.readouterr().err
    assert reference.main([]) == 0  # rewrites it
    assert reference.main(["--check"]) == 0
