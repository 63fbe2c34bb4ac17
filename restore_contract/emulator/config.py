"""The emulator's configuration, and each option that sets it, defined once for both command lines.

An option is ``--NAME`` on the server (``restore-emulator --clock manual``) and ``--emulator-NAME`` in the
suite (``pytest --emulator-clock manual``), whose defaults may come from environment variables. The environment is
read only where a command line is parsed (`config_from` is handed it), never at import or at option registration:
a process reads its settings once, at its edge (restore_contract/settings.py `read` for the suite).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from restore_contract.emulator.clock import ClockConfig
from restore_contract.emulator.dataplane import DATA_PLANES, POSTGRES_DSN_ENV
from restore_contract.emulator.faults import Fault, parse_faults
from restore_contract.emulator.ids import IdStyle

DEFAULT_TOKEN = "emulator-token"
SUITE_PREFIX = "--emulator-"


@dataclass(frozen=True)
class EmulatorConfig:
    token: str = DEFAULT_TOKEN  # an admin token of the default workspace; the control plane mints others
    # What a restore with a valid token lacking workspace:admin gets: the docs declare 401 for restore, the other
    # database routes 403 (403 by default: the natural answer; 401 shows the suite accepts both).
    missing_scope_status: int = 403
    clock: ClockConfig = field(default_factory=ClockConfig)
    faults: frozenset[Fault] = frozenset()
    id_style: IdStyle = IdStyle.CUID
    alias_unprefixed: bool = True  # does `c…` reach the database `db_c…`?
    backups_newest_first: bool = True
    seed: int = 0
    base_url: str | None = None  # for the `url` fields; default: the request's own origin
    control_plane: bool = True
    # `memory` for the library default (fast, what the emulator's own tests use); the server command and
    # the contract suite ask for `postgres`, whose connection strings really log in.
    data_plane: str = "memory"
    postgres_dsn: str | None = None  # `postgres` on this server instead of the embedded cluster
    # Staging's behaviours (`emulator.staging`), off by default: the emulator then answers at once, always.
    latency: float = 0.0  # seconds added to every public answer
    rate_limit: int | None = None  # public requests admitted per second
    transient_503: float = 0.0  # the probability that a public GET answers 503
    provisioning: float | None = None  # seconds a new database is provisioning; None: as `clock` says


def parse_seconds(text: str) -> float:
    """``0.25``: a finite number of seconds, not negative."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds >= 0):
        raise ValueError(f"bad seconds {text!r}: use a number >= 0")
    return seconds


def parse_rate(text: str) -> int:
    """``10``: requests per second, a whole number >= 1."""
    if not (text.isascii() and text.isdigit() and int(text) >= 1):
        raise ValueError(f"bad rate limit {text!r}: use a whole number of requests per second >= 1")
    return int(text)


def parse_probability(text: str) -> float:
    """``0.1``: a probability, from 0 to 1."""
    try:
        probability = float(text)
    except ValueError:
        probability = math.nan
    if not 0 <= probability <= 1:  # NaN fails this too
        raise ValueError(f"bad probability {text!r}: use a number from 0 to 1")
    return probability


class Option:
    """The server's `--NAME`, the suite's `--emulator-NAME` (unless not `in_suite`: the token, the seed and the control
    plane are the server's alone), whose default the suite reads from `env` (the server too with `server_env`).
    `flag` holds argparse's `add_argument` keywords (pytest's `addoption` takes them too); `convert` makes the field's
    value (ValueError on a bad one)."""

    def __init__(self, name: str, convert: Callable[[Any], Any] | None = None, *, env: str | None = None,
                 in_suite: bool = True, server_env: bool = False, **flag: Any) -> None:  # fmt: skip
        self.name, self.convert, self.env, self.in_suite, self.flag = name, convert, env, in_suite, flag
        self.server_env = server_env

    def reads_env(self, suite: bool) -> bool:
        return self.env is not None and (suite or self.server_env)

    @property
    def listed(self) -> bool:
        return self.flag.get("action") == "append"


