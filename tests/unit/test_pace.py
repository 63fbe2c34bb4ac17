"""Pacing under a rate limit the docs do not state (restore_contract/targets/pace.py): nothing waits until a 429,
then every request is spaced to the rate the server allowed, learned once per episode, regained slowly."""

from __future__ import annotations

import itertools
import threading

import httpx
import pytest

from restore_contract.targets.base import Traffic
from restore_contract.targets.pace import PACED, Paced, Pacer, urgent


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


def test_a_429_spaces_every_request_to_the_last_seconds_rate_less_ten_percent(clock: Clock) -> None:
    """docs/nightly.md: "the requests sent in the last second, less 10 %"."""
    pacer = Pacer(clock)
    slots = sends(pacer, clock, 21, every=0.01)  # 21 in 0.21 s: the 21st refused
    pacer.refused(slots[-1])

    assert pacer.rate == pytest.approx(18.9)
    paced = sends(pacer, clock, 10)
    assert paced[0] == pytest.approx(clock.now - 9 / 18.9, abs=0.01)
    gaps = [later - earlier for earlier, later in itertools.pairwise(paced)]
    assert gaps == pytest.approx([1 / 18.9] * 9, rel=0.01)  # the rate regains a little meanwhile


def test_the_first_request_after_a_slow_down_waits_its_turn(clock: Clock) -> None:
    pacer = Pacer(clock)
    pacer.refused(sends(pacer, clock, 10)[-1])  # 10 at once, at 100.0: paced to 9/s

    assert pacer.turn() == pytest.approx(100.0 + 1 / 9)
    assert pacer.turn() == pytest.approx(100.0 + 2 / 9, rel=1e-6)


def test_only_the_requests_of_the_last_second_count(clock: Clock) -> None:
    pacer = Pacer(clock)
    sends(pacer, clock, 10, every=0.5)  # 5 s at 2/s
    clock.now = 110.0
    sends(pacer, clock, 1)  # exactly a second before the 429: not in its second
    clock.now = 110.5
    slots = sends(pacer, clock, 6)
    clock.now = 111.0
    pacer.refused(slots[-1])

    assert pacer.rate == pytest.approx(6 * 0.9)


def test_a_429_while_the_run_sent_little_paces_it_to_half_its_busiest_second(clock: Clock) -> None:
    """Another client filled the limit (a second run on the same staging): this run's own two requests of the last
    second are not the rate the server allows it; it is paced to half the 20 it has sent in a second, not 1.8."""
    pacer = Pacer(clock)
    sends(pacer, clock, 20, every=0.01)
    clock.now = 110.0
    pacer.refused(sends(pacer, clock, 2, every=0.1)[-1])

    assert pacer.rate == pytest.approx(10.0)


def test_one_slow_down_never_more_than_halves_the_pace(clock: Clock) -> None:
    pacer = Pacer(clock)
    pacer.refused(sends(pacer, clock, 20, every=0.01)[-1])  # 18/s
    clock.now = 110.0
    pacer.refused(sends(pacer, clock, 1)[-1])  # one request in the last second

    assert pacer.rate == pytest.approx((18.0 + 9.8 / 60) / 2, rel=0.01)


def test_the_429s_of_one_overflow_slow_down_once(clock: Clock) -> None:
    pacer = Pacer(clock)
    in_flight = sends(pacer, clock, 20, every=0.01)
    for slot in in_flight[-5:]:  # five threads hear the same overflow
        pacer.refused(slot)

    assert pacer.rate == pytest.approx(18.0)


def test_a_request_sent_in_the_instant_of_the_slow_down_is_old_news(clock: Clock) -> None:
    pacer = Pacer(clock)
    first, second = sends(pacer, clock, 2)  # both at 100.0
    pacer.refused(first)
    pacer.refused(second)

    assert pacer.rate == pytest.approx(1.8)


def test_the_429s_of_the_second_after_a_slow_down_are_old_news(clock: Clock) -> None:
    """The server's count of its last second still holds the burst that overflowed it: the paced requests it refuses
    meanwhile say nothing of the new rate (taking them as news cut a 20 requests/s limit to a pace of 8)."""
    pacer = Pacer(clock)
    pacer.refused(sends(pacer, clock, 20, every=0.01)[-1])  # at 100.19: paced to 18/s
    within = sends(pacer, clock, 17)  # the next second's, at the pace
    pacer.refused(within[-1])

    assert within[-1] <= 101.19
    assert pacer.rate == pytest.approx(18.0 + (clock.now - 100.2) / 60, abs=0.01)  # not lowered: climbing back
    clock.now = 101.3
    pacer.refused(sends(pacer, clock, 1)[-1])  # after that second: news (17 sent in the last second, less 10 %)
    assert pacer.rate == pytest.approx(15.3)


