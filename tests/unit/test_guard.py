"""The safety guard refuses destructive requests towards databases the run does not own, before sending."""

from __future__ import annotations

from urllib.parse import unquote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from restore_contract.contracts import matches_database_id
from restore_contract.targets.guard import UNIQUE, Allowlist, GuardTransport, UnsafeRequestRefused, refusal

OWNED = "db_cownedowned1ownedowned1xy"  # a realistic cuid: its random part is unique
SHORT = "db_abc"  # an owned id too short to be unique: it counts only whole
PROJECT = "proj_mine"  # the run's project (PRISMA_CONTRACT_PROJECT_ID)


def _client() -> tuple[httpx.Client, list[httpx.Request], Allowlist]:
    sent: list[httpx.Request] = []

    def server(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={})

    allowlist = Allowlist(projects={PROJECT})
    allowlist.allow(OWNED, "contract-target-1")
    allowlist.allow(SHORT, "contract-target-2")
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
        # Derived from an owned id, but a lenient server could take them to another database:
        ("POST", f"/v1/databases/x%2F{OWNED}/restore"),  # the part before the slash: database `x`
        ("POST", f"/v1/databases/{OWNED}%2Fx/restore"),  # the part after it
        ("POST", f"/v1/databases/{OWNED[:-1]}/restore"),  # a prefix of an owned id is another id
        ("POST", "/v1/databases/db_abcd/restore"),  # a short owned id counts only whole
        ("POST", "/v1/databases/xabc/restore"),
        ("POST", "/v1/databases/xabc%20/restore"),  # trimmed, it is database `xabc`
        ("POST", "/v1/databases/DB_xabc/restore"),  # folded, it is database `db_xabc`
        ("POST", f"/v1/databases/{OWNED[:-1]}%{ord(OWNED[-1]):X}/restore"),  # undecoded, it is another valid id
        ("DELETE", "/v1/databases/"),
        # Every write is guarded, not only restores and deletes: a connection adds a role to a database
        ("POST", "/v1/databases/db_cnotmine000/connections"),
        ("POST", "/v1/databases/db_cgoldensource0/connections"),
        ("PUT", "/v1/databases/db_cnotmine000/connections"),
        ("POST", "/v1/databases//connections"),  # `//` collapsed: database `connections`
        ("POST", "/v1/projects/proj_1/databases"),  # another project's database: not the run's to delete
        ("POST", f"/v1/projects/x%2F{PROJECT}/databases"),
        ("POST", "/v1/connections/con_1/rotate"),  # a write to anything else
        ("DELETE", "/v1/connections/con_1"),
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
        # Derived from an owned id: every database a lenient server could take them to is the run's own
        ("POST", f"/v1/databases/DB_{OWNED[3:]}/restore"),  # the prefix's case changed
        ("POST", f"/v1/databases/{OWNED[3:]}/restore"),  # the unprefixed form
        ("POST", f"/v1/databases/{OWNED}%20/restore"),  # trailing characters
        ("POST", f"/v1/databases/{OWNED}./restore"),
        ("POST", f"/v1/databases/{OWNED}%2F/restore"),
        ("POST", f"/v1/databases/{SHORT}/restore"),
        ("POST", f"/v1/databases/Db_{SHORT[3:]}%09/restore"),
        ("POST", "/v1/databases/db_ab%63/restore"),  # undecoded, `db_ab%63` matches no id: it names nothing
        ("POST", "/v1/databases/%2F/restore"),  # nothing but a slash
        ("DELETE", f"/v1/databases/{OWNED}"),
        ("GET", "/v1/databases/db_cnotmine000"),  # reads are harmless
        ("HEAD", "/v1/databases/db_cnotmine000/connections"),
        ("POST", f"/v1/databases/{OWNED}/connections"),
        ("POST", f"/v1/projects/{PROJECT}/databases"),
        ("POST", "/v1/databases//restore"),  # the empty-id probe names no database
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


def test_a_database_named_like_a_golden_source_is_never_a_restore_target() -> None:
    with pytest.raises(UnsafeRequestRefused, match="named like a golden source"):
        Allowlist().allow("db_cgolden", "contract-golden-source")