# fmt: off
OPTIONS = {  # `EmulatorConfig` field: the option that sets it, in the order `--help` lists them
    "token": Option("token", default=DEFAULT_TOKEN, help="the bearer token clients must send", in_suite=False),
    "missing_scope_status": Option("missing-scope-status", int, choices=["401", "403"], default="403",
                                   metavar="STATUS",
                                   help="the answer to a restore with a token lacking workspace:admin: 401 or 403"),
    "clock": Option("clock", ClockConfig.parse, default="immediate", metavar="CLOCK",
                    help="immediate | manual | reads:N | seconds:T", env="PRISMA_CONTRACT_EMULATOR_CLOCK"),
    "faults": Option("fault", parse_faults, action="append", default=[], metavar="NAME",
                     help="turn a fault on (repeatable)", env="PRISMA_CONTRACT_FAULTS"),
    "id_style": Option("id-style", IdStyle, choices=[style.value for style in IdStyle], default=IdStyle.CUID.value,
                       help="the id format minted: cuid (db_c…) or cuid2"),
    "alias_unprefixed": Option("no-alias", operator.not_, action="store_true",
                               help="unprefixed ids do not reach db_ databases"),
    "backups_newest_first": Option("backups-oldest-first", operator.not_, action="store_true",
                                   help="list backups oldest first (default: newest first)"),
    "latency": Option("latency", parse_seconds, metavar="SECONDS", help="delay every /v1 answer by SECONDS"),
    "rate_limit": Option("rate-limit", parse_rate, metavar="PER_SECOND",
                         help="admit at most PER_SECOND /v1 requests in any second; the others answer 429 with "
                         "Retry-After, unexecuted"),
    "transient_503": Option("transient-503", parse_probability, metavar="PROBABILITY",
                            help="answer a /v1 GET 503 with Retry-After: 1, unexecuted, at this probability (a "
                            "seeded sequence: the same in every run)"),
    "provisioning": Option("provisioning", parse_seconds, metavar="SECONDS",
                           help="a new database is provisioning for SECONDS of wall time, whatever {prefix}clock "
                           "says (recovery keeps to the clock)"),
    "seed": Option("seed", type=int, default=0, metavar="N", in_suite=False,
                   help="seeds the ids minted and the sequence of --transient-503 answers"),
    "data_plane": Option("data", choices=DATA_PLANES, default="postgres", env="PRISMA_CONTRACT_EMULATOR_DATA",
                         help="postgres: each database is a real PostgreSQL database (embedded cluster, ~1 s to "
                         "start); memory: plain Python objects, no connection string works"),
    "postgres_dsn": Option("postgres-dsn", metavar="DSN", env=POSTGRES_DSN_ENV, server_env=True,
                           help="with {prefix}data postgres: use this server (a superuser DSN) instead of the embedded "
                           "cluster"),
    "control_plane": Option("no-control-plane", operator.not_, action="store_true",
                            help="serve only the public /v1 API", in_suite=False),
}
# fmt: on


def add_options(add_option: Callable[..., object], *, suite: bool) -> None:
    """The server's options as `--NAME` to its argparse parser (`parser.add_argument`), or (`suite`) the suite's
    as `--emulator-NAME` to a pytest option group (`group.addoption`). An option with a variable has no default here
    (None: not given), so `config_from` can tell the command line's value from the environment's."""
    prefix = SUITE_PREFIX if suite else "--"
    for option in OPTIONS.values():
        if suite and not option.in_suite:
            continue
        flag = dict(option.flag)
        if "help" in flag:
            flag["help"] = flag["help"].format(prefix=prefix)
        if option.reads_env(suite):
            flag["default"] = None
            comma = ", comma-separated" if option.listed else ""
            flag["help"] = f"{flag.get('help', '')} (env {option.env}{comma})".strip()
        add_option(prefix + option.name, **flag)


def config_from(getoption: Callable[[str], Any], environ: Mapping[str, str], *, suite: bool) -> EmulatorConfig:
    """The configuration the options ask for: `getoption(flag)` reads one (for the suite, pass pytest's
    `config.getoption`), over `environ` for an option with a variable, over the option's default; ValueError with a
    one-line message naming the option or variable on a bad value."""
    prefix = SUITE_PREFIX if suite else "--"
    values = {}
    for name, option in OPTIONS.items():
        if suite and not option.in_suite:
            continue
        source, value = prefix + option.name, getoption(prefix + option.name)
        if value is None and option.reads_env(suite) and environ.get(option.env or ""):
            source, raw = str(option.env), environ[str(option.env)]
            value = [item for item in raw.split(",") if item] if option.listed else raw
        if value is None:
            value = option.flag.get("default")
        if value is None:  # not given, and no default: the field's own default (an option's `off`)
            continue
        choices = option.flag.get("choices")
        if choices is not None and value not in choices:
            raise ValueError(f"bad {source} {value!r}: use one of {', '.join(choices)}")
        try:
            values[name] = value if option.convert is None else option.convert(value)
        except ValueError as error:
            raise ValueError(f"{source}: {error}") from None
    return EmulatorConfig(**values)


def server_args(config: EmulatorConfig) -> list[str]:
    """The server's options (`restore-emulator …`) that make the emulator `config` describes, as far as the suite's
    options set it: what a failed test's 'reproduce' section starts. The DSN is left out (it may hold a password;
    the server reads its variable too)."""
    default = EmulatorConfig(data_plane=str(OPTIONS["data_plane"].flag["default"]))
    args: list[str] = []
    for name, option in OPTIONS.items():
        value = getattr(config, name)
        if not option.in_suite or name == "postgres_dsn" or value == getattr(default, name):
            continue
        flag = f"--{option.name}"
        if option.flag.get("action") == "store_true":
            args.append(flag)  # each such option turns its field's default over
        elif option.listed:
            args += [part for item in sorted(value) for part in (flag, str(getattr(item, "value", item)))]
        else:
            shown = value.describe() if isinstance(value, ClockConfig) else getattr(value, "value", value)
            args += [flag, str(shown)]
    return args