def test_a_429_sent_a_whole_second_after_the_slow_down_is_still_old_news(clock: Clock) -> None:
    """The second after it includes its last instant: the server's count of its last second then still holds
    the request that overflowed it."""
    pacer = Pacer(clock)
    last = sends(pacer, clock, 20, every=0.01)[-1]
    clock.now = 100.5
    pacer.refused(last)  # slowed down at 100.5
    rate = pacer.rate
    pacer.refused(101.5)

    assert pacer.rate == rate


def test_a_429_at_the_paced_rate_lowers_it_again(clock: Clock) -> None:
    """A limit counted over a longer window than a second (or shared with another client): a new episode at the paced
    rate lowers that rate by the margin."""
    pacer = Pacer(clock)
    pacer.refused(sends(pacer, clock, 20, every=0.01)[-1])
    clock.now += 5
    last = sends(pacer, clock, 100)[-1]  # as fast as the pacer lets them go: at the paced rate
    paced = pacer.rate
    assert paced is not None
    pacer.refused(last)

    assert pacer.rate == pytest.approx(paced * 0.9, rel=0.03)


def test_the_rate_never_falls_below_one_request_a_second(clock: Clock) -> None:
    pacer = Pacer(clock)
    pacer.refused(pacer.turn())
    for _ in range(10):
        clock.now += 1
        pacer.refused(pacer.turn())

    assert pacer.rate == pytest.approx(1.0)


def test_the_rate_climbs_back_by_one_request_a_second_a_minute(clock: Clock) -> None:
    pacer = Pacer(clock)
    pacer.refused(sends(pacer, clock, 20, every=0.01)[-1])
    clock.now += 60

    assert pacer.rate == pytest.approx(19.0)


def test_a_429_sent_before_the_slow_down_is_old_news_even_much_later(clock: Clock) -> None:
    pacer = Pacer(clock)
    early = pacer.turn()
    pacer.refused(sends(pacer, clock, 20, every=0.01)[-1])
    clock.now += 0.5
    pacer.refused(early)

    assert pacer.rate == pytest.approx(18.9 + 0.5 / 60)  # 21 in the second: the early one too


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
    assert min(b - a for a, b in itertools.pairwise(ordered)) == pytest.approx(1 / 9, rel=0.01)


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
    assert client.get("/v1/x").extensions[PACED] == pytest.approx(1 / 18)  # what it waited, for the checks
    assert client.get("/v1/x").extensions[PACED] == pytest.approx(1 / 18)
    assert clock.now - started == pytest.approx(2 / 18, rel=0.01)


def test_a_request_that_did_not_wait_says_it_waited_zero_seconds_however_long_it_took(clock: Clock) -> None:
    """PACED is the wait for a turn, never negative: the clock runs on while the request is in flight."""
    pacer = Pacer(clock)

    def slow(request: httpx.Request) -> httpx.Response:
        clock.now += 0.5
        return httpx.Response(200)

    client = httpx.Client(transport=Paced(httpx.MockTransport(slow), pacer, sleep=clock.sleep), base_url="http://a")
    ticking = iter(itertools.count(100.0, 0.25))
    pacer.now = lambda: next(ticking)  # time passes between taking the turn and sending

    assert client.get("/v1/x").extensions[PACED] == 0.0


def test_a_server_that_never_says_429_is_never_slowed(clock: Clock) -> None:
    waits: list[float] = []
    client = httpx.Client(
        transport=Paced(answering(*[200] * 300), Pacer(clock), sleep=waits.append), base_url="http://a"
    )
    answers = [client.get("/v1/x") for _ in range(300)]

    assert waits == []
    assert {answer.extensions[PACED] for answer in answers} == {0.0}


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
    assert traffic.paced_per_second == 18.9
    assert Traffic(answering(200)).paced_per_second is None


def test_an_urgent_request_goes_at_once_and_leaves_the_others_turns(clock: Clock) -> None:
    """The step sent while a restore recovers cannot wait: a wait could close the window it checks."""
    pacer = Pacer(clock)
    pacer.refused(sends(pacer, clock, 10)[-1])  # paced to 9/s from 100.0
    waits: list[float] = []
    client = httpx.Client(transport=Paced(answering(200, 200, 200), pacer, sleep=waits.append), base_url="http://a")
    with urgent():
        answer = client.get("/v1/x")
    assert (waits, answer.extensions[PACED]) == ([], 0.0)
    assert pacer.turn() == pytest.approx(100.0 + 1 / 9)  # the next one's turn, as if the urgent one had not gone
    client.get("/v1/x")
    assert len(waits) == 1, "outside it, requests wait their turn again"


def test_making_room_holds_the_others_back_a_second_when_paced(clock: Clock) -> None:
    """Before a restore whose window the next step checks: the server's last second must have room for that step."""
    pacer = Pacer(clock)
    assert pacer.make_room() == 0.0, "not paced: no need"
    assert pacer.turn() == 100.0
    pacer.refused(sends(pacer, clock, 10)[-1])  # paced to 9/s

    assert pacer.make_room() == pytest.approx(1.0)
    assert pacer.turn() == pytest.approx(101.0)  # the next request, whoever sends it, a second later
