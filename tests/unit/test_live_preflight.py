"""README: a golden source without a completed backup stops a live run with one line before anything is written
(`PRISMA_CONTRACT_SOURCE_DATABASE_ID=… has no completed backup to restore from`): its restores could check nothing.
The preflight reads a server that answers like the API (GET only)."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
from typing import Any

import httpcore
import httpx
import pytest

from restore_contract.redaction import REDACTED, scrub_text
from restore_contract.settings import read
from restore_contract.targets.base import NO_ADMIN, TargetConfigurationError
from restore_contract.targets.live import LiveSettings, live_target

SOURCE = "db_cgolden"


def _api(backups: list[dict[str, Any]], seen: list[str]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        if request.url.path == f"/v1/databases/{SOURCE}/backups":
            return httpx.Response(200, json={"data": backups, "pagination": {"hasMore": False}})
        return httpx.Response(404, json={"error": {"code": "not_found"}})

    return httpx.MockTransport(answer)


def _backup(status: str) -> dict[str, Any]:
    return {"id": f"bkp_{status}", "status": status, "type": "full"}


@pytest.mark.parametrize("statuses", [[], ["running"], ["failed", "running"]], ids=["none", "running", "unusable"])
def test_a_golden_source_without_a_completed_backup_stops_the_run(statuses: list[str]) -> None:
    seen: list[str] = []
    settings = LiveSettings("https://api.example", "t", source_database_id=SOURCE, data_probe=False)
    transport = _api([_backup(status) for status in statuses], seen)
    with pytest.raises(TargetConfigurationError) as stopped:
        live_target(settings, wrap=lambda inner: transport)
    assert str(stopped.value) == f"PRISMA_CONTRACT_SOURCE_DATABASE_ID={SOURCE} has no completed backup to restore from"
    assert all(request.startswith("GET ") for request in seen), "the preflight only reads"


def test_a_golden_source_with_a_completed_backup_passes_the_preflight() -> None:
    seen: list[str] = []
    settings = LiveSettings("https://api.example", "t", source_database_id=SOURCE, data_probe=False)
    target = live_target(settings, wrap=lambda inner: _api([_backup("running"), _backup("completed")], seen))
    target.close()
    assert f"GET /v1/databases/{SOURCE}/backups" in seen


# --- "this URL is not the API" (exit 2, one line) and "the API answers wrongly" (the run goes on and reports it)

URL, PROJECT, TARGET = "https://api.example", "proj_cwork", "db_cscratch"
TEXT = {"content-type": "text/plain"}
NOT_FOUND = httpx.Response(404, headers=TEXT, content=b"Not Found")


def _server(reads: dict[str, httpx.Response], otherwise: httpx.Response, seen: list[str]) -> httpx.MockTransport:
    """Answers `reads[path]`, and `otherwise` to every other request."""

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        return reads.get(request.url.path, otherwise)

    return httpx.MockTransport(answer)


def _json(status: int, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


CONFIGURED_READS = {  # a read of what each setting names, answered 200 as the API does
    "project": (
        LiveSettings(URL, "t", project_id=PROJECT, data_probe=False),
        {f"/v1/projects/{PROJECT}/databases": _json(200, {"data": []})},
    ),
    "golden source": (
        LiveSettings(URL, "t", source_database_id=SOURCE, data_probe=False),
        {f"/v1/databases/{SOURCE}/backups": _json(200, {"data": [_backup("completed")]})},
    ),
    "sacrificial database": (
        LiveSettings(URL, "t", target_database_id=TARGET, data_probe=False),
        {f"/v1/databases/{TARGET}": _json(200, {"data": {"id": TARGET, "name": "contract-sacrificial"}})},
    ),
}


@pytest.mark.parametrize("named", CONFIGURED_READS)
def test_an_api_whose_errors_are_text_plain_passes_the_preflight(named: str) -> None:
    """Its errors are text/plain, not JSON at all, but a read of what a setting names answers the API's `data`: the
    API answering its errors wrongly, a contract violation for the run to report, not a setting to check."""
    settings, reads = CONFIGURED_READS[named]
    seen: list[str] = []
    live_target(settings, wrap=lambda inner: _server(reads, NOT_FOUND, seen)).close()
    assert set(reads) <= {request.removeprefix("GET ") for request in seen}
    assert all(request.startswith("GET ") for request in seen), "the preflight only reads"


def test_an_api_that_labels_every_answer_text_plain_passes_the_preflight_with_only_a_url() -> None:
    """No setting names anything to read, but its error is in the API's envelope, whatever its label says."""
    envelope = _json(404, {"error": {"code": "not_found", "message": "Database not found."}}, TEXT)
    seen: list[str] = []
    live_target(LiveSettings(URL, "t", data_probe=False), wrap=lambda inner: _server({}, envelope, seen)).close()
    assert seen == ["GET /v1/databases/db_preflight0/backups"]


