"""The emulator's configuration, and each option that sets it, defined once for both command lines.

An option is ``--NAME`` on the server (``restore-emulator --clock manual``) and ``--emulator-NAME`` in the
suite (``pytest --emulator-clock manual``), whose defaults may come from environment variables.
"""

from __future__ import annotations

import math
import operator
import os
from collections.abc import Callable
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
    plane are the server's alone), whose default the suite reads from `env`. `flag` holds argparse's `add_argument`
    keywords (pytest's `addoption` takes them too); `convert` makes the field's value (ValueError on a bad one)."""

    def __init__(self, name: str, convert: Callable[[Any], Any] | None = None, *, env: str | None = None,
                 in_suite: bool = True, **flag: Any) -> None:  # fmt: skip
        self.name, self.convert, self.env, self.in_suite, self.flag = name, convert, env, in_suite, flag


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
    "postgres_dsn": Option("postgres-dsn", metavar="DSN", default=os.environ.get(POSTGRES_DSN_ENV),  # both read it
                           help="with {prefix}data postgres: use this server (a superuser DSN) instead of the embedded "
                           f"cluster (env {POSTGRES_DSN_ENV})"),
    "control_plane": Option("no-control-plane", operator.not_, action="store_true",
                            help="serve only the public /v1 API", in_suite=False),
}
# fmt: on


def add_options(add_option: Callable[..., object], *, suite: bool) -> None:
    """The server's options as `--NAME` to its argparse parser (`parser.add_argument`), or (`suite`) the suite's
    as `--emulator-NAME`, with defaults from the environment, to a pytest option group (`group.addoption`)."""
    prefix = SUITE_PREFIX if suite else "--"
    for option in OPTIONS.values():
        if suite and not option.in_suite:
            continue
        flag = dict(option.flag)
        if "help" in flag:
            flag["help"] = flag["help"].format(prefix=prefix)
        if suite and option.env is not None:
            listed = flag.get("action") == "append"
            value = os.environ.get(option.env)
            if value is not None:
                flag["default"] = [item for item in value.split(",") if item] if listed else value
            flag["help"] = f"{flag.get('help', '')} (env {option.env}{', comma-separated' if listed else ''})".strip()
        add_option(prefix + option.name, **flag)


def config_from(getoption: Callable[[str], Any], *, suite: bool) -> EmulatorConfig:
    """The configuration the options ask for: `getoption(flag)` reads one (for the suite, pass pytest's
    `config.getoption`); ValueError with a one-line message on a bad value."""
    prefix = SUITE_PREFIX if suite else "--"
    values = {}
    for name, option in OPTIONS.items():
        if suite and not option.in_suite:
            continue
        value, choices = getoption(prefix + option.name), option.flag.get("choices")
        if value is None:  # not given, and no default: the field's own default (an option's `off`)
            continue
        if choices is not None and value not in choices:  # a default from the environment is not checked
            raise ValueError(f"bad {prefix}{option.name} {value!r}: use one of {', '.join(choices)}")
        values[name] = value if option.convert is None else option.convert(value)
    return EmulatorConfig(**values)
