"""Transient answers are retried as far as a retry is safe, and nothing else is (targets/transient.py)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from restore_contract.targets.base import Traffic
from restore_contract.targets.transient import RetriesExhausted, Transient

Answer = Callable[[httpx.Request], httpx.Response]


def client(*answers: Answer | type[Exception]) -> tuple[httpx.Client, list[str], Traffic]:
    """A client whose server gives `answers` in turn (an exception class: the connection is lost)."""
    sent: list[str] = []
    queue = list(answers)

    def server(request: httpx.Request) -> httpx.Response:
        sent.append(request.method)
        answer = queue.pop(0)
        if isinstance(answer, type):
            raise answer("connection lost", request=request)
        return answer(request)

    traffic = Traffic(Transient(httpx.MockTransport(server), waits=False))
    return httpx.Client(transport=traffic, base_url="https://api"), sent, traffic


def status(code: int, retry_after: str | None = None) -> Answer:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return lambda request: httpx.Response(code, headers=headers, json={"error": {"code": "x", "message": "x"}})


def test_a_rate_limited_restore_is_sent_again_it_was_not_executed() -> None:
    api, sent, traffic = client(status(429, "1"), status(429, "1"), status(200))
    assert api.post("/v1/databases/db_c1/restore", json={}).status_code == 200
    assert sent == ["POST"] * 3
    assert traffic.retries == 2


@pytest.mark.parametrize("code", [502, 503, 504])
def test_a_read_is_retried_on_a_gateway_error(code: int) -> None:
    api, sent, traffic = client(status(code, "1"), status(200))
    assert api.get("/v1/databases/db_c1").status_code == 200
    assert sent == ["GET", "GET"]
    assert traffic.retries == 1


def test_a_read_is_retried_when_the_connection_is_lost() -> None:
    api, sent, _ = client(status(200), httpx.ReadError, status(200))
    api.get("/v1/databases/db_c1")  # the server has answered once: a lost connection now is a passing hiccup
    assert api.delete("/v1/databases/db_c1").status_code == 200
    assert sent == ["GET", "DELETE", "DELETE"]


def test_a_server_never_reached_is_not_waited_for() -> None:
    """A connection error before the first answer is a wrong URL (one line from the preflight), not a retry."""
    api, sent, _ = client(httpx.ConnectError, status(200))
    with pytest.raises(httpx.ConnectError):
        api.get("/v1/databases/db_c1")
    assert sent == ["GET"]


@pytest.mark.parametrize("code", [500, 502, 503, 504])
def test_a_restore_is_never_retried_on_a_server_error_it_may_have_run(code: int) -> None:
    api, sent, traffic = client(status(code, "1"), status(200))
    assert api.post("/v1/databases/db_c1/restore", json={}).status_code == code  # a finding for the checks
    assert sent == ["POST"]
    assert traffic.retries == 0


def test_a_restore_is_never_retried_when_the_connection_is_lost() -> None:
    api, sent, _ = client(httpx.ReadError, status(200))
    with pytest.raises(httpx.ReadError):
        api.post("/v1/databases/db_c1/restore", json={})
    assert sent == ["POST"]


def test_answers_that_are_no_transient_are_returned_at_once() -> None:
    api, sent, traffic = client(status(404), status(422), status(401))
    assert [api.get("/v1/x").status_code, api.post("/v1/x").status_code, api.get("/v1/y").status_code] == [
        404,
        422,
        401,
    ]
    assert len(sent) == 3
    assert traffic.retries == 0


def test_retries_exhausted_end_the_run_with_one_line() -> None:
    api, _, _ = client(*[status(429, "1")] * 20)
    with pytest.raises(RetriesExhausted, match=r"^rate-limited for \d+ s on POST /v1/databases/db_c1/restore"):
        api.post("/v1/databases/db_c1/restore", json={})


def test_the_waits_follow_retry_after_and_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr("httpx_retries.retry.time.sleep", slept.append)
    queue = [status(429, "3"), status(503, "1000"), status(200)]
    traffic = Traffic(Transient(httpx.MockTransport(lambda request: queue.pop(0)(request))))
    with httpx.Client(transport=traffic, base_url="https://api") as api:
        assert api.get("/v1/databases/db_c1").status_code == 200
    assert slept[0] == 3  # what Retry-After named
    assert slept[1] <= 60  # capped: a server asking for 1000 s is not waited for that long
    assert traffic.waited == sum(slept)


def test_a_storm_is_waited_out_within_the_readmes_caps_then_ends_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """README: "Waits are capped (60 s each, 600 s a request)": a server asking for 1000 s each time gets ten
    retries of 60 s, then the run ends with its one line; a gateway's 503 without Retry-After backs off 1 s, 2 s, …"""
    slept: list[float] = []
    monkeypatch.setattr("httpx_retries.retry.time.sleep", slept.append)
    monkeypatch.setattr("httpx_retries.retry.random.uniform", lambda low, high: high)  # the longest jitter allows
    sent: list[str] = []

    def storm(request: httpx.Request) -> httpx.Response:
        sent.append(request.method)
        return status(429, "1000")(request)

    traffic = Traffic(Transient(httpx.MockTransport(storm)))
    with httpx.Client(transport=traffic, base_url="https://api") as api, pytest.raises(RetriesExhausted) as ended:
        api.post("/v1/databases/db_c1/restore", json={})
    assert slept == [60.0] * 10
    assert len(sent) == 11, "the request and ten retries"
    assert str(ended.value).startswith("rate-limited for 600 s on POST /v1/databases/db_c1/restore (10 retries)")
    slept.clear()
    queue = [status(503), status(503), status(503), status(200)]
    traffic = Traffic(Transient(httpx.MockTransport(lambda request: queue.pop(0)(request))))
    with httpx.Client(transport=traffic, base_url="https://api") as api:
        assert api.get("/v1/databases/db_c1").status_code == 200
    assert slept == [1.0, 2.0, 4.0], "0.5 s doubled per attempt made"


def test_a_gateway_that_stays_down_gets_ten_retries_backing_off_to_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr("httpx_retries.retry.time.sleep", slept.append)
    monkeypatch.setattr("httpx_retries.retry.random.uniform", lambda low, high: high)
    traffic = Traffic(Transient(httpx.MockTransport(lambda request: status(503)(request))))
    with (
        httpx.Client(transport=traffic, base_url="https://api") as api,
        pytest.raises(RetriesExhausted, match=r"^answered 503 for 303 s on GET /v1/databases/db_c1 \(10 retries\)"),
    ):
        api.get("/v1/databases/db_c1")
    assert slept == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0, 60.0]