@pytest.mark.parametrize(
    ("reads", "otherwise"),
    [
        ({}, httpx.Response(404, headers={"content-type": "text/html"}, content=b"<h1>Not Found</h1>")),
        ({}, _json(404, {"detail": "Not Found"}, TEXT)),  # JSON, but no envelope of the API's
        ({}, _json(404, {"error": "Not Found"}, TEXT)),  # an `error`, but not the API's object
        ({f"/v1/databases/{SOURCE}/backups": _json(404, {"data": []}, TEXT)}, NOT_FOUND),  # `data`, but not found
        ({f"/v1/databases/{SOURCE}/backups": _json(200, {"data": "backups"}, TEXT)}, NOT_FOUND),  # not a list
        ({f"/v1/databases/{SOURCE}/backups": httpx.Response(200, headers=TEXT, content=b"[]")}, NOT_FOUND),
        ({}, _json(500, {"error": {"code": "internal", "message": "down"}})),  # a server error, even enveloped
    ],
    ids=["a web page", "another JSON", "another error", "data not found", "data not a list", "a list", "500"],
)
def test_a_url_that_is_not_the_api_is_one_line(reads: dict[str, httpx.Response], otherwise: httpx.Response) -> None:
    """Nothing answers like the API: the URL is what to check (exit 2, one line naming what it answered)."""
    seen: list[str] = []
    live = LiveSettings(URL, "t", PROJECT, TARGET, SOURCE, data_probe=False)
    transport = _server(reads, otherwise, seen)
    with pytest.raises(TargetConfigurationError) as stopped:
        live_target(live, wrap=lambda inner: transport)
    status, media_type = otherwise.status_code, otherwise.headers["content-type"]
    assert str(stopped.value) == (
        f"{URL} does not look like the Prisma Management API: "
        f"GET /v1/databases/db_preflight0/backups answered {status} {media_type}"
    )
    assert all(request.startswith("GET ") for request in seen), "the preflight only reads"


# --- the settings' own mistakes, each one line naming the setting (and its option, where it has one)


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"PRISMA_API_TOKEN": "t"}, "--target live needs PRISMA_API_URL or --api-url (e.g. PRISMA_API_URL="),
        ({"PRISMA_API_URL": URL}, "--target live needs PRISMA_API_TOKEN (e.g. PRISMA_API_TOKEN=<service token>)"),
    ],
)
def test_a_missing_setting_is_named_with_its_option_if_it_has_one(environment: dict[str, str], message: str) -> None:
    with pytest.raises(TargetConfigurationError, match=r"it is not set$") as stopped:
        LiveSettings.from_settings(read(environment))
    assert str(stopped.value).startswith(message), stopped.value


def test_a_refused_token_is_named_before_anything_else() -> None:
    """A 401 to the first read: the token is what to check, not the URL (its 401 is in the API's envelope)."""
    refused = _json(401, {"error": {"code": "unauthorized", "message": "Missing or invalid token."}})
    seen: list[str] = []
    settings = LiveSettings(URL, "t", source_database_id=SOURCE, data_probe=False)
    with pytest.raises(TargetConfigurationError) as stopped:
        live_target(settings, wrap=lambda inner: _server({}, refused, seen))
    assert (
        str(stopped.value)
        == f"{URL} refused PRISMA_API_TOKEN (401): check the token (a service token of the workspace)"
    )
    assert seen == ["GET /v1/databases/db_preflight0/backups"]


