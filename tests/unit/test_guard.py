"""The safety guard refuses destructive requests towards databases the run does not own, before sending."""

from __future__ import annotations

import httpx
import pytest

from targets.guard import Allowlist, GuardTransport, UnsafeRequestRefused, destructive_target

OWNED = "db_cownedowned1"


def _client() -> tuple[httpx.Client, list[httpx.Request], Allowlist]:
    sent: list[httpx.Request] = []

    def server(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={})

    allowlist = Allowlist()
    allowlist.allow(OWNED, "contract-target-1")
    client = httpx.Client(transport=GuardTransport(httpx.MockTransport(server), allowlist), base_url="https://api")
    return client, sent, allowlist


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/databases/db_cnotmine000/restore"),
        ("POST", "/v1/databases/db_cnotmine000/restore/"),
        ("POST", "/v1/databases/cnotmine000/restore"),  # an unprefixed alias is not the owned id either
        ("DELETE", "/v1/databases/db_cnotmine000"),
        ("DELETE", "/v1/projects/proj_1"),  # deleting anything but an owned database
        ("PATCH", f"/v1/databases/{OWNED}"),  # the suite never patches
        ("POST", "/base/v1/databases/db_cnotmine000/restore"),  # an API URL with a base path
    ],
)
def test_refused_requests_never_reach_the_server(method: str, path: str) -> None:
    client, sent, allowlist = _client()
    with pytest.raises(UnsafeRequestRefused, match="refused before sending"):
        client.request(method, path, json={"source": {}})
    assert sent == []
    assert allowlist.refused


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", f"/v1/databases/{OWNED}/restore"),
        ("POST", "/v1/databases/db_cownedowned%31/restore"),  # percent-encoded, still the owned id
        ("DELETE", f"/v1/databases/{OWNED}"),
        ("GET", "/v1/databases/db_cnotmine000"),  # reads are harmless
        ("POST", "/v1/databases/db_cnotmine000/connections"),
        ("POST", "/v1/projects/proj_1/databases"),
    ],
)
def test_owned_or_harmless_requests_pass(method: str, path: str) -> None:
    client, sent, allowlist = _client()
    client.request(method, path)
    assert len(sent) == 1
    assert allowlist.refused == []


def test_only_databases_named_contract_can_be_allowed() -> None:
    with pytest.raises(UnsafeRequestRefused, match="does not start with 'contract-'"):
        Allowlist().allow("db_cproduction1", "production")


def test_destructive_target_reads_the_encoded_path() -> None:
    assert destructive_target("post", "/v1/databases/c%2F0000000/restore") == "c/0000000"
    assert destructive_target("GET", "/v1/databases/x") is None
    assert destructive_target("DELETE", "/v1/connections/con_1") == ""
