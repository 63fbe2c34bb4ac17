"""Every setting of the suite, declared once: its field, environment variable, command-line option, type, bounds,
default and help. `read` parses them all once into a frozen `Settings` (a command-line value wins over the
environment's, which wins over the default); a bad value is a `SettingError` whose one line names what the user set
(the option or the variable) and what it must be.

The emulator's own options (`--emulator-clock`, `--emulator-fault`, …) are declared in the emulator's table
(restore_contract/emulator/config.py), because the emulator's server command shares them and the emulator, the
server's stand-in, imports nothing of the suite; `read` parses them into `Settings.emulator` with the rest.

Only the edges read the environment and the command line: the plugin (restore_contract/plugin/) and each command's
`main` call `read` once and pass the frozen `Settings` down (tests/unit/test_layout.py holds the code to that).

The tokens are the settings with no option (`secret`): a command line is visible to every process on the machine and
is copied into CI logs and into the lines that rerun a failed test.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from restore_contract.emulator.config import OPTIONS as EMULATOR_OPTIONS
from restore_contract.emulator.config import SUITE_PREFIX, EmulatorConfig, config_from

TARGETS = ("emulator", "live", "replay")
DEFAULT_RESTORE_TIMEOUT = 480.0  # seconds: a staging restore of the small golden fixture, with room
DEFAULT_MAX_SCRATCH = 12
OTHER_SCRATCH = 5  # scratch databases besides the restore targets: a deleted one, a provisioning one, the lifecycle's 3
DEFAULT_STALE_HOURS = 24.0
DEFAULT_PROGRESS_SECONDS = 60.0
DEFAULT_CASSETTE = "emulator-http"
DEFAULT_PROFILE = "ci"
PROFILES = ("ci", "debug", "nightly", "replay", "meta")  # restore_contract/strategies/profiles.py defines each
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


class SettingError(ValueError):
    """One line: which setting, as the user set it, and what it must be."""


@dataclass(frozen=True)
class Settings:
    """The run's settings, parsed once. None: not set (the reader decides, e.g. the budget's profile default)."""

    target: str = "emulator"
    profile: str = DEFAULT_PROFILE
    record: str | None = None
    record_force: bool = False
    cassette: str = DEFAULT_CASSETTE
    partial: bool = False
    budget: float | None = None  # seconds; math.inf: `none`, no budget; None: the profile's or the target's default
    progress_seconds: float = DEFAULT_PROGRESS_SECONDS
    summary_json: str | None = None
    reports: str | None = None  # None: reports/ under the run's root folder
    upstream_openapi: str | None = None
    api_url: str | None = None
    api_token: str | None = None
    no_admin_token: str | None = None
    other_workspace_token: str | None = None
    other_workspace_project_id: str | None = None
    project_id: str | None = None
    target_database_id: str | None = None
    source_database_id: str | None = None
    backup_id: str | None = None
    restore_timeout: float = DEFAULT_RESTORE_TIMEOUT
    max_scratch: int = DEFAULT_MAX_SCRATCH
    stale_scratch_hours: float = DEFAULT_STALE_HOURS
    data_probe: bool = True
    step_summary: str | None = None  # GitHub Actions' job summary file
    # --target emulator: the in-process emulator's options (restore_contract/emulator/config.py)
    emulator: EmulatorConfig = field(default_factory=lambda: config_from(lambda flag: None, {}, suite=True))


# The parsers: text → value, or ValueError with what the value must be (the caller names the setting).
Parse = Callable[[str], Any]


def text(value: str) -> str | None:
    return value.strip() or None


def flag(value: str) -> bool:
    word = value.strip().lower()
    if word not in _TRUE + _FALSE:
        raise ValueError("1/true/yes/on or 0/false/no/off")
    return word in _TRUE


def on_off(value: str) -> bool:
    word = value.strip().lower() or "on"
    if word not in ("on", "off"):
        raise ValueError("on or off")
    return word == "on"


def number(unit: str, *, zero: bool = False) -> Parse:
    """A finite number of `unit` above 0 (0 itself too with `zero`). A negative timeout once let a run create its
    scratch databases and then fail on each of them."""

    def parse(value: str) -> float:
        try:
            parsed = float(value)
        except ValueError:
            parsed = math.nan
        if not (math.isfinite(parsed) and (parsed >= 0 if zero else parsed > 0)):
            raise ValueError(f"a number of {unit} {'0 or more' if zero else 'above 0'}")
        return parsed

    return parse


def whole(above: int, why: str) -> Parse:
    def parse(value: str) -> int:
        word = value.strip()
        if not (word.isascii() and word.isdigit() and int(word) > above):
            raise ValueError(f"a whole number above {above} ({why})")
        return int(word)

    return parse


def one_of(*choices: str) -> Parse:
    def parse(value: str) -> str:
        word = value.strip()
        if word not in choices:
            raise ValueError(f"one of {', '.join(choices)}")
        return word

    return parse


def budget(value: str) -> float:
    if value.strip().lower() == "none":
        return math.inf
    try:
        seconds: float = number("seconds")(value)
    except ValueError:
        raise ValueError("seconds above 0, or none") from None
    return seconds


@dataclass(frozen=True)
class Setting:
    field: str  # of Settings
    env: str
    option: str | None  # None: environment only (the tokens; see the module's docstring)
    parse: Parse
    help: str
    metavar: str = "VALUE"
    is_flag: bool = False  # an option without a value (`--partial`); its variable takes 1/0
    owned_by: str = ""  # another plugin adds the option (Hypothesis: --hypothesis-profile); read, not added
    secret: bool = False  # a token: never an option, never written anywhere (restore_contract/redaction)

    def source(self, from_option: bool) -> str:
        return str(self.option) if from_option else self.env


# fmt: off
TABLE: tuple[Setting, ...] = (
    Setting("target", "PRISMA_CONTRACT_TARGET", "--target", one_of(*TARGETS),
            f"what the contract suite runs against: {', '.join(TARGETS)} (default: the in-process emulator)", "NAME"),
    Setting("profile", "PRISMA_CONTRACT_PROFILE", "--hypothesis-profile", one_of(*PROFILES),
            f"the Hypothesis profile: {', '.join(PROFILES)} (default {DEFAULT_PROFILE})", "NAME",
            owned_by="hypothesis"),
    Setting("record", "PRISMA_CONTRACT_RECORD", "--record", text,
            "record this --target live run into cassettes/NAME/ (run with PRISMA_CONTRACT_PROFILE=replay)", "NAME"),
    Setting("record_force", "PRISMA_CONTRACT_RECORD_FORCE", "--record-force", flag,
            "let --record replace an existing cassette", is_flag=True),
    Setting("cassette", "PRISMA_CONTRACT_CASSETTE", "--cassette", text,
            f"the cassette --target replay plays (default: {DEFAULT_CASSETTE}, committed)", "NAME"),
    Setting("partial", "PRISMA_CONTRACT_PARTIAL", "--partial", flag,
            "let a live run go on that cannot check a successful restore (no database to restore into, or no golden "
            "source): it checks what it can and says what it could not", is_flag=True),
    Setting("budget", "PRISMA_CONTRACT_BUDGET", "--budget", budget,
            "the contract run's time budget: each test gets a share, the run ends inside it with every restore it "
            "started verified; `none` for no budget (default 1440 with the nightly profile, 600 on a live target, "
            "none otherwise)", "SECONDS"),
    Setting("progress_seconds", "PRISMA_CONTRACT_PROGRESS_SECONDS", "--progress-seconds",
            number("seconds", zero=True),
            f"seconds between progress lines in the terminal (0: none; default {DEFAULT_PROGRESS_SECONDS:.0f})",
            "SECONDS"),
    Setting("summary_json", "PRISMA_CONTRACT_SUMMARY_JSON", "--summary-json", text,
            "write the contract run's record as JSON: target, properties checked, restore answers, and how each test "
            "ended (a contract violation names its properties)", "PATH"),
    Setting("reports", "PRISMA_CONTRACT_REPORTS", "--reports", text,
            "where a contract run writes summary.json, summary.md and its pictures (default: reports/ in the "
            "run's root folder)", "DIR"),
    Setting("upstream_openapi", "PRISMA_UPSTREAM_OPENAPI", "--upstream-openapi", text,
            "upstream OpenAPI JSON for the drift test (default ../shared/reference/prisma-management-api.openapi.json)",
            "PATH"),
    Setting("api_url", "PRISMA_API_URL", "--api-url", text,
            "--target live: the API's origin (paths start with /v1), e.g. https://api.prisma.io", "URL"),
    Setting("api_token", "PRISMA_API_TOKEN", None, text, "--target live: the bearer (service) token", secret=True),
    Setting("no_admin_token", "PRISMA_CONTRACT_NO_ADMIN_TOKEN", None, text,
            "--target live, optional: a valid token of the same workspace WITHOUT the scope workspace:admin (e.g. a "
            "read-only service token); the run checks it cannot restore its scratch databases", secret=True),
    Setting("other_workspace_token", "PRISMA_CONTRACT_OTHER_WORKSPACE_TOKEN", None, text,
            "--target live, optional: an admin token of a SECOND workspace; the run checks it neither sees nor "
            "restores its databases", secret=True),
    Setting("other_workspace_project_id", "PRISMA_CONTRACT_OTHER_WORKSPACE_PROJECT_ID", "--other-workspace-project-id",
            text, "--target live, optional: a project of that second workspace, where the run creates (and deletes) "
            "one contract-scratch-… database to check it cannot restore from the golden source's backups", "ID"),
    Setting("project_id", "PRISMA_CONTRACT_PROJECT_ID", "--project-id", text,
            "--target live: the project in which the run creates (and deletes) its contract-… scratch databases",
            "ID"),
    Setting("target_database_id", "PRISMA_CONTRACT_TARGET_DATABASE_ID", "--target-database-id", text,
            "--target live: a sacrificial database (named contract-…) restores may overwrite", "ID"),
    Setting("source_database_id", "PRISMA_CONTRACT_SOURCE_DATABASE_ID", "--source-database-id", text,
            "--target live: the golden source, a database with at least one completed backup", "ID"),
    Setting("backup_id", "PRISMA_CONTRACT_BACKUP_ID", "--backup-id", text,
            "--target live: which of the golden source's backups to restore (default: any completed one)", "ID"),
    Setting("restore_timeout", "PRISMA_CONTRACT_RESTORE_TIMEOUT", "--restore-timeout", number("seconds"),
            f"--target live: seconds to wait for recovering → ready (default {DEFAULT_RESTORE_TIMEOUT:.0f}); longer "
            "is a restore that never ends", "SECONDS"),
    Setting("max_scratch", "PRISMA_CONTRACT_MAX_SCRATCH", "--max-scratch",
            whole(OTHER_SCRATCH, f"{OTHER_SCRATCH} scratch databases serve other tests, the rest are restored into"),
            f"--target live: scratch databases the run may hold at once (default {DEFAULT_MAX_SCRATCH})", "COUNT"),
    Setting("stale_scratch_hours", "PRISMA_CONTRACT_STALE_SCRATCH_HOURS", "--stale-scratch-hours",
            number("hours", zero=True),
            f"--target live: earlier runs' scratch databases older than this are deleted (default "
            f"{DEFAULT_STALE_HOURS:.0f}; never younger than 6 h)", "HOURS"),
    Setting("data_probe", "PRISMA_CONTRACT_DATA_PROBE", "--data-probe", on_off,
            "--target live: on (default) logs in with issued connection strings to check data and credentials; off "
            "where this machine cannot reach the databases", "on|off"),
    Setting("step_summary", "GITHUB_STEP_SUMMARY", None, text,
            "set by GitHub Actions: the run's summary.md is appended to this file, the job's summary page", "PATH"),
)
# fmt: on
BY_FIELD: Mapping[str, Setting] = {setting.field: setting for setting in TABLE}
SECRETS = frozenset(setting.field for setting in TABLE if setting.secret)
assert all(BY_FIELD[name].option is None for name in SECRETS), "a secret is never an option"
ENV: Mapping[str, str] = {setting.field: setting.env for setting in TABLE}  # field → its variable


def read(
    environ: Mapping[str, str], given: Mapping[str, Any] | None = None, only: Collection[str] | None = None
) -> Settings:
    """The settings: `given` (field → the command line's value, None or False when not given; `emulator` → the
    emulator's options by flag) over `environ` over the defaults; `only`: those fields, the others left at their
    defaults. SettingError names the first bad one as the user set it."""
    values: dict[str, Any] = {}
    if only is None:
        emulator_given: Mapping[str, Any] = (given or {}).get("emulator") or {}
        try:
            values["emulator"] = config_from(lambda flag: emulator_given.get(flag), environ, suite=True)
        except ValueError as error:
            raise SettingError(str(error)) from None
    for setting in TABLE if only is None else [BY_FIELD[name] for name in only]:
        option_value = (given or {}).get(setting.field)
        from_option = option_value not in (None, False)
        raw = ("1" if option_value is True else str(option_value)) if from_option else environ.get(setting.env)
        if raw is None or (not raw.strip() and not setting.is_flag):
            continue  # unset: the field's default
        try:
            values[setting.field] = setting.parse(raw)
        except ValueError as error:
            raise SettingError(f"{setting.source(from_option)} must be {error}, got {raw!r}") from None
    return Settings(**values)


def add_options(add_option: Callable[..., object]) -> None:
    """Every setting with an option, to a pytest option group (`group.addoption`): no default, so `read` can tell a
    value given on the command line from one of the environment."""
    for setting in TABLE:
        if setting.option is None or setting.owned_by:
            continue
        help_text = f"{setting.help} (env {setting.env})"
        if setting.is_flag:
            add_option(setting.option, action="store_true", default=False, help=help_text)
        else:
            add_option(setting.option, metavar=setting.metavar, default=None, help=help_text)


def given_options(getoption: Callable[[str], Any]) -> dict[str, Any]:
    """field → what the command line gave (`getoption` is pytest's `config.getoption`); `emulator` → the emulator's
    options, by flag."""
    given: dict[str, Any] = {setting.field: getoption(setting.option) for setting in TABLE if setting.option}
    flags = (SUITE_PREFIX + option.name for option in EMULATOR_OPTIONS.values() if option.in_suite)
    return given | {"emulator": {flag: getoption(flag) for flag in flags}}
