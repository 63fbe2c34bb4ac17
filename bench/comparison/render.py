"""The figures as tables: a plain-text one for the terminal, and the Markdown report with its commands."""

from __future__ import annotations

from typing import Any

from bench.comparison.st_cli import CLI_MAX_EXAMPLES, CLI_TIMEOUT
from bench.comparison.summary import ratio

COLUMNS = ("run", "our suite", "s", "requests", "req/s", "st run (plain CLI)", "s", "ratio")
NUMERIC = (2, 3, 4, 6)  # right-aligned columns


def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def fmt_ratio(value: float | None, what: str) -> str:
    return "-" if value is None else f"{value:.2f}x {what}"


def verdict(hits: int, runs: int, yes: str, no: str) -> str:
    if runs == 0:
        return "not run"
    if hits == runs:
        return yes
    return no if hits == 0 else f"{yes} {hits}/{runs}"


def timeouts(summary: dict[str, Any]) -> str:
    killed = summary["exit_codes"].count(None)
    return f" (timed out {killed}/{summary['runs']})" if killed else ""


def table_rows(figures: dict[str, Any]) -> list[tuple[str, ...]]:
    suite, healthy_cli = figures["suite"], figures["healthy"]["cli"]
    in_process_s, cli_s = suite["in_process"]["seconds_median"], healthy_cli["seconds_median"]
    alarms = ", ".join(f"{c} on {n} op(s)" if n else c for c, n in healthy_cli["false_alarm_checks"].items())
    cli_healthy = (f"false alarms: {alarms}" if alarms else "no failures") if healthy_cli["runs"] else "not run"

    def row(label: str, ours: dict[str, Any], yes: str, no: str, *cli: str) -> tuple[str, ...]:
        numbers = (fmt(ours["seconds_median"]), fmt(ours["requests_median"], 0), fmt(ours["requests_per_s_median"], 0))
        return (label, verdict(ours["ok"], ours["runs"], yes, no) + timeouts(ours), *numbers, *cli)

    healthy_cells = (cli_healthy, fmt(cli_s), fmt_ratio(ratio(cli_s, in_process_s), "st/ours"))
    rows = [row("no fault: in-process emulator (ci)", suite["in_process"], "pass", "FAIL", *healthy_cells)]
    for key, label in (("live", "no fault: live over HTTP (ci)"), ("replay", "no fault: cassette replay (replay)")):
        speed = fmt_ratio(ratio(suite[key]["seconds_median"], in_process_s), "in-process time")
        rows.append(row(label, suite[key], "pass", "FAIL", "", "", speed))
    for entry in figures["faults"]:
        cli, new = entry["cli"], ", ".join(entry["cli"]["checks_not_seen_when_healthy"])
        cli_verdict = verdict(cli["detected"], cli["runs"], f"caught ({new})" if new else "caught", "missed")
        cli_verdict += timeouts(cli)
        cli_cells = (cli_verdict, fmt(cli["seconds_median"]), fmt_ratio(entry["cli_over_suite"], "st/ours"))
        rows.append(row(f"fault: {entry['fault']}", entry["suite"], "caught", "MISSED", *cli_cells))
    return rows


