"""Transient answers are not contract verdicts: rate limits and a gateway's passing 502/503/504 are retried.

The retry policy is httpx-retries' (a transport, so it sits in the target's transport stack like the guard and
the recorder), configured per request by what a retry may do:

* a `429` proves the request was not executed: any request is retried after the `Retry-After` it names, a
  restore included;
* a read, or the run's own delete, is retried on 502/503/504 and on a lost connection too (it changes nothing,
  or the same thing again);
* a restore, or a create, is never retried on a 5xx or a lost connection: the server failed on a call that may
  have run, which is a finding for the checks to report, not a reason to send it twice.

Waits are bounded (backoff capped, and a total per request); when a request is still answered transiently after
them, `RetriesExhausted` ends the run with one line: that is a verdict on the environment, not on the contract.
"""

from __future__ import annotations

import httpx
from httpx_retries import Retry, RetryTransport

NOT_EXECUTED = frozenset({429})
GATEWAY = frozenset({502, 503, 504})
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})
# Staging rate-limits for seconds, a gateway hiccups for a few: ten minutes on one request is not transient.
TOTAL_WAIT = 600.0
MAX_WAIT = 60.0


class RetriesExhausted(BaseException):
    """Still rate-limited or unavailable after the retries: the run cannot go on (a BaseException, so Hypothesis
    does not treat it as a failing example and retry it; the contract suite ends the run with its message)."""


def _policy(methods: frozenset[str], statuses: frozenset[int], *, lost_connection: bool, waits: bool) -> Retry:
    return Retry(
        total=10,
        allowed_methods=methods,
        status_forcelist=statuses,
        retry_on_exceptions=(httpx.TransportError,) if lost_connection else (),
        backoff_factor=0.5 if waits else 0.0,
        respect_retry_after_header=waits,
        max_backoff_wait=MAX_WAIT,
        total_timeout=TOTAL_WAIT,
    )


class Transient(httpx.BaseTransport):
    """Retries what a retry may repeat (see the module). `waits` off: a replay, whose recorded answers need no
    waiting for. The final `Retry` (attempts made, time waited) stays in the response's extensions."""

    def __init__(self, inner: httpx.BaseTransport, *, waits: bool = True) -> None:
        self._retrying = RetryTransport(transport=inner)
        self._reads = _policy(IDEMPOTENT, NOT_EXECUTED | GATEWAY, lost_connection=True, waits=waits)
        # Until the server has answered once, a connection error is a wrong URL, not a passing hiccup: fail fast.
        self._first_reads = _policy(IDEMPOTENT, NOT_EXECUTED | GATEWAY, lost_connection=False, waits=waits)
        self._writes = _policy(frozenset({"POST", "PUT", "PATCH"}), NOT_EXECUTED, lost_connection=False, waits=waits)
        self._reached = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        reads = self._reads if self._reached else self._first_reads
        policy = reads if request.method.upper() in IDEMPOTENT else self._writes
        request.extensions["retry"] = policy
        response = self._retrying.handle_request(request)
        self._reached = True
        final: Retry = response.extensions.get("retry", policy)
        if final.attempts_made and final.is_retryable_status_code(response.status_code):
            response.close()
            what = "rate-limited" if response.status_code in NOT_EXECUTED else f"answered {response.status_code}"
            raise RetriesExhausted(
                f"{what} for {final.elapsed_sleep:.0f} s on {request.method} {request.url.path} "
                f"({final.attempts_made} retries): the API is not available to this run; try again later"
            )
        return response

    def close(self) -> None:
        self._retrying.close()