def test_a_url_with_v1_in_it_is_named_with_the_origin_to_give() -> None:
    environment = {"PRISMA_API_URL": f"{URL}/base/v1/projects", "PRISMA_API_TOKEN": "t"}
    with pytest.raises(TargetConfigurationError) as stopped:
        LiveSettings.from_settings(read(environment))
    assert str(stopped.value).endswith(f"give {URL}/base, not {URL}/base/v1/projects")


def test_a_sacrificial_database_not_named_contract_is_refused_before_anything_is_written() -> None:
    reads = {f"/v1/databases/{TARGET}": _json(200, {"data": {"id": TARGET, "name": "production"}})}
    seen: list[str] = []
    settings = LiveSettings(URL, "t", target_database_id=TARGET, data_probe=False)
    with pytest.raises(
        TargetConfigurationError, match=f"^PRISMA_CONTRACT_TARGET_DATABASE_ID={TARGET}: refusing to use"
    ):
        live_target(settings, wrap=lambda inner: _server(reads, _json(404, {"error": {"code": "not_found"}}), seen))
    assert all(request.startswith("GET ") for request in seen), "the preflight only reads"


def test_another_token_the_server_refuses_is_named() -> None:
    """The token given as lacking workspace:admin is refused (401): that setting is what to check."""
    no_admin = "no-admin-token"

    def answer(request: httpx.Request) -> httpx.Response:
        if request.headers["authorization"] == f"Bearer {no_admin}":
            return _json(401, {"error": {"code": "unauthorized", "message": "Invalid token."}})
        return _json(404, {"error": {"code": "not_found", "message": "Not found."}})

    settings = LiveSettings(URL, "t", data_probe=False, principals={NO_ADMIN: no_admin})
    with pytest.raises(TargetConfigurationError) as stopped:
        live_target(settings, wrap=lambda inner: httpx.MockTransport(answer))
    assert str(stopped.value) == f"{URL} refused PRISMA_CONTRACT_NO_ADMIN_TOKEN (401): check the token"


def test_a_setting_whose_read_fails_otherwise_is_named_with_the_answer() -> None:
    """Not a 404: the line has the status and the start of the body (troubleshooting: 'the line has the status and
    the body'), no more than 200 characters of it."""
    body = "x" * 199 + "YZ"
    reads = {f"/v1/projects/{PROJECT}/databases": httpx.Response(403, text=body)}
    settings = LiveSettings(URL, "t", project_id=PROJECT, data_probe=False)
    with pytest.raises(TargetConfigurationError) as stopped:
        live_target(settings, wrap=lambda inner: _server(reads, _json(404, {"error": {"code": "not_found"}}), []))
    path = f"/v1/projects/{PROJECT}/databases"
    assert str(stopped.value) == f"PRISMA_CONTRACT_PROJECT_ID={PROJECT}: GET {path} answered 403: {body[:200]}"
    assert str(stopped.value).endswith("xY")


def test_the_run_holds_at_most_max_scratch_databases_five_of_them_not_restored_into() -> None:
    """docs/nightly.md: PRISMA_CONTRACT_MAX_SCRATCH=12 gives 7 restore targets (the other 5 serve other tests)."""
    environment = {"PRISMA_API_URL": URL, "PRISMA_API_TOKEN": "t"}
    for held, targets in (("12", 7), ("8", 3)):
        settings = LiveSettings.from_settings(read(environment | {"PRISMA_CONTRACT_MAX_SCRATCH": held}))
        assert settings.scratch_targets == targets


