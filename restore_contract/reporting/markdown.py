"""The run record for people: Markdown tables, the documented-behaviour coverage first (it says what was checked
at all), then the run, the properties, the answers, and everything that needs someone's attention. Read from the
typed record (run/record.py), never from its JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the record's types, for checking only (why: reporting/write.py)
    from restore_contract.run.record import RunRecord


COVERAGE_PICTURE = "coverage.svg"
TIMELINE_PICTURE = "restores.svg"


def _paced(record: RunRecord) -> str:
    paced = record.paced_per_second
    return "" if paced is None else f"; paced to {paced:g} requests/s after the server's 429s"


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: tuple[str, ...], rows: list[tuple[object, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    return lines + ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]


def markdown(record: RunRecord, pictures: list[str]) -> str:
    verdict = "passed" if record.exit_status == 0 else f"FAILED (exit {record.exit_status})"
    if record.interrupted:  # what it reached is below; the rest was never checked
        verdict = f"INTERRUPTED by {record.interrupted} (exit {record.exit_status})"
    workers = f", {record.workers} workers" if record.workers > 1 else ""
    lines = [f"# Restore contract run: {verdict}", ""]
    lines.append(
        f"Target **{record.target['name']}**{workers}, profile **{record.profile}** "
        f"({'seed ' + str(record.seed) if record.seed is not None else record.generation}), "
        f"{record.requests} requests, {record.retries} transient answers retried "
        f"({record.waited_for_retries_s:.1f} s waited){_paced(record)}."
    )
    if record.budget_s is not None or record.verified_in_background:
        lines.append(
            f"Ran {record.elapsed_s} s (budget: {record.budget_s or 'none'}); restores verified in the "
            f"background: {record.verified_in_background}, {record.in_flight_average} in flight "
            f"on average; tests ended by their share of the budget: {len(record.cut_short_by_budget)}."
        )
    if record.utilisation is not None:
        lines.append(
            f"Restore targets **{record.utilisation * 100:.0f} % busy**: {record.target_seconds_used:.0f} of "
            f"{record.target_seconds_available:.0f} restore-target-seconds ({record.restore_targets} target(s) times "
            "the restoring phase; each restore counted from its request to the end of its verification)."
        )
    if record.partial:
        lines.append("**PARTIAL run** (`--partial`): what it could not reach is marked below.")
    lines += ["", "## Documented behaviour coverage", ""]
    lines += _table(
        ("answer", "cause", "exercised", "not checked because"),
        [(row.answer, row.cause, row.exercised, row.why_not) for row in record.coverage],
    )
    lines += [""] + [f"![{name}]({name})" for name in pictures]
    failed = {test: outcome for test, outcome in record.tests.items() if outcome.outcome in ("failed", "error")}
    if failed:
        lines += ["", "## Failures", ""]
        for test, outcome in failed.items():
            what = ", ".join(outcome.violated) or outcome.error or outcome.outcome
            lines += [f"- `{test}`: {_cell(what)}"]
            if record.failures.get(test):
                lines += [f"  - request: `{_cell(record.failures[test])}`"]
            if outcome.reproduce:
                command = [f"    {line}" for line in outcome.reproduce.splitlines()]
                lines += ["  - reproduce:", "", "    ```sh", *command, "    ```"]
    lines += ["", "## Properties checked", ""]
    lines += _table(("property", "times"), sorted(record.checked.items()))
    lines += ["", "## Restore answers", ""]
    lines += _table(("status", "times"), sorted(record.statuses.items()))
    if record.lifecycle:
        lines += ["", "## Lifecycle state machine", ""]
        lines += _table(("reached", "times"), sorted(record.lifecycle.items()))
    if record.deviations:
        lines += ["", "## Documentation deviations tolerated", ""]
        by_count = sorted(record.deviations.items(), key=lambda item: -item[1])
        lines += _table(("deviation", "times"), list(by_count))
    skipped = {test: outcome.skip_reason for test, outcome in record.tests.items() if outcome.outcome == "skipped"}
    if skipped:
        lines += ["", "## Checks not run here", ""]
        lines += _table(("test", "why"), sorted(skipped.items()))
    attention = [
        *(f"SAFETY GUARD refused (never sent): {refused}" for refused in record.guard_refusals),
        *(f"scratch database NOT deleted, remove it by hand: {left}" for left in record.leftovers),
        *(f"scratch database an earlier run left, deleted: {stale}" for stale in record.stale_scratch_deleted),
        *(f"scratch database of another run: {kept}" for kept in record.stale_scratch_kept),
        *record.sacrificial_lease,
    ]
    if attention:
        lines += ["", "## Needs attention", ""] + [f"- {_cell(item)}" for item in attention]
    return "\n".join(lines) + "\n"
