#!/usr/bin/env python3
"""Our restore contract suite against the plain schemathesis CLI, on this machine.

    .venv/bin/python bench/compare.py [--repeat R] [--faults all|name,name] [--quick] [--jobs 1|2]

Measures, each a median of R runs (default 3; ratios are between medians of this same invocation):

1. the default suite (`restore_contract/suite`, in-process emulator, Hypothesis profile `ci`): wall time, requests
   sent (from the summary line `target: emulator; requests sent: N`), requests/s. It must pass: that is our
   suite's false-alarm check on the healthy emulator;
2. the same suite live over HTTP (`--target live`, profile `ci`) against
   `python -m restore_contract.emulator --no-control-plane --seed-golden`, and the committed cassette replayed
   (`--target replay`, profile `replay`);
3. per emulator fault, the suite with `-x --emulator-fault NAME`: detected (exit 1) or not, and the wall
   time until it stopped (the first failing test ends an `-x` run);
4. per fault, the plain CLI `st run contracts/openapi.yaml --checks all` configured as a competent new user
   would (see bench/comparison/st_cli.py and the Markdown), against `restore-emulator --seed-golden --fault NAME`,
   run to completion (bounded by --max-examples 50 and a 120 s timeout): detected or not, and time taken;
5. the CLI on the healthy emulator: the failures it reports there are false alarms. Since it reports some,
   a fault counts as detected by the CLI only when it reports a failure of a check (an `ST…` code) that it
   does not report on the healthy emulator; its bare exit code is in the JSON too.

The in-process, live and replay runs go one at a time with nothing else running; the fault runs (ours and
the CLI's, interleaved) and the CLI's healthy runs share a pool of --jobs workers (default 2, this machine's
core count), which the Markdown states. Every subprocess has a timeout and every server is stopped.

Prints one table and writes bench/results/compare.md and bench/results/compare.json. `--quick` is R=1 and
four faults, for fast iteration. Exit status 1 when our suite failed a healthy run or missed a fault.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere
from bench.comparison.pool import Job, log, pooled, sequential
from bench.comparison.processes import run_timed, shown
from bench.comparison.render import markdown, table_rows, text_table
from bench.comparison.st_cli import CliRun, cli_commands, run_cli
from bench.comparison.suite_runs import SuiteRun, run_fault_suite, run_in_process, run_live, run_replay, suite_commands
from bench.comparison.summary import failing_checks, fault_entry, healthy_cli_summary, suite_summary
from bench.figures import RESULTS, now, write_json
from restore_contract.emulator import Fault
from restore_contract.emulator.faults import parse_faults as parse_fault_names
from restore_contract.harness.server import REPO

QUICK_FAULTS = (Fault.RESTORE_ANSWERS_READY, Fault.DATA_NOT_REPLACED, Fault.AUTH_IGNORED, Fault.RESPONSE_SCHEMA_WRONG)


def parse_faults(text: str) -> list[Fault]:
    if text == "all":
        return list(Fault)
    names = [name.strip() for name in text.split(",") if name.strip()]
    try:
        known = {fault.value: fault for fault in parse_fault_names(names)}
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return [known[name] for name in names]  # in the order given


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=None, help="runs per measurement, medians reported (default 3)")
    parser.add_argument("--faults", type=parse_faults, default=None, help="all (default) or name,name,…")
    parser.add_argument("--quick", action="store_true", help=f"R=1 and faults {','.join(QUICK_FAULTS)}")
    parser.add_argument("--jobs", type=int, choices=(1, 2), default=2, help="concurrent fault runs (default 2)")
    args = parser.parse_args(argv)
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.faults is None:
        args.faults = list(QUICK_FAULTS) if args.quick else list(Fault)
    return args


def shown_commands() -> dict[str, str]:
    url, project, source, backup = "<url>", "<printed project id>", "<printed source id>", "<completed backup id>"
    return {**suite_commands(url, project, source), **cli_commands(url, project, source, backup)}


def git_state() -> str:
    done = run_timed(["git", "describe", "--always", "--dirty"], cwd=REPO, env=dict(os.environ), timeout=10)
    return done.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    repeat: int = args.repeat
    faults: list[Fault] = args.faults
    log(f"compare: R={repeat}, {len(faults)} fault(s), {args.jobs} job(s) for the fault runs")
    log("our suite alone, one run at a time:")
    alone: dict[str, Callable[[], SuiteRun]] = {"in_process": run_in_process, "live": run_live, "replay": run_replay}
    healthy = {key: sequential(key.replace("_", "-"), repeat, run, SuiteRun.describe) for key, run in alone.items()}
    log(f"fault runs and the CLI's healthy runs, {args.jobs} at a time:")
    suite: dict[Fault, list[SuiteRun]] = {fault: [] for fault in faults}
    cli: dict[Fault | None, list[CliRun]] = {fault: [] for fault in (None, *faults)}
    # The CLI's healthy runs first, then each fault's runs (ours and the CLI's) interleaved, R rounds.
    work: list[Job[Any]] = [Job("cli (no fault)", partial(run_cli, None), CliRun.describe, cli[None])] * repeat
    for fault in faults * repeat:
        work.append(Job(f"suite {fault.value}", partial(run_fault_suite, fault), SuiteRun.describe, suite[fault]))
        work.append(Job(f"cli {fault.value}", partial(run_cli, fault), CliRun.describe, cli[fault]))
    errors = pooled(args.jobs, work)

    healthy_checks = failing_checks(cli[None])
    fault_entries = [fault_entry(fault, suite[fault], cli[fault], healthy_checks) for fault in faults]
    suite_summaries = {key: suite_summary(runs, expected_exit=0) for key, runs in healthy.items()}
    commands = shown_commands()
    figures: dict[str, Any] = {
        "benchmark": "restore contract suite vs the plain schemathesis CLI (st run), per emulator fault",
        "date": now(),
        "command": shown([sys.executable, "bench/compare.py", *(argv if argv is not None else sys.argv[1:])]),
        "quick": args.quick,
        "repeat": repeat,
        "jobs": args.jobs,
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(), "python": platform.python_version()},
        "schemathesis": importlib.metadata.version("schemathesis"),
        "git": git_state(),
        "commands": {k: v for k, v in commands.items() if k != "cli_config"},
        "cli_config": commands["cli_config"],
        "cli_detection_rule": "caught = exit != 0 and a failing check (ST code) not reported on the healthy emulator",
        "suite": suite_summaries,
        "healthy": {
            "suite_exit_codes": suite_summaries["in_process"]["exit_codes"],
            "cli": healthy_cli_summary(cli[None]),
        },
        "faults": fault_entries,
        "errors": errors,
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    rows = table_rows(figures)
    write_json(RESULTS / "compare.json", figures)
    (RESULTS / "compare.md").write_text(markdown(figures, rows), encoding="utf-8")
    print(text_table(rows))
    print(f"\nst run command: {commands['cli']}")
    print(f"total {figures['total_seconds']:.0f} s; written to {RESULTS / 'compare.md'} and {RESULTS / 'compare.json'}")
    healthy_ok = all(s["ok"] == s["runs"] for s in suite_summaries.values())
    all_caught = all(entry["suite"]["ok"] == entry["suite"]["runs"] for entry in fault_entries)
    return 0 if healthy_ok and all_caught else 1


if __name__ == "__main__":
    sys.exit(main())
