"""Pacing under a rate limit the docs do not state (restore_contract/targets/pace.py): nothing waits until a 429,
then every request is spaced to the rate the server allowed, learned once per episode, regained slowly."""

from __future__ import annotations

import itertools
import threading

import httpx
import pytest

from restore_contract.targets.base import Traffic
from restore_contract.targets.pace import MARGIN, RECOVERY, WINDOW, Paced, Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def sends(pacer: Pacer, clock: Clock, count: int, every: float = 0.0) -> list[float]:
    """`count` requests, one every `every` seconds, each sent at its slot (the clock waits for it)."""
    slots = []
    for _ in range(count):
        slot = pacer.turn()
        clock.now = max(clock.now, slot)
        slots.append(slot)
        clock.now += every
    return slots


def test_nothing_waits_until_the_server_says_429(clock: Clock) -> None:
    pacer = Pacer(clock)

    assert sends(pacer, clock, 500) == [100.0] * 500
    assert pacer.rate is None


def test_a_429_spaces_every_request_to_the_rate_the_server_allowed_less_the_margin(clock: Clock) -> None:
    pacer = Pacer(clock)
    slots = sends(pacer, clock, 21, every=0.01)  # 21 in 0.21 s: the 21st refused
    pacer.refused(slots[-1])

    assert pacer.rate == pytest.approx(21 / WINDOW * MARGIN)
    paced = sends(pacer, clock, 10)
    gaps = [later - earlier for earlier, later in itertools.pairwise(paced)]
    assert paced[0] > slots[-1]  # the next waits too
    assert gaps == pytest.approx([1 / (21 * MARGIN)] * 9, rel=0.01)  # the rate regains a little meanwhile


def test_the_requests_of_the_last_window_only_count(clock: Clock) -> None:
    pacer = Pacer(clock)
    sends(pacer, clock, 50, every=0.1)  # 5 s at 10/s
    slot = pacer.turn()
    pacer.refused(slot)

    assert pacer.rate is not None
    assert 8 * MARGIN < pacer.rate < 12 * MARGIN  # ~10 in the last second, not the 51 of the run


def test_the_429s_of_one_overflow_slow_down_once(clock: Clock) -> None:
    pacer = Pacer(clock)
    in_flight = sends(pacer, clock, 20, every=0.01)
    for slot in in_flight[-5:]:  # five threads hear the same overflow
        pacer.refused(slot)

    assert pacer.rate == pytest.approx(20 * MARGIN)


def test_a_429_at_the_paced_rate_lowers_it_again(clock: Clock) -> None:
    """A limit counted over a longer window than a second (or shared with another client): a new episode at the paced
    rate lowers that rate by the margin."""
    pacer = Pacer(clock)
    pacer.refused(sends(pacer, clock, 20, every=0.01)[-1])
    first = pacer.rate
    assert first is not None
    clock.now += 5
    pacer.refused(sends(pacer, clock, 100)[-1])  # as fast as the pacer lets them go: at the paced rate

    assert pacer.rate == pytest.approx(first * MARGIN, rel=0.05)


def test_the_rate_never_falls_below_one_request_a_window(clock: Clock) -> None:
    pacer = Pacer(clock)
    pacer.refused(pacer.turn())
    for _ in range(10):
        clock.now += 1
        pacer.refused(pacer.turn())

    assert pacer.rate == pytest.approx(1 / WINDOW)


def test_the_rate_is_regained_slowly_without_a_429(clock: Clock) -> None:
    pacer = Pacer(clock)
    pacer.refused(sends(pacer, clock, 20, every=0.01)[-1])
    learned = pacer.rate
    assert learned is not None
    clock.now += 60

    assert pacer.rate == pytest.approx(learned + 60 * RECOVERY)


def test_a_429_sent_before_the_slow_down_is_old_news_even_much_later(clock: Clock) -> None:
    pacer = Pacer(clock)
    early = pacer.turn()
    pacer.refused(sends(pacer, clock, 20, every=0.01)[-1])
    rate = pacer.rate
    assert rate is not None
    clock.now += 0.5
    pacer.refused(early)

    assert pacer.rate == pytest.approx(rate + 0.5 * RECOVERY)


def test_threads_share_the_slots(clock: Clock) -> None:
    pacer = Pacer(clock)
    pacer.refused(sends(pacer, clock, 10, every=0.01)[-1])
    slots: list[float] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(25):
            slot = pacer.turn()
            with lock:
                slots.append(slot)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    ordered = sorted(slots)
    assert len(set(ordered)) == 100  # no two threads got one slot
    assert min(b - a for a, b in itertools.pairwise(ordered)) == pytest.approx(1 / (10 * MARGIN), rel=0.01)


def answering(*statuses: int) -> httpx.MockTransport:
    answers = iter(statuses)
    return httpx.MockTransport(lambda request: httpx.Response(next(answers)))


def test_the_transport_waits_for_its_slot_and_reports_429s(clock: Clock) -> None:
    pacer = Pacer(clock)
    transport = Paced(answering(*[200] * 19, 429, 200, 200), pacer, sleep=clock.sleep)
    client = httpx.Client(transport=transport, base_url="http://api")
    started = clock.now
    statuses = [client.get("/v1/x").status_code for _ in range(20)]

    assert statuses[-1] == 429
    assert clock.now == started  # nothing waited before the 429
    client.get("/v1/x")
    client.get("/v1/x")
    assert clock.now == pytest.approx(started + 2 / (20 * MARGIN), rel=0.02)


def test_a_server_that_never_says_429_is_never_slowed(clock: Clock) -> None:
    waits: list[float] = []
    client = httpx.Client(
        transport=Paced(answering(*[200] * 300), Pacer(clock), sleep=waits.append), base_url="http://a"
    )
    for _ in range(300):
        client.get("/v1/x")

    assert waits == []


def test_the_run_reports_the_pace_it_was_held_to(clock: Clock) -> None:
    """The record's `paced_per_second` (the summary says it): None until the server's first 429, then the rate."""
    pacer = Pacer(clock)
    traffic = Traffic(Paced(answering(*[200] * 20, 429), pacer, sleep=clock.sleep), pacer)
    client = httpx.Client(transport=traffic, base_url="http://api")
    for _ in range(20):
        client.get("/v1/x")
    before = traffic.paced_per_second
    client.get("/v1/x")

    assert before is None
    assert traffic.paced_per_second == round(21 * MARGIN, 1)
    assert Traffic(answering(200)).paced_per_second is None
