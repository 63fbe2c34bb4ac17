"""Send a schemathesis case with the suite's own client and judge the answer with every check that applies.

Schemathesis generates (or a property test builds) the case; the driver probes the world first, sends
through the target's transport (never schemathesis's own HTTP stack, so the safety guard and the
recorder see every request), then runs the built-in and restore checks and turns their failures into
one readable message.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import unquote

import httpx
import schemathesis
from schemathesis.core.failures import FailureGroup

from checks.builtin import RESTORE as RESTORE_KIND
from checks.builtin import SCAFFOLDING, checks_for
from checks.probe import Probe
from checks.report import REPORT
from checks.repro import curl, explain_failure
from checks.restore import RESTORE_CHECKS, AnyCase, Observation, observing
from checks.violation import ContractViolation, property_of
from contracts import OPENAPI_PATH, RESTORE, encode_segment
from targets.base import Target
from targets.pool import Pool

_DROPPED_HEADERS = {"authorization", "user-agent", "accept-encoding", "connection", "x-schemathesis-testcaseid"}


class Driver:
    def __init__(self, target: Target, pool: Pool | None) -> None:
        self.target = target
        self.pool = pool
        self.client = target.client()
        self.probe = Probe(self.client, target.data, pool.credentials_of if pool else lambda _: [])
        self._builtin = {kind: checks_for(kind) for kind in (RESTORE_KIND, SCAFFOLDING)}

    def send(
        self, case: AnyCase, *, raw_body: bytes | None = None, token: str | None = None, authenticated: bool = True
    ) -> httpx.Response:
        """Send `case` (its body replaced by `raw_body` when given) and check the answer."""
        kwargs = case.as_transport_kwargs(base_url=self.target.base_url)
        headers = {k: v for k, v in kwargs["headers"].items() if k.lower() not in _DROPPED_HEADERS}
        content = raw_body if raw_body is not None else _content(kwargs)
        if raw_body is not None:
            headers["Content-Type"] = "application/json"
        client = (
            self.client if token is None and authenticated else self.target.client(token, authenticated=authenticated)
        )
        is_restore = case.operation.definition.raw.get("operationId") == RESTORE
        observation = None
        if is_restore:
            target_id = unquote(str(case.path_parameters.get("targetDatabaseId", "")))
            token_valid = authenticated and (token is None or token == self.target.token)
            before = self.probe.before(target_id, content, token_valid=token_valid)
            observation = Observation(
                before=before,
                probe=self.probe,
                restore_timeout=self.target.restore_timeout,
                backup_data=self.pool.data_of if self.pool else lambda _: None,
                credentials=self.pool.credentials_of if self.pool else lambda _: [],
                body=content,
            )
        response = client.request(
            kwargs["method"], kwargs["url"], headers=headers, params=kwargs.get("params") or None, content=content
        )
        checks = [*self._builtin[RESTORE_KIND], *RESTORE_CHECKS] if is_restore else self._builtin[SCAFFOLDING]
        try:
            if observation is not None:
                with observing(case, observation):
                    case.validate_response(response, checks=checks, headers=dict(response.request.headers))
            else:
                case.validate_response(response, checks=checks, headers=dict(response.request.headers))
        except FailureGroup as group:
            broken = [(failure.title, failure.message) for failure in group.exceptions]
            test = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" (", 1)[0]
            REPORT.failures[test] = f"{', '.join(title for title, _ in broken)}: {curl(response.request)}"
            properties = tuple(dict.fromkeys(property_of(failure) for failure in group.exceptions))
            raise ContractViolation(explain_failure(broken, response, self.target.name), properties) from None
        return response


def _content(kwargs: dict[str, Any]) -> bytes | None:
    if "json" in kwargs:
        return json.dumps(kwargs["json"]).encode()
    data = kwargs.get("data")
    if data is None:
        return None
    return data if isinstance(data, bytes) else str(data).encode()


_SCHEMA = schemathesis.openapi.from_path(str(OPENAPI_PATH))
RESTORE_OPERATION = _SCHEMA["/v1/databases/{targetDatabaseId}/restore"]["POST"]


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