def test_the_guard_reads_the_encoded_path() -> None:
    allowlist = Allowlist(projects={PROJECT})
    assert refusal(allowlist, "post", "/v1/databases/c%2F0000000/restore") == (
        "it writes to database 'c/0000000', which this run was neither given (PRISMA_CONTRACT_TARGET_DATABASE_ID) "
        "nor created"
    )
    assert refusal(allowlist, "GET", "/v1/databases/x") is None


def test_a_generated_create_goes_to_a_minted_project_only() -> None:
    client, sent, allowlist = _client()
    client.post(f"/v1/projects/proj_{allowlist.mint()}/databases")
    assert len(sent) == 1


def test_ids_carrying_a_minted_token_pass_and_others_do_not() -> None:
    client, sent, allowlist = _client()
    token = allowlist.mint()
    for segment in (f"c{token}", f"db_c{token}", token, f"c{token}%C3%A9{'x' * 300}", f"c{token}%2F{OWNED}"):
        client.post(f"/v1/databases/{segment}/restore")
    assert len(sent) == 5
    with pytest.raises(UnsafeRequestRefused):
        client.post(f"/v1/databases/x%2Fc{token}/restore")  # `x` alone could be another database
    with pytest.raises(UnsafeRequestRefused):
        client.post(f"/v1/databases/c{token[:-8]}/restore")  # not the whole token: not this run's randomness


def test_minted_tokens_are_the_runs_own_randomness() -> None:
    recorded = [Allowlist(secret="recorded").mint() for _ in range(2)]
    assert recorded[0] == recorded[1]  # a recorded run's replay sends the same ids
    assert Allowlist().mint() != Allowlist().mint()  # a live run's are fresh
    assert len(recorded[0]) >= UNIQUE
    assert matches_database_id(recorded[0])
    assert matches_database_id(f"c{recorded[0]}")
    assert matches_database_id(f"db_c{recorded[0]}")


# Lenient servers, written apart from the guard: each turns a raw path segment into the id it looks up.
def _decoded(segment: str) -> str:
    return unquote(segment)


def _after_slash(segment: str) -> str:
    return unquote(segment).rsplit("/", 1)[-1]


def _before_slash(segment: str) -> str:
    return unquote(segment).split("/", 1)[0]


def _trimmed(segment: str) -> str:
    return unquote(segment).rstrip(" \t./")


def _prefix_folded(segment: str) -> str:
    decoded = unquote(segment)
    return "db_" + decoded[3:] if decoded[:3].lower() == "db_" else decoded


def _aliased(segment: str) -> str:
    decoded = unquote(segment)
    return decoded if decoded.startswith("db_") else "db_" + decoded


SERVERS = (lambda s: s, _decoded, _after_slash, _before_slash, _trimmed, _prefix_folded, _aliased)
OTHER = "db_cothersothersothers1"  # another tenant's database
PIECES = st.sampled_from(
    [OWNED, OWNED[3:], SHORT, OTHER, OTHER[3:], "x", "abc", "DB_", "Db_", "%2F", "%20", ".", "%09", "c", "%C3%A9"]
)


@settings(max_examples=500, deadline=None)
@given(pieces=st.lists(PIECES, min_size=1, max_size=4), with_token=st.booleans())
def test_an_allowed_segment_reaches_no_database_of_anyone_else(pieces: list[str], with_token: bool) -> None:
    """Whatever a lenient server makes of an allowed id, it is the run's own database, carries the run's token or
    the random part of an owned id (no one else's id can contain those), or is no valid id at all."""
    allowlist = Allowlist(secret="test")
    for owned, name in ((OWNED, "contract-target-1"), (SHORT, "contract-target-2")):
        allowlist.allow(owned, name)
    token = allowlist.mint()
    segment = "".join(pieces) + (f"c{token}" if with_token else "")
    if segment not in allowlist:
        return
    for server in SERVERS:
        looked_up = server(segment)
        assert (
            not matches_database_id(looked_up)
            or looked_up in (OWNED, SHORT)
            or looked_up.removeprefix("db_") in (OWNED[3:], SHORT[3:])
            or token in looked_up
            or OWNED[3:] in looked_up
        ), f"{segment!r} → {looked_up!r} ({server.__name__})"


# --- Deleting connections: only the run's own lease and probe connection on a database it owns (targets/lease.py) ---

MINE = "con_cmineminemine000000001"