@pytest.mark.parametrize(
    ("name", "recorded", "concurrent"),
    [("live", False, True), ("live", True, False), ("parity", False, False)],
    ids=["a live run", "a recording", "parity"],
)
def test_only_a_live_run_that_is_not_recorded_verifies_restores_in_the_background(
    name: str, recorded: bool, concurrent: bool
) -> None:
    """A cassette must hold the same requests in the same order on every run, and parity's scenario is a fixed
    sequence: both verify each restore inline; a live run verifies several at once (README: in the background)."""
    envelope = _json(404, {"error": {"code": "not_found", "message": "Not found."}})
    recorder = contextlib.nullcontext() if recorded else None
    target = live_target(
        LiveSettings(URL, "t", data_probe=False),
        name=name,
        recorder=recorder,
        wrap=lambda inner: _server({}, envelope, []),
    )
    target.close()
    assert target.concurrent is concurrent


def test_a_token_given_as_lacking_workspace_admin_that_can_create_databases_is_refused() -> None:
    """It lists and creates databases in the run's project: the preflight's one write shows it, deletes what it
    created at once with the run's token, and stops the run (the suite would blame the server for a restore it
    rightly accepted)."""
    no_admin, requests, names = "no-admin-token", [], []
    path = f"/v1/projects/{PROJECT}/databases"

    def answer(request: httpx.Request) -> httpx.Response:
        bearer = request.headers["authorization"].removeprefix("Bearer ")
        requests.append((bearer, request.method, request.url.path))
        if request.url.path == path and request.method == "POST":
            names.append(json.loads(request.content)["name"])
            return _json(201, {"data": {"id": "db_ccreated", "name": names[-1]}})
        if request.url.path == path or request.method == "DELETE":
            return _json(200, {"data": []}) if request.method == "GET" else httpx.Response(204)
        return _json(404, {"error": {"code": "not_found", "message": "Not found."}})

    run_id = "0123456789abcdef0123456789abcdef"
    settings = LiveSettings(
        URL, "t", project_id=PROJECT, data_probe=False, principals={NO_ADMIN: no_admin}, run_id=run_id
    )
    with pytest.raises(TargetConfigurationError) as stopped:
        live_target(settings, wrap=lambda inner: httpx.MockTransport(answer))
    assert str(stopped.value).startswith(
        f"PRISMA_CONTRACT_NO_ADMIN_TOKEN can list and create databases in PRISMA_CONTRACT_PROJECT_ID={PROJECT}"
    )
    # Named as the run's scratch databases are (the run's first 8 characters), so a sweep finds it if it stays.
    assert names == ["contract-scratch-01234567-scope-check"]
    assert ("t", "DELETE", "/v1/databases/db_ccreated") in requests
    assert [(method, where) for bearer, method, where in requests if method != "GET"] == [
        ("POST", path),
        ("DELETE", "/v1/databases/db_ccreated"),
    ]


def test_a_token_given_as_lacking_workspace_admin_that_cannot_list_passes_with_nothing_written() -> None:
    no_admin, requests = "no-admin-token", []

    def answer(request: httpx.Request) -> httpx.Response:
        bearer = request.headers["authorization"].removeprefix("Bearer ")
        requests.append((bearer, request.method, request.url.path))
        if request.url.path == f"/v1/projects/{PROJECT}/databases":
            return (
                _json(403, {"error": {"code": "forbidden", "message": "No."}})
                if bearer == no_admin
                else _json(200, {"data": []})
            )
        return _json(404, {"error": {"code": "not_found", "message": "Not found."}})

    settings = LiveSettings(URL, "t", project_id=PROJECT, data_probe=False, principals={NO_ADMIN: no_admin})
    live_target(settings, wrap=lambda inner: httpx.MockTransport(answer)).close()
    assert (no_admin, "GET", f"/v1/projects/{PROJECT}/databases") in requests
    assert {method for _, method, _ in requests} == {"GET"}


def test_a_url_nothing_answers_at_is_one_line() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    with pytest.raises(TargetConfigurationError) as stopped:
        live_target(LiveSettings(URL, "t", data_probe=False), wrap=lambda inner: httpx.MockTransport(refuse))
    assert str(stopped.value) == f"cannot reach PRISMA_API_URL={URL}: [Errno 111] Connection refused"


