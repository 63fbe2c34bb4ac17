"""Send a schemathesis case with the suite's own client and judge the answer with every check that applies.

Schemathesis generates (or a property test builds) the case; the driver probes the world first, sends
through the target's transport (never schemathesis's own HTTP stack, so the safety guard and the
recorder see every request), then runs the built-in checks and the restore checks, and turns their
failures into one ContractViolation naming every broken property. A caller that arranged the world itself
(a property test, the lifecycle model) passes it too, and the oracle judges the answer against it as well:
that world is known independently of what the server says about itself.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from typing import Any, Protocol
from urllib.parse import unquote

import httpx
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.case import Case

from restore_contract.checks.builtin import RESTORE as RESTORE_KIND
from restore_contract.checks.builtin import SCAFFOLDING, checks_for
from restore_contract.checks.probe import OTHER, OWN, Before, OtherWorkspace, Probe
from restore_contract.checks.restore import (
    RESTORE_CHECKS,
    Observation,
    RestoreCheck,
    restore_answers_the_arranged_world,
)
from restore_contract.checks.schema import SCHEMA
from restore_contract.checks.tally import Tally
from restore_contract.checks.violation import ContractViolation, property_of
from restore_contract.contracts import RESTORE, RestoreWorld, encode_segment, operations
from restore_contract.dataset.tables import Tables
from restore_contract.run.budget import Budget, StopExamples
from restore_contract.run.inflight import InFlight
from restore_contract.run.record import RunRecord
from restore_contract.run.repro import curl, explain_failure
from restore_contract.run.utilisation import Utilisation
from restore_contract.targets.api import ManagementApi
from restore_contract.targets.base import NO_ADMIN, OTHER_WORKSPACE, Target
from restore_contract.targets.pace import PACED, urgent
from restore_contract.targets.pool import Pool

AnyCase = Case[Any]
ARRANGED = restore_answers_the_arranged_world.__name__
_DROPPED_HEADERS = {"authorization", "user-agent", "accept-encoding", "connection", "x-schemathesis-testcaseid"}


NO_TEST = "?"  # the driver's test between tests
# The node id of the contract test running now, so a request, a violation and a cut-short test are the test's that
# sent them. A context variable set around each test (`running`), not driver state: a driver belongs to the session,
# and a test that builds its own (the project's tests) says which test it is where it runs.
CURRENT_TEST: ContextVar[str] = ContextVar("restore_contract_current_test", default=NO_TEST)


@contextlib.contextmanager
def running(test: str) -> Iterator[None]:
    """`test` is the one sending while the block runs (the plugin wraps each contract test in it)."""
    token = CURRENT_TEST.set(test)
    try:
        yield
    finally:
        CURRENT_TEST.reset(token)


class KeepsTargetsBusy(Protocol):
    """What the plugin tells the restores that keep the targets busy (run/keepbusy.py, which sends through the
    driver, so the driver names only this) about each test."""

    owner: str
    error: BaseException | None

    def test_starts(self, test: str, restoring: bool, needs_targets: bool = True) -> None: ...

    def test_stopped_sending(self, next_restoring: bool) -> None: ...


@dataclasses.dataclass(frozen=True)
class Asked:
    """How the caller asked a case to be sent (`Driver.send`'s keywords, whose defaults are the only ones)."""

    raw_body: bytes | None
    token: str | None
    authenticated: bool
    world: RestoreWorld | None
    while_recovering: Callable[[], object] | None
    inline: bool


class Driver:
    def __init__(
        self,
        target: Target,
        pool: Pool,
        report: RunRecord,
        inflight: InFlight | None = None,
        budget: Budget | None = None,
        utilisation: Utilisation | None = None,
    ) -> None:
        self.target = target
        self.pool = pool
        # The run's record: what each request's checks counted goes into it. Named `report` as before: the
        # lifecycle state machine reads it, and Hypothesis seeds a derandomized state machine from its source, so a
        # rename would change the examples and the recorded cassette would no longer replay.
        self.report = report
        self.inflight = inflight or InFlight(workers=1)  # 1: every restore verified inline, before send returns
        self.budget = budget or Budget(seconds=None)
        # How busy the restore targets are kept (run/utilisation.py): from when the driver is made, the pool ready.
        self.utilisation = utilisation or Utilisation.of(pool.ready)
        self.keep_busy: KeepsTargetsBusy | None = None  # the restores keeping the targets busy, when the run has them
        self._interruptible = True
        self.violated: dict[str, ContractViolation] = {}  # test → the first violation its requests met
        self.client = target.client()
        self.api = ManagementApi(self.client)  # the requests the suite sends on purpose
        other = OtherWorkspace(pool.other_client, pool.foreign.__contains__) if pool.other_client is not None else None
        self.probe = Probe(self.client, target.data, pool.credentials_of, other)
        self._builtin = {kind: checks_for(kind) for kind in (RESTORE_KIND, SCAFFOLDING)}

    @property
    def test(self) -> str:
        """The node id of the test sending now (NO_TEST between tests)."""
        return CURRENT_TEST.get()

    def send(
        self,
        case: AnyCase,
        *,
        raw_body: bytes | None = None,
        token: str | None = None,
        authenticated: bool = True,
        world: RestoreWorld | None = None,
        while_recovering: Callable[[], object] | None = None,
        inline: bool = False,
    ) -> httpx.Response:
        """Send `case` (its body replaced by `raw_body` when given) and check the answer; `world`: the world the
        caller arranged for a restore, which the answer must fit too; `while_recovering`: what to do after a 200
        before the checks wait for the end of the recovery (their verdicts come first, then its own); `inline`: a 200
        is verified to its end before this returns (a model whose next step needs the restore ended)."""
        __tracebackhide__ = True  # a failure shows its message, not this function's source
        test = self.test
        self._may_send(test)
        asked = Asked(raw_body, token, authenticated, world, while_recovering, inline)
        try:
            return self._send(test, case, asked)
        except ContractViolation as violation:
            # From now on the budget never stops this test: it would swallow the failure while Hypothesis replays
            # the example to report it.
            self.violated.setdefault(test, violation)
            raise

    def send_on_behalf(self, test: str, case: AnyCase, *, world: RestoreWorld) -> None:
        """Send a restore for `test` from another thread (run/keepbusy.py), judged like any other: no share of the
        budget stops it (the caller keeps to the run's budget), and what its answer breaks is `test`'s, handed over
        with its background verifications when it ends (`InFlight.finish`), as is what they find."""
        __tracebackhide__ = True
        try:
            self._send(test, case, Asked(None, None, True, world, None, False))
        except ContractViolation as violation:
            self.inflight.failed_now(test, violation)
            raise

    def _send(self, test: str, case: AnyCase, asked: Asked) -> httpx.Response:
        """Build, observe the world before a restore, send, let the caller act while it recovers, judge."""
        __tracebackhide__ = True
        client, request, content = self._request(case, asked)
        if asked.while_recovering is not None:
            self._make_room()
        observed = self._observe(case, content, self._token_kind(asked), asked.world)
        sent = time.monotonic()  # a restore that answers 200 holds its target from here (run/utilisation.py)
        response = self._transmit(client, request, observed)
        meanwhile = self._while_recovering(observed, response, asked.while_recovering)
        broken = self._builtin_failures(case, response, SCAFFOLDING if observed is None else RESTORE_KIND)
        if observed is not None:
            broken += self._judge_restore(
                test, observed, response, asked.inline, already_broken=bool(broken), sent=sent
            )
        if broken:
            raise self._violation(test, broken, response) from None
        if meanwhile is not None:
            raise meanwhile
        return response

    def _request(self, case: AnyCase, asked: Asked) -> tuple[httpx.Client, httpx.Request, bytes | None]:
        """The request as the case describes it (its body replaced by a raw one when asked), its body, and the
        client of the caller asked for: the run's admin by default, another token, or none."""
        kwargs = case.as_transport_kwargs(base_url=self.target.base_url)
        headers = {k: v for k, v in kwargs["headers"].items() if k.lower() not in _DROPPED_HEADERS}
        content = asked.raw_body if asked.raw_body is not None else _content(kwargs)
        if asked.raw_body is not None:
            headers["Content-Type"] = "application/json"
        default = asked.token is None and asked.authenticated
        client = self.client if default else self.target.client(asked.token, authenticated=asked.authenticated)
        request = client.build_request(
            kwargs["method"], kwargs["url"], headers=headers, params=kwargs.get("params") or None, content=content
        )
        return client, request, content

    def _transmit(self, client: httpx.Client, request: httpx.Request, observed: Observation | None) -> httpx.Response:
        """Send; a restore whose answer never came is a finding (it may have run), and whether it waited (for a
        retry, or for its turn under the server's rate limit) is part of what was observed."""
        try:
            response = client.send(request)
        except httpx.TransportError as lost:
            if observed is None:
                raise
            raise self._lost(request, lost, observed) from None
        if observed is not None:
            retried = getattr(response.extensions.get("retry"), "attempts_made", 0) > 0
            observed.waited = retried or response.extensions.get(PACED, 0.0) > 0
        return response

    def _make_room(self) -> None:
        """Under a rate limit the run paces itself near it, so the server's last second is nearly full: the step sent
        while this restore recovers would be refused (429), wait a second for its retry, and find the window closed
        (a fault accepting restores while recovering went unseen). Hold the other threads back for a second first."""
        pacer = self.target.traffic.pacer
        if pacer is not None:
            self.target.pace(pacer.make_room())

    def _while_recovering(
        self, observed: Observation | None, response: httpx.Response, act: Callable[[], object] | None
    ) -> ContractViolation | None:
        """The caller's step while a restore it started recovers; what it found is raised after the restore's own
        verdicts, which come first."""
        if observed is None or act is None or response.status_code != 200:
            return None
        try:
            # Part of this example: never stopped by the budget, which would leave the first restore unverified (and
            # its target recovering, with nothing in flight to say so).
            with self.uninterrupted(), urgent():  # the window is open now: a wait for the pace could close it
                act()
        except ContractViolation as violation:
            return violation
        return None

    def _judge_restore(
        self,
        test: str,
        observed: Observation,
        response: httpx.Response,
        inline: bool,
        *,
        already_broken: bool,
        sent: float | None = None,
    ) -> list[tuple[str, str]]:
        """The restore checks: those that wait for the end of a recovery go to the background when restores are
        verified there (and the answer broke nothing yet), the others run now; a 200 verified now is reported.
        `sent`: when the request went out (time.monotonic()), from which a 200 holds its target until verified."""
        later = [] if inline else self._verify_later(observed, response)
        started, answered = time.monotonic(), self.report.since_start()
        restored = response.status_code == 200 and observed.before.target is not None
        held = None
        if restored and observed.before.target is not None:  # by the id the server gives (`c…` names `db_c…`)
            held = self.utilisation.sent(started if sent is None else sent, observed.before.target.id)
        broken = _restore_failures(observed, response, [check for check in RESTORE_CHECKS if check not in later])
        self.report.merge(observed.tally)
        failed = bool(broken) or already_broken
        if restored and not later:
            self.budget.verified_in(time.monotonic() - started)
            self.report.restored(observed.before.target_id, answered, ok=not failed)
        if later and not failed:
            self._start_verifying(test, observed, response, later, answered, held)
        elif held is not None:
            self.utilisation.verified(held)
        return broken

    def free_target(self, candidates: Sequence[str], more: Callable[[], Sequence[str]] | None = None) -> str:
        """The first of `candidates` with no restore of this run in flight (one still recovering would rightly answer
        409, not what a test arranged), waiting for one when all are busy; `more`: targets that may join them
        meanwhile (the pool's ready ones, as run/keepbusy.py gives them back). Verified inline, nothing is in
        flight."""
        return self.inflight.first_free(candidates, more)

    def data_after_restore(self, database_id: str) -> Tables | None:
        """The database's data, read once a restore into it still being verified has ended (the docs promise nothing
        about a database's data while it recovers)."""
        self.inflight.settle(database_id)
        return self.probe.read_data(database_id)

    def must_stop(self, test: str | None = None) -> str | None:
        """Why the test should send nothing more, if it should: a restore it started failed its verification (it is
        reported when the test ends), or its share of the time budget is spent (it passes on what it checked)."""
        test = test or self.test
        if test in self.violated:
            # Hypothesis goes on after a failure (more examples, a replay, shrinking): inside the test's share it
            # may, past it the test ends, failing with its first violation (the suite's pytest_pyfunc_call raises
            # it), so a failing run ends near its budget too.
            spent = self.budget.share_spent(verifying=False)
            return "it failed, and its share of the run's time budget is spent" if spent else None
        if self.inflight.has_failed(test):
            return "a restore this test started failed its verification (reported when it ends)"
        if self.budget.share_spent(verifying=self.inflight.started_by(test)):
            self.budget.cut_short.append(test)
            return "its share of the run's time budget is spent"
        return None

    def checkpoint(self) -> None:
        """Between steps that send outside `send` (a model's creates, reads and deletes, each of which may wait for a
        database to settle): the test stops here, as before a request, once it must. A step counts as a request: the
        first step is the test's first example, which runs whatever its share."""
        self._may_send(self.test)

    @contextlib.contextmanager
    def uninterrupted(self) -> Iterator[None]:
        """Send without stopping the test (a state machine's sequence must run to its end); it checks itself."""
        previous, self._interruptible = self._interruptible, False
        try:
            yield
        finally:
            self._interruptible = previous

    def _may_send(self, test: str) -> None:
        """Stop the test here (Hypothesis lets the skip through), unless it should go on."""
        if not self._interruptible:
            self.budget.sending()
            return
        why = self.must_stop(test)
        if why is not None:
            raise StopExamples(why)
        self.budget.sending()

    def _token_kind(self, asked: Asked) -> str:
        """Which caller sends: missing, valid (the run's admin), one of the other principals (targets/base.py), or
        invalid (any other token)."""
        if not asked.authenticated:
            return "missing"
        if asked.token in (None, self.target.token):
            return "valid"
        return next((kind for kind, known in self.target.tokens.items() if known == asked.token), "invalid")

    def _verify_later(self, observed: Observation, response: httpx.Response) -> list[RestoreCheck]:
        """The checks that wait for the end of a recovery, when restores are verified in the background."""
        if not self.inflight.background or response.status_code != 200 or observed.before.target is None:
            return []
        return [check for check in RESTORE_CHECKS if check.waits]

    def _start_verifying(
        self,
        test: str,
        observed: Observation,
        response: httpx.Response,
        checks: list[RestoreCheck],
        answered: float,
        held: int | None,
    ) -> None:
        later = dataclasses.replace(observed, tally=Tally())

        def verify() -> ContractViolation | None:
            started = time.monotonic()
            broken = _restore_failures(later, response, checks)
            if held is not None:
                self.utilisation.verified(held)
            if self.inflight.abandoned:  # the run was interrupted meanwhile: nothing it found is reported
                return None
            self.report.merge(later.tally)
            self.budget.verified_in(time.monotonic() - started)
            self.report.restored(observed.before.target_id, answered, ok=not broken)
            return self._violation(test, broken, response) if broken else None

        assert observed.before.target is not None
        self.inflight.start(test, observed.before.target.id, verify)

    def _violation(self, test: str, broken: list[tuple[str, str]], response: httpx.Response) -> ContractViolation:
        self.report.failed(test, f"{', '.join(name for name, _ in broken)}: {curl(response.request)}")
        properties = tuple(dict.fromkeys(name for name, _ in broken))
        return ContractViolation(explain_failure(broken, response, self.target.name), properties)

    def _lost(self, request: httpx.Request, lost: httpx.TransportError, observed: Observation) -> ContractViolation:
        """A restore whose answer never came is a finding, not a retry: it may have run. Report the request and
        what the target looks like now."""
        target = observed.before.target
        now = self.probe.database(target.id) if target is not None else None
        state = f"{target.id if target else 'the target'} is now {now.status if now else 'not found'}"
        message = f"the connection was lost on a restore, which may have run ({lost}); {state}\n  {curl(request)}"
        return ContractViolation(f"restore_answers: {message}", ("restore_answers",))

    def _observe(
        self, case: AnyCase, content: bytes | None, token: str, arranged: RestoreWorld | None
    ) -> Observation | None:
        """The world before a restore, as the public API and the data probe show it (None: not a restore)."""
        if case.operation.definition.raw.get("operationId") != RESTORE:
            return None
        target_id = unquote(str(case.path_parameters.get("targetDatabaseId", "")))
        # A restore still being verified is finished first: its checks read the target's data.
        self.inflight.settle(target_id)
        valid = token not in ("missing", "invalid")
        before = self.probe.before(target_id, content, token_valid=valid)
        found = before.target.id if before.target is not None else target_id
        if found != target_id and self.inflight.busy(found):
            # The path names the database another way (`c…` for `db_c…`), and verifications are keyed by the id the
            # server gives: that one may still be recovering. Read again once it has ended, or the world is stale
            # (recovering, so a 409) when the restore is sent (ready, so a 200).
            self.inflight.settle(found)
            before = self.probe.before(target_id, content, token_valid=valid)
        before = _as_the_caller(before, token)
        return Observation(
            before=before,
            probe=self.probe,
            restore_timeout=self.target.restore_timeout,
            pace=self.target.pace,
            backup_data=self.pool.data_of,
            credentials=self.pool.credentials_of,
            body=content,
            arranged=arranged,
            token=token,
        )

    def _builtin_failures(self, case: AnyCase, response: httpx.Response, kind: str) -> list[tuple[str, str]]:
        try:
            case.validate_response(response, checks=self._builtin[kind], headers=dict(response.request.headers))
        except FailureGroup as group:
            return [(property_of(failure), f"{failure.title}: {failure.message}") for failure in group.exceptions]
        return []


def _as_the_caller(before: Before, token: str) -> Before:
    """The world the probe read (with the tokens that see each database), with the caller's authority in it: its
    scope, and which of the databases named are another workspace's than its own."""
    if token in ("missing", "invalid"):
        return before
    caller = OTHER if token == OTHER_WORKSPACE else OWN
    world = dataclasses.replace(
        before.world,
        token_admin=token != NO_ADMIN,
        target_foreign=before.target is not None and before.target.workspace != caller,
        source_foreign=before.source_workspace is not None and before.source_workspace != caller,
    )
    return dataclasses.replace(before, world=world)


def _restore_failures(
    observed: Observation, response: httpx.Response, checks: Sequence[RestoreCheck]
) -> list[tuple[str, str]]:
    broken = []
    for check in checks:
        if not check.applies(response.status_code, observed):
            continue
        observed.tally.checked[check.counts_as] += 1
        try:
            check.run(observed, response)
        except AssertionError as error:
            broken.append((check.name, str(error)))
    return broken


def _content(kwargs: dict[str, Any]) -> bytes | None:
    if "json" in kwargs:
        return json.dumps(kwargs["json"]).encode()
    data = kwargs.get("data")
    if data is None:
        return None
    return data if isinstance(data, bytes) else str(data).encode()


RESTORE_OPERATION = SCHEMA["/v1/databases/{targetDatabaseId}/restore"]["POST"]


def read_case(operation_id: str, database_id: str) -> AnyCase:
    """A case of a read-only operation on one database (get it, list its backups or connections)."""
    described = operations()[operation_id]
    operation = SCHEMA[described.path][described.method]
    case: AnyCase = operation.Case(path_parameters={"databaseId": encode_segment(database_id)})
    return case


def restore_case(target_id: str, body: Any = None) -> AnyCase:
    """A restore case built from explicit data (property tests), judged like any generated one.

    `body` None sends no body; a `RawBody` is sent by `Driver.send(case, raw_body=...)` instead.
    """
    parameters = {"targetDatabaseId": encode_segment(target_id)}
    if body is None:
        case: AnyCase = RESTORE_OPERATION.Case(path_parameters=parameters)
        return case
    built: AnyCase = RESTORE_OPERATION.Case(path_parameters=parameters, body=body, media_type="application/json")
    return built