@pytest.mark.parametrize(
    "path",
    [
        "/v1/connections/con_cseensomeoneelses00001",  # an id merely seen in a listing: someone else's connection
        f"/v1/connections/{MINE}x",  # derived from the run's own: another connection
        f"/v1/connections/{MINE[:-1]}",
        f"/v1/connections/{MINE[4:]}",  # the unprefixed form is not the exact id the run was given
        f"/v1/connections/{MINE}%2Fx",
        f"/v1/connections/x%2F{MINE}",
    ],
)
def test_deleting_a_connection_the_run_did_not_create_is_refused(path: str) -> None:
    client, sent, allowlist = _client()
    allowlist.allow_connection(MINE, OWNED, "contract-lease-run1-run1-until-1")
    with pytest.raises(UnsafeRequestRefused, match="which this run did not create"):
        client.delete(path)
    assert sent == []


def test_the_run_deletes_exactly_the_connection_it_created() -> None:
    client, sent, allowlist = _client()
    allowlist.allow_connection(MINE, OWNED, "contract-probe")
    assert client.delete(f"/v1/connections/{MINE}").status_code == 200
    assert [request.url.path for request in sent] == [f"/v1/connections/{MINE}"]


@pytest.mark.parametrize(
    ("database", "name"),
    [("db_cnotmine000", "contract-lease-run1-run1-until-1"), (OWNED, "default"), (OWNED, "production-app")],
    ids=["on a database the run does not own", "not named contract-…", "a user's connection"],
)
def test_a_connection_is_never_allowed_for_deletion_unless_contract_named_on_an_owned_database(
    database: str, name: str
) -> None:
    _, _, allowlist = _client()
    with pytest.raises(UnsafeRequestRefused, match="only connections named contract-"):
        allowlist.allow_connection(MINE, database, name)
    assert MINE not in allowlist.connections


def test_a_forgotten_database_is_no_longer_written_to() -> None:
    """A session that does not hold the sacrificial database's lease leaves it alone, by construction."""
    client, sent, allowlist = _client()
    allowlist.forget(OWNED)
    with pytest.raises(UnsafeRequestRefused):
        client.post(f"/v1/databases/{OWNED}/restore", json={})
    assert sent == []


def test_a_refusal_names_what_the_request_would_have_touched() -> None:
    """A refusal fails the run and is listed in the summary: it says which connection or project, as the user
    knows it (decoded), not the path."""
    client, sent, _ = _client()
    with pytest.raises(UnsafeRequestRefused, match=r"it deletes connection 'con_other', which this run did not"):
        client.delete("/v1/connections/con_other")
    with pytest.raises(UnsafeRequestRefused, match=r"it creates a database in 'proj_1', not the run's PRISMA_"):
        client.post("/v1/projects/proj_1/databases", json={"name": "x"})
    assert sent == []


def test_an_owned_id_shorter_than_unique_counts_only_whole_and_a_query_names_nothing() -> None:
    """README: the guard lets a write through to an id "that carries the random part of one of" the run's databases;
    a part of 15 characters is too short to be nobody else's, so only the whole id passes. The query string is not
    the path: an owned id there does not make a write to another database pass."""
    client, sent, allowlist = _client()
    allowlist.allow("db_c0123456789abcd", "contract-target-3")  # c + 14: 15 characters after db_
    for path in ("/v1/databases/db_c0123456789abcdx/restore", f"/v1/databases/db_cother0000/restore?to={OWNED}"):
        with pytest.raises(UnsafeRequestRefused):
            client.post(path, json={})
    client.post(f"/v1/databases/{OWNED}/restore?note=x", json={})
    allowlist.allow("db_c0123456789abcde", "contract-target-4")  # 16 characters after db_: its random part counts
    client.post("/v1/databases/db_c0123456789abcde~/restore", json={})
    client.delete(f"/v1/databases/{OWNED}?force=true")
    client.delete(f"/v1/databases/{SHORT}?force=true")  # a whole short id with a query: still the whole id
    client.post("/v1/databases//restore?note=x", json={})  # the empty-id probe, whatever its query
    assert [request.url.path for request in sent] == [
        f"/v1/databases/{OWNED}/restore",
        "/v1/databases/db_c0123456789abcde~/restore",
        f"/v1/databases/{OWNED}",
        f"/v1/databases/{SHORT}",
        "/v1/databases//restore",
    ]