@pytest.mark.parametrize("status", [400, 403, 404, 499])
def test_any_answer_below_500_in_the_apis_envelope_is_the_api(status: int) -> None:
    """The probe names a database nobody has: whatever 4xx the server answers for it, it answered as the API."""
    refusal = _json(status, {"error": {"code": "whatever", "message": "No."}})
    seen: list[str] = []
    live_target(LiveSettings(URL, "t", data_probe=False), wrap=lambda inner: _server({}, refusal, seen)).close()
    assert seen == ["GET /v1/databases/db_preflight0/backups"]


@pytest.mark.parametrize("probe", [True, False])
def test_the_data_probe_logs_in_only_when_it_is_on(probe: bool) -> None:
    """PRISMA_CONTRACT_DATA_PROBE=off: nothing logs in to a database (a target without data access)."""
    envelope = _json(404, {"error": {"code": "not_found", "message": "Not found."}})
    target = live_target(LiveSettings(URL, "t", data_probe=probe), wrap=lambda inner: _server({}, envelope, []))
    target.close()
    assert (target.data is not None) is probe


def test_a_setting_that_names_nothing_is_named_with_the_404() -> None:
    settings = LiveSettings(URL, "t", project_id=PROJECT, data_probe=False)
    refusal = _json(404, {"error": {"code": "not_found", "message": "Not found."}})
    with pytest.raises(TargetConfigurationError) as stopped:
        live_target(settings, wrap=lambda inner: _server({}, refusal, []))
    path = f"/v1/projects/{PROJECT}/databases"
    assert str(stopped.value) == f"PRISMA_CONTRACT_PROJECT_ID={PROJECT} does not exist at {URL} (GET {path}: 404)"


def test_the_other_tokens_never_show_in_the_settings_repr() -> None:
    """A failing test or a traceback may print the settings: the other principals' tokens are not in it."""
    settings = LiveSettings(URL, "t", principals={NO_ADMIN: "no-admin-secret-token"})
    assert "no-admin-secret-token" not in repr(settings)
    assert "no-admin-secret-token" not in str(settings.public())


def test_every_token_the_settings_give_is_blanked_out_of_what_the_run_writes() -> None:
    """README: the token redacted in every failure, cassette and rerun line, and the other principals' too."""
    tokens = {
        "PRISMA_API_TOKEN": "the-service-token-1",
        "PRISMA_CONTRACT_NO_ADMIN_TOKEN": "the-no-admin-token-2",
        "PRISMA_CONTRACT_OTHER_WORKSPACE_TOKEN": "the-other-workspace-token-3",
    }
    LiveSettings.from_settings(read({"PRISMA_API_URL": URL, **tokens}))
    for token in tokens.values():
        assert scrub_text(f"curl -H 'authorization: Bearer {token}'") == f"curl -H 'authorization: Bearer {REDACTED}'"


@pytest.mark.parametrize("failures", [1, 2])
def test_a_connection_that_fails_to_open_is_opened_once_more_and_no_more(
    failures: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection that could not be opened sent nothing, so trying once more is safe for any request, a restore
    included; a second failure is the run's error at once (a wrong URL or a server down is one line, not a wait)."""

    class Answers(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    opened = httpcore.SyncBackend.connect_tcp
    attempts: list[int] = []

    def flaky(self: httpcore.SyncBackend, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        attempts.append(1)
        if len(attempts) <= failures:
            raise httpcore.ConnectError("connection refused")
        return opened(self, *args, **kwargs)

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", flaky)
    target = live_target(LiveSettings(f"http://127.0.0.1:{server.server_port}", "t"), preflight=False)
    try:
        if failures == 1:
            assert target.client().get("/v1/projects").status_code == 200
        else:
            with pytest.raises(httpx.ConnectError):
                target.client().get("/v1/projects")
        assert len(attempts) == 2
    finally:
        target.close()
        server.shutdown()
        server.server_close()
