"""Failure messages a person can act on: which property broke, the request as curl, the answer, and how to run
that test again, the same way, by pasting one command."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from restore_contract import workspace
from restore_contract.redaction import SECRET_HEADERS, scrub_text
from restore_contract.settings import ENV
from restore_contract.targets.emulator import BASE_URL as EMULATOR_URL

NOISE_HEADERS = {"host", "content-length", "accept-encoding", "connection", "user-agent", "accept"}
ROOT = workspace.root()
DEV = ROOT / "dev.py"  # sets up the virtualenv and runs pytest in it, from the project: works from anywhere
# Arguments that chose the tests or where the run wrote: a rerun chooses its one test and overwrites nothing.
DROPPED_WITH_VALUE = {"-k", "-m", "--deselect", "--ignore", "--ignore-glob", "--summary-json", "--junitxml",
                      "--junit-xml", "--record", "--rootdir"}  # fmt: skip
DROPPED_FLAGS = {"--lf", "--last-failed", "--ff", "--failed-first", "--nf", "--new-first", "--sw", "--stepwise",
                 "--sw-skip", "--stepwise-skip", "--record-force"}  # fmt: skip
DROPPED_ENV = {ENV["summary_json"], ENV["record"], ENV["record_force"]}
# Never printed: the command names the shell's variable instead (a DSN may hold a password).
SECRET_ENV_PARTS = ("TOKEN", "PASSWORD", "SECRET", "DSN")
PROFILE_ENV = ENV["profile"]


def curl(request: httpx.Request) -> str:
    """The request as a curl command, with the token redacted."""
    parts = ["curl", "-X", request.method, shlex.quote(str(request.url))]
    for name, value in request.headers.items():
        lowered = name.lower()
        if lowered in NOISE_HEADERS or lowered.startswith("x-schemathesis"):
            continue
        if lowered in SECRET_HEADERS:
            value = "Bearer [REDACTED]" if lowered == "authorization" else "[REDACTED]"
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    if request.content:
        parts += ["--data-binary", shlex.quote(request.content.decode("utf-8", "backslashreplace"))]
    return " ".join(parts)


# Where the curl line's URL points, per target kind.
_SENT_TO = {
    "emulator": f"{EMULATOR_URL} is the run's in-process emulator: 'reproduce' below starts one that answers",
    "live": "sent to PRISMA_API_URL: put your token in for [REDACTED]",
    "replay": "as recorded: the replay answered it from the cassette, not from that server",
}


def explain_failure(properties: list[tuple[str, str]], response: httpx.Response, target: str) -> str:
    """`properties`: (name, message) of each broken property; `target`: the target's kind."""
    body = response.text if len(response.text) <= 2000 else response.text[:2000] + "…"
    lines = [f"{len(properties)} propert{'y' if len(properties) == 1 else 'ies'} broken:"]
    for name, message in properties:
        lines.append(f"- {name}: " + message.replace("\n", "\n    "))
    lines += [
        "Request (token redacted):",
        f"  {curl(response.request)}",
        f"  ({_SENT_TO.get(target, f'sent to the {target} target')})",
        f"Response: {response.status_code} {response.headers.get('content-type', '(no content type)')}",
        f"  {body}",
        "Reproduce: the command under 'reproduce' below runs this test again, the same way; where Hypothesis prints"
        " a seed or a @reproduce_failure blob, that replays this exact case (PRISMA_CONTRACT_PROFILE=debug shrinks"
        " it to a minimal one)",
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class Invocation:
    """How a run was started: its command line, which of those arguments named tests, the folder it started in,
    and the suite's settings in the environment (PRISMA_*)."""

    args: tuple[str, ...]
    tests: tuple[str, ...]
    directory: Path
    env: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, args: Iterable[str], tests: Iterable[str], directory: Path, environ: Mapping[str, str]) -> Invocation:
        settings = {name: value for name, value in environ.items() if name.startswith("PRISMA_")}
        return cls(tuple(args), tuple(tests), Path(directory), settings)


def rerun_id(nodeid: str, name: str) -> str:
    """The id that selects exactly this test. Schemathesis gives every operation of a test the test's node id;
    pytest selects one operation's test as `NODEID::NAME` (the operation is in the name)."""
    return nodeid if nodeid.rsplit("::", 1)[-1] == name else f"{nodeid}::{name}"


def rerun_command(test: str, invocation: Invocation, profile: str) -> str:
    """`python3 …/dev.py contract TEST` with the run's options and settings: pasted into a shell, anywhere, it
    runs that one test against the same target, configured the same way. `profile`: the one in effect."""
    env = {name: value for name, value in invocation.env.items() if name not in DROPPED_ENV}
    env[PROFILE_ENV] = profile  # explicit, whatever the shell it is pasted into exports
    assignments = [_assignment(name, value, invocation.directory) for name, value in sorted(env.items())]
    # From a checkout, dev.py (it sets the virtualenv up); from an install, the console command of that install.
    runner = ["python3", str(DEV), "contract"] if workspace.CHECKOUT is not None else ["restore-contract", "run"]
    command = [*runner, test, *_rerun_options(invocation)]
    return scrub_text(" ".join([*assignments, *map(shlex.quote, command)]))  # a DSN's password, typed as an option


def reproduce(test: str, invocation: Invocation, profile: str, emulator_options: Sequence[str] | None) -> str:
    """The 'reproduce' section of a failed contract test; `emulator_options`: the server options of the
    in-process emulator the test ran against (None: another target)."""
    lines = ["This test again, the same way (paste it):", f"  {rerun_command(test, invocation, profile)}"]
    if emulator_options is not None:
        server = scrub_text(
            shlex.join([sys.executable, "-m", "restore_contract.emulator", "--port", "8787", *emulator_options])
        )
        lines += [
            f"Its curl by hand: start the same emulator as a server and send it to the URL it prints instead of "
            f"{EMULATOR_URL} (a fresh emulator: the ids of this run's databases are not there; create them first):",
            f"  {server}",
        ]
    return "\n".join(lines)


def _rerun_options(invocation: Invocation) -> list[str]:
    kept: list[str] = []
    skip_value = False
    for arg in invocation.args:
        if skip_value:
            skip_value = False
            continue
        name = arg.partition("=")[0] if arg.startswith("--") else arg[:2]
        if name in DROPPED_WITH_VALUE:
            skip_value = arg == name  # `-k EXPR`; `-kEXPR` and `--opt=value` hold their value
        elif arg not in invocation.tests and arg not in DROPPED_FLAGS:
            kept.append(_from_project(arg, invocation.directory))
    return kept


def _assignment(name: str, value: str, directory: Path) -> str:
    if any(part in name for part in SECRET_ENV_PARTS):
        return f'{name}="${name}"'
    return f"{name}={shlex.quote(_from_project(value, directory))}"


def _from_project(arg: str, directory: Path) -> str:
    """`arg` with a relative path made absolute: dev.py runs pytest from the project, the run may have started
    elsewhere. Only what has a `/` and exists there counts as a path (not `live`, not a cassette's name)."""
    option, equals, value = arg.partition("=") if arg.startswith("--") else ("", "", arg)
    if "/" in value and not Path(value).is_absolute() and directory != ROOT and (directory / value).exists():
        value = str(directory / value)
    return f"{option}{equals}{value}"
