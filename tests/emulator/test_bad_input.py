"""Bad input never makes the emulator fail (5xx): every answer to it is a 4xx in the error envelope, or a success.

Random methods, paths (real and random ids, percent-encoded or raw), query values, headers and bodies go to
a fresh in-process emulator. `Api` also checks every public answer against its operation in the contract.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from restore_contract.contracts import encode_segment
from restore_contract.emulator import DEFAULT_TOKEN
from restore_contract.strategies.ids import invalid_database_ids, valid_database_ids
from restore_contract.strategies.payloads import RawBody, invalid_restore_bodies, restore_bodies

if TYPE_CHECKING:
    from tests.emulator.conftest import Api, MakeApi, Seeded

# Stand-ins for the ids of the world each example builds; replaced before sending.
REAL_IDS = ("<database>", "<backup>", "<project>")
# Path templates and the methods they serve (none: no route at all).
ROUTES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("/v1/databases/{}", ("GET", "DELETE")),
    ("/v1/databases/{}/restore", ("POST",)),
    ("/v1/databases/{}/backups", ("GET",)),
    ("/v1/databases/{}/connections", ("GET", "POST")),
    ("/v1/projects/{}/databases", ("GET", "POST")),
    ("/v1/{}", ()),
    ("/v1/databases/{}/{}", ()),
    ("/{}", ()),
    ("/_emulator/databases/{}/backups", ("POST",)),
    ("/_emulator/databases/{}/status", ("PUT",)),
    ("/_emulator/databases/{}/data", ("GET", "PUT")),
    ("/_emulator/backups/{}/status", ("PUT",)),
    ("/_emulator/projects", ("POST",)),
    ("/_emulator/authenticate", ("POST",)),
    ("/_emulator/clock", ("GET", "PUT")),
)
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")
URL_SPECIAL = "/?#%;:@&=+$,!~*'()[]"
TRICKY_QUERY_VALUES = ("0", "1", "100", "101", "-1", "1.5", "nan", "inf", "1e999", "²", "٣", "9" * 5000, "")
BEARER = f"Bearer {DEFAULT_TOKEN}"

# Half real ids (to reach the handlers' deeper branches), half made up.
ids = st.one_of(
    st.sampled_from(REAL_IDS), st.one_of(valid_database_ids(), invalid_database_ids(), st.text(max_size=12))
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8,
)
bodies = st.one_of(
    st.none(),
    restore_bodies(st.one_of(st.just("<database>"), valid_database_ids()), st.sampled_from(["<backup>", "bkp_x"])),
    invalid_restore_bodies(),
    json_values,
    st.fixed_dictionaries({}, optional={"name": json_values, "region": json_values, "isDefault": json_values}),
    st.fixed_dictionaries({}, optional={"status": json_values, "clock": json_values, "tables": json_values}),
    st.binary(max_size=20).map(RawBody),
)
printable = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20)
content_types = st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded", ""])


@dataclass(frozen=True)
class Attempt:
    method: str
    template: str
    segments: tuple[str, ...]
    encode: bool  # percent-encode the segments (else only what httpx cannot send raw)
    query: dict[str, str]
    auth: str | None
    headers: dict[str, str]
    body: Any

    def path(self, world: Seeded) -> str:
        values = [self._real(segment, world) for segment in self.segments]
        # Raw segments keep the URL's own special characters (they may split the path); httpx cannot send
        # control characters or spaces raw, so those are encoded either way.
        return self.template.format(*(encode_segment(v) if self.encode else quote(v, safe=URL_SPECIAL) for v in values))

    def content(self, world: Seeded) -> bytes | None:
        if self.body is None:
            return None
        raw = self.body.content if isinstance(self.body, RawBody) else json.dumps(self.body).encode()
        for stand_in in REAL_IDS:
            raw = raw.replace(stand_in.encode(), self._real(stand_in, world).encode())
        return raw

    @staticmethod
    def _real(value: str, world: Seeded) -> str:
        real = {"<database>": world.database_id, "<backup>": world.backup_id, "<project>": world.project_id}
        return real.get(value, value)


@st.composite
def attempts(draw: st.DrawFn) -> Attempt:
    """Mostly requests a route serves, with a valid token (so bodies and ids reach the handlers)."""
    template, served = draw(st.sampled_from(ROUTES))
    other_method = not served or draw(st.integers(0, 4)) == 4
    bad_token = draw(st.integers(0, 4)) == 4
    return Attempt(
        method=draw(st.sampled_from(METHODS if other_method else served)),
        template=template,
        segments=tuple(draw(ids) for _ in range(template.count("{}"))),
        encode=draw(st.booleans()),
        query=draw(st.dictionaries(st.sampled_from(["limit", "cursor", "x"]), st.sampled_from(TRICKY_QUERY_VALUES))),
        auth=draw(st.one_of(st.none(), printable)) if bad_token else BEARER,
        headers=draw(st.fixed_dictionaries({}, optional={"Content-Type": content_types})),
        body=draw(bodies),
    )


def _send(api: Api, attempt: Attempt, world: Seeded) -> int:
    response = api.request(
        attempt.method,
        attempt.path(world),
        auth=attempt.auth,
        content=attempt.content(world),
        headers=attempt.headers,
        params=attempt.query,
    )
    assert response.status_code < 500, f"{attempt} → {response.status_code}: {response.text}"
    if response.status_code >= 400:
        api.check(response)  # the error envelope, for control-plane answers too
    return response.status_code


# Each example builds its own emulator through the factory; the fixture only closes the clients afterwards.
@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(attempt=attempts())
def test_random_requests_never_fail_the_server(make_api: MakeApi, attempt: Attempt) -> None:
    api = make_api()
    event(f"status {_send(api, attempt, api.seed(api.project()))}")  # see --hypothesis-show-statistics


def _trap(
    method: str, template: str, segment: str | None, query: dict[str, str] | None = None, body: Any = None
) -> Attempt:
    segments = () if segment is None else (segment,)
    return Attempt(method, template, segments, segment in REAL_IDS, query or {}, BEARER, {}, body)


PROJECT_DATABASES = "/v1/projects/{}/databases"
KNOWN_TRAPS = {
    "unicode digit cursor": _trap("GET", PROJECT_DATABASES, "<project>", {"cursor": "²"}),
    "5000-digit cursor": _trap("GET", "/v1/databases/{}/connections", "<database>", {"cursor": "9" * 5000}),
    "nan limit": _trap("GET", PROJECT_DATABASES, "<project>", {"limit": "nan"}),
    "infinite limit": _trap("GET", "/v1/databases/{}/backups", "<database>", {"limit": "1e999"}),
    "region a list": _trap("POST", PROJECT_DATABASES, "<project>", body={"region": []}),
    "deeply nested restore": _trap("POST", "/v1/databases/{}/restore", "<database>", body=RawBody(b"[" * 100_000)),
    "deeply nested body": _trap("POST", "/v1/databases/{}/connections", "<database>", body=RawBody(b'{"a":' * 50_000)),
    "unparsable connection string": _trap(
        "POST", "/_emulator/authenticate", None, body={"connectionString": "http://["}
    ),
    "invalid UTF-8 in the path": _trap("GET", "/v1/databases/{}", "c%FF%FE00000000"),
}


@pytest.mark.parametrize("attempt", KNOWN_TRAPS.values(), ids=KNOWN_TRAPS.keys())
def test_inputs_that_once_failed_the_server(api: Api, seeded: Seeded, attempt: Attempt) -> None:
    _send(api, attempt, seeded)
