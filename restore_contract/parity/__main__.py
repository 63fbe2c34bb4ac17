"""`restore_contract.parity record NAME` / `restore_contract.parity compare NAME [--emulator-… options]`.

record   runs the scenario against the live target the environment names (PRISMA_API_URL, PRISMA_API_TOKEN,
         PRISMA_CONTRACT_PROJECT_ID, PRISMA_CONTRACT_SOURCE_DATABASE_ID) and writes parity/snapshots/NAME.json
         (labelled `live <api>` unless --label says otherwise: the origin is normalised, as in the snapshot)
compare  runs it against the in-process emulator (with any --emulator-… option; its clock reads:1 unless given), or
         `--against` another snapshot, and prints the parity report: contract-relevant divergences one by one,
         docs-silent ones counted per kind (--show-silent lists each)

Exit codes: 0 no unlisted contract-relevant divergence (docs-silent ones and stale entries are reported, and fail
nothing), 1 an unlisted contract-relevant divergence, 2 bad input or a scenario that could not go on (one line), 75
the API stayed rate-limited or unavailable (as the contract suite).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import NoReturn

import httpx

from restore_contract.emulator.config import OPTIONS, add_options, config_from
from restore_contract.parity import known, report
from restore_contract.parity.compare import compare
from restore_contract.parity.record import record_emulator, record_live
from restore_contract.parity.scenario import ScenarioError
from restore_contract.parity.snapshot import SNAPSHOTS, Snapshot, SnapshotError, load, path_of, save
from restore_contract.settings import read
from restore_contract.targets import TargetConfigurationError
from restore_contract.targets.live import LiveSettings
from restore_contract.targets.transient import RetriesExhausted

PROG = "python -m restore_contract.parity"
RATE_LIMITED = 75  # EX_TEMPFAIL
# The in-process emulator's clock unless --emulator-clock (or its environment variable) says otherwise: a transient
# status outlives one read, so the scenario's read just before each 409-window restore sees the window open, as on a
# server whose provisioning and recovery take seconds (`immediate` would close it: a fast server).
CLOCK = "reads:1"


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """Bad input is one line (argparse would print the usage first)."""
        self.exit(2, f"parity: {message} (see {self.prog} --help)\n")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = Parser(prog=PROG, description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    record = commands.add_parser("record", help="record a snapshot against the live target of the environment")
    record.add_argument("name", help="the snapshot's name (written to DIR/NAME.json)")
    record.add_argument("--dir", type=Path, default=SNAPSHOTS, help="where to write it (default: parity/snapshots)")
    record.add_argument(
        "--label", help="what it was recorded against (default: live <PRISMA_API_URL>, its origin written <api>)"
    )
    compared = commands.add_parser("compare", help="compare the in-process emulator with a snapshot")
    compared.add_argument("name", help="a snapshot's name (in parity/snapshots) or the path of a .json file")
    compared.add_argument("--against", metavar="SNAPSHOT", help="compare with this snapshot, not the emulator")
    compared.add_argument("--known", type=Path, default=known.KNOWN, help="the reviewed divergences file")
    compared.add_argument(
        "--show-silent", action="store_true", help="list every docs-silent divergence (default: a count per kind)"
    )
    add_options(compared.add_argument, suite=True)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return _record(args) if args.command == "record" else _compare(args)
    except (SnapshotError, known.KnownError, TargetConfigurationError, ScenarioError, ValueError) as error:
        print(f"parity: {error}", file=sys.stderr)
        return 2
    except httpx.HTTPError as error:
        print(f"parity: the API could not be reached: {error!r}", file=sys.stderr)
        return 2
    except RetriesExhausted as error:  # a verdict on the environment, as in the contract suite
        print(f"parity: {error}", file=sys.stderr)
        return RATE_LIMITED


def _record(args: argparse.Namespace) -> int:
    path = path_of(args.name, args.dir)
    settings = LiveSettings.from_settings(read(os.environ), needed_by=f"{PROG} record")
    snapshot = record_live(settings, args.label or f"live {settings.url}")
    save(snapshot, path)
    windows = ", ".join(
        f"{s['step']} {s['window']}" + (f" ({s['before']} just before)" if "before" in s else "")
        for s in snapshot["steps"]
        if "window" in s
    )
    skipped = [s["step"] for s in snapshot["steps"] if "skipped" in s]
    print(f"recorded {len(snapshot['steps'])} steps into {path} (windows: {windows or 'none'}; skipped: "
          f"{', '.join(skipped) or 'none'})")  # fmt: skip
    return 0


def _compare(args: argparse.Namespace) -> int:
    recorded = load(path_of(args.name))
    entries = known.load(args.known)
    actual: Snapshot
    if args.against:
        actual = load(path_of(args.against))
    else:
        # reads:1 unless the option or its variable says otherwise: the default goes under the environment.
        environ = {str(OPTIONS["clock"].env): CLOCK, **os.environ}
        config = config_from(lambda flag: getattr(args, flag.removeprefix("--").replace("-", "_")), environ, suite=True)
        actual = record_emulator(config)
    name = Path(args.name).stem
    verdict = known.judge(compare(recorded, actual), entries, name)
    compared = Path(args.against).stem if args.against else "emulator"
    print("\n".join(report.render(name, recorded, actual, verdict, compared, show_silent=args.show_silent)))
    return 0 if verdict.passed else 1


if __name__ == "__main__":
    sys.exit(main())