def text_table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in [COLUMNS, *rows]) for i in range(len(COLUMNS))]
    lines = []
    for row in [COLUMNS, *rows]:
        cells = [c.rjust(w) if i in NUMERIC else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
        if row is COLUMNS:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def fenced(language: str, *lines: str) -> str:
    return "\n".join([f"```{language}", *lines, "```"])


def markdown(figures: dict[str, Any], rows: list[tuple[str, ...]]) -> str:
    machine, commands = figures["machine"], figures["commands"]
    parallel = (
        f"the fault runs (ours and the CLI's, interleaved) and the CLI's healthy runs were measured with "
        f"{figures['jobs']} jobs in parallel on {machine['cpu_count']} cores, so they compete for CPU; "
        if figures["jobs"] > 1
        else "every run was measured alone (sequentially); "
    )
    table = [
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---:" if i in NUMERIC else "---" for i in range(len(COLUMNS))) + "|",
        *("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows),
    ]
    suite_exit_codes = "; ".join(
        f"{name} exit codes {', '.join(str(code) for code in figures['suite'][key]['exit_codes'])}"
        for key, name in (("in_process", "in-process"), ("live", "live"), ("replay", "replay"))
    )
    blocks = [  # paragraphs, joined by blank lines
        "# Our restore contract suite vs the plain schemathesis CLI",
        f"Measured {figures['date']} with `{figures['command']}`"
        f"{' (quick: a subset of faults, one run each)' if figures['quick'] else ''}.\n"
        f"Machine: {machine['platform']}, {machine['cpu_count']} CPUs, Python {machine['python']}, "
        f"schemathesis {figures['schemathesis']}, repository at {figures['git']}.",
        f"Timings are medians of {figures['repeat']} run(s), wall time of the whole process (start-up included). "
        f"The in-process, live and replay runs ran alone, one at a time; {parallel}"
        "ratios compare medians of this same invocation. Another process may have been using the machine.",
        "\n".join(table),
        "- **our suite**: `pass` = exit 0 on the healthy emulator (no false alarm); for a fault, `caught` = exit 1 "
        "with `-x`, and `s` is the time until that run stopped (the first failing test; the `ci` profile "
        "reports it without shrinking).\n"
        "- **st run**: run to completion (bounded by `--max-examples "
        f"{CLI_MAX_EXAMPLES}` and a {CLI_TIMEOUT:.0f} s timeout). It reports failures on the healthy emulator "
        "(false alarms, below), so its exit code is 1 with or without a fault; a fault counts as `caught` only "
        "when the CLI reports a check (`ST…` code) it does not report on the healthy emulator (listed).\n"
        "- **ratio**: for faults and the healthy row, CLI median time / our median time; for live and replay, "
        "their median time / the in-process median time.",
        "## Commands",
        "Our suite (from the repository root):",
        fenced(
            "sh",
            "# no fault, in-process",
            commands["in_process"],
            "# per fault, in-process",
            commands["fault"],
            "# live over HTTP: this server prints the project and source ids",
            commands["live_server"],
            commands["live"],
            "# the committed cassette",
            commands["replay"],
        ),
        "The plain schemathesis CLI, as a competent new user would run it: the emulator started plainly (with its "
        "control plane) and seeded with `--seed-golden`, the ids it prints pinned in a `schemathesis.toml` in a "
        "fresh empty directory (so the repository's own `schemathesis.toml` does not apply), the completed "
        "backup's id looked up once, all checks, bounded examples, a fixed seed:",
        fenced(
            "sh",
            commands["cli_server"],
            commands["cli_backup_lookup"],
            'cd "$(mktemp -d)"   # then write schemathesis.toml:',
        ),
        fenced("toml", figures["cli_config"].rstrip()),
        fenced("sh", commands["cli"]),
        "Why this configuration: without pinned ids nearly every request answers 404 (random ids), and the CLI "
        "itself says so and advises supplying the identifiers in the config file, hence the path ids and the "
        "restore body's source. `--exclude-method DELETE`: with `databaseId` pinned to the one seeded database, "
        "`DELETE /v1/databases/{databaseId}` deletes it in the first phase and every later request answers 404 "
        "(seen in a trial run), so a user who pins ids keeps DELETE away from them. Pinning has a cost: a pinned "
        "path parameter has that value in every case, so the CLI never sends other ids there, such as the "
        "non-ASCII ids `unicode-id-500` needs (a trial run without any config file caught that fault with ST101 "
        "Server error, but sent nearly every other request to unknown ids).",
        "## False alarms on the healthy emulator",
        f"Our suite (exit 0 = pass, no false alarm): {suite_exit_codes}.",
        "The CLI (failures it reported in any healthy run; the emulator is correct there, so each is a false "
        "alarm of the CLI):",
        "\n".join(f"- {item}" for item in figures["healthy"]["cli"]["failure_details"] or ["none"]),
    ]
    if figures["errors"]:
        blocks += ["## Runs that could not be made", "\n".join(f"- {error}" for error in figures["errors"])]
    return "\n\n".join(blocks) + "\n"
