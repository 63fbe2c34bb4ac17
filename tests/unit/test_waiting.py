"""Polling waits: a live target waits between reads, a replay's target does not (its answers are recorded)."""

from __future__ import annotations

import time

from restore_contract.targets.live import LiveSettings, live_target
from restore_contract.targets.waiting import no_wait, wait_for


def test_a_replay_pace_reads_as_fast_as_answers_come() -> None:
    answers = iter(["recovering"] * 30 + ["ready"])
    paced: list[float] = []
    started = time.monotonic()
    value, done = wait_for(lambda: next(answers), lambda status: status == "ready", 600, paced.append)
    assert (value, done) == ("ready", True)
    assert len(paced) == 30
    assert sum(paced) > 40  # what a live target would have slept: 0.05 s doubling up to 2 s a read
    assert time.monotonic() - started < 1


def test_only_a_target_that_waits_for_retries_paces_its_polling() -> None:
    settings = LiveSettings(url="http://127.0.0.1:9", token="t", run_id="r")
    live, replayed = live_target(settings, preflight=False), live_target(settings, preflight=False, waits=False)
    try:
        assert live.pace is time.sleep
        assert replayed.pace is no_wait
    finally:
        live.close()
        replayed.close()
