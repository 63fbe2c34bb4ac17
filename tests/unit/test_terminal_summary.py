"""The terminal's summary of a run (run/record.py `render`), from the run record alone: every figure the README
lists, in words, only when there is something to say; and the record of a run that did nothing says nothing."""

from __future__ import annotations

from collections import Counter

from restore_contract.run.record import RunRecord, merge, render


def _text(record: RunRecord) -> list[str]:
    return [text for text, _ in render(record)]


def test_the_summary_says_each_figure_of_the_run() -> None:
    record = RunRecord(
        target={"name": "live"},
        profile="nightly",
        seed=7,
        requests=120,
        retries=3,
        waited_for_retries_s=4.25,
        paced_per_second=18.9,
        workers=2,
        budget_s=60.0,
        elapsed_s=59.5,
        cut_short_by_budget=["t1", "t2"],
        verified_in_background=5,
        in_flight_average=1.5,
        in_flight_most=3,
        partial=True,
        deviations=Counter({"400 for invalid input": 1, "405 for an empty id": 4}),
        lifecycle=Counter({"restores answered 200": 3}),
        failures={"restore_contract/suite/test_x.py::t": "curl -X POST …"},
    )
    lines = _text(record)
    assert lines[0] == (
        "target: live (2 workers); requests sent: 120; transient answers retried: 3 (4.2 s waited); paced to 18.9 "
        "requests/s after the server's 429s"
    )
    assert lines[1] == "hypothesis profile: nightly (seed 7; a failure prints its seed or blob)"
    assert lines[2] == (
        "time: 59.5 s of a budget of 60 s; 2 test(s) ended by their share of it; restores verified in the "
        "background: 5 (1.5 in flight on average, at most 3)"
    )
    assert lines[3].startswith("PARTIAL run (--partial)")
    assert "lifecycle state machine: restores answered 200 x3" in lines
    failures = lines.index("failures (1; each with its request, token redacted):")
    assert lines[failures + 1] == "  restore_contract/suite/test_x.py::t: curl -X POST …"
    deviations = lines.index("documentation deviations tolerated (reported, not failed):")
    assert lines[deviations + 1 : deviations + 3] == ["  405 for an empty id (x4)", "  400 for invalid input (x1)"]


def test_a_run_that_did_nothing_reports_zeros_and_no_figure_it_did_not_measure() -> None:
    empty = RunRecord(target={"name": "emulator"}, profile="ci", generation="derandomized")
    lines = _text(empty)
    assert lines[0] == "target: emulator; requests sent: 0; transient answers retried: 0 (0.0 s waited)"
    assert lines[1] == "hypothesis profile: ci (derandomized; a failure prints its seed or blob)"
    absent = ("time:", "PARTIAL", "documentation deviations", "lifecycle", "failures")
    assert not any(line.startswith(absent) for line in lines)
    assert "restore answers: none" in lines
    coloured = dict(render(empty))
    assert all(colour == "yellow" for text, colour in coloured.items() if "NOT CHECKED" in text), "unchecked: yellow"
    assert {colour for text, colour in coloured.items() if "NOT CHECKED" not in text} == {None}
    assert not any(line.startswith("INTERRUPTED") for line in lines)
    stopped = render(RunRecord(target={"name": "live"}, interrupted="SIGTERM"))
    assert ("INTERRUPTED by SIGTERM: below is what it reached before it stopped", "red") in stopped
    measured = {k: v for k, v in empty.to_json().items() if isinstance(v, int | float) and not isinstance(v, bool)}
    assert measured == dict.fromkeys(measured, 0) | {"exit_status": 0, "workers": 1}, measured
    no_budget = _text(RunRecord(target={"name": "live"}, verified_in_background=2, elapsed_s=3.0))
    assert any(line.startswith("time: 3.0 s of a budget of none; restores verified") for line in no_budget)


def test_one_workers_record_merges_into_itself_and_a_setup_failure_of_any_worker_is_the_runs() -> None:
    one = RunRecord(target={"name": "emulator"}, requests=3, capabilities={"data": True, "backup": False})
    assert merge([one]) == one
    failed = RunRecord(setup_failed="a database never became ready")
    assert merge([RunRecord(), failed]).setup_failed == "a database never became ready"
    assert merge([one, RunRecord(capabilities={"data": False, "backup": False})]).capabilities == {
        "data": True,
        "backup": False,
    }
