"""A live target: any server that implements the API, configured by the settings (restore_contract/settings.py:
PRISMA_API_URL, PRISMA_API_TOKEN, PRISMA_CONTRACT_PROJECT_ID, the sacrificial database, the golden source and its
backup, the restore timeout, how many scratch databases the run may hold, when an earlier run's are stale, and
whether the data probe logs in).

Every request goes through the safety guard (restore_contract/targets/guard.py).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import httpx

from restore_contract.contracts import encode_segment
from restore_contract.redaction import keep_secret
from restore_contract.settings import (
    BY_FIELD,
    DEFAULT_MAX_SCRATCH,
    DEFAULT_RESTORE_TIMEOUT,
    DEFAULT_STALE_HOURS,
    ENV,
    OTHER_SCRATCH,
    SECRETS,
    Settings,
)
from restore_contract.targets.api import ManagementApi
from restore_contract.targets.base import NO_ADMIN, OTHER_WORKSPACE, Target, TargetConfigurationError, Traffic
from restore_contract.targets.data import PostgresAccess
from restore_contract.targets.guard import (
    SCRATCH_NAME,
    Allowlist,
    GuardTransport,
    UnsafeRequestRefused,
    reachable_ids,
)
from restore_contract.targets.pace import Paced, Pacer
from restore_contract.targets.transient import Transient
from restore_contract.targets.waiting import no_wait

# Whatever is set (0 is the natural reply to a killed run), a younger one is never deleted: no run lasts this long
# (a live run is sized to its budget: 24 min for the nightly, 10 min otherwise), so it may be one still running.
STALE_FLOOR = 6 * 3600.0


@dataclass(frozen=True)
class LiveSettings:
    url: str
    token: str
    project_id: str | None = None
    target_database_id: str | None = None
    source_database_id: str | None = None
    backup_id: str | None = None
    # Long enough for a staging restore of the small golden fixture (tens of seconds to minutes), short enough that a
    # restore that never ends is reported within ten minutes of the run's start.
    restore_timeout: float = DEFAULT_RESTORE_TIMEOUT
    data_probe: bool = True
    # The run's randomness: its first characters name its scratch databases, all of it seeds the tokens of its probe
    # ids (restore_contract/targets/guard.py). Fixed in a cassette, so a replay sends the same bodies and ids.
    run_id: str = ""
    # Seconds after which an earlier run's scratch database is deleted: a run in progress elsewhere must never lose
    # its databases, so only those older than any run are stale.
    stale_after: float = DEFAULT_STALE_HOURS * 3600
    max_scratch: int = DEFAULT_MAX_SCRATCH  # scratch databases held at once; all but OTHER_SCRATCH are restore targets
    # The other principals given (targets/base.py PRINCIPALS → token: never written anywhere), and the second
    # workspace's project where the run may create one scratch database with its token.
    principals: dict[str, str] = field(default_factory=dict, repr=False)
    other_project_id: str | None = None

    @property
    def scratch_targets(self) -> int:
        return self.max_scratch - OTHER_SCRATCH

    @classmethod
    def from_settings(cls, values: Settings, needed_by: str = "--target live") -> LiveSettings:
        """The live target's part of the run's settings (parsed and bounded already), checked as a whole."""
        url = _required(values.api_url, "api_url", "https://api.prisma.io", needed_by).rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise TargetConfigurationError(f"PRISMA_API_URL must start with http:// or https://, got {url!r}")
        _check_origin(url)
        settings = cls(
            url=url,
            token=_required(values.api_token, "api_token", "<service token>", needed_by),
            project_id=values.project_id,
            target_database_id=values.target_database_id,
            source_database_id=values.source_database_id,
            backup_id=values.backup_id,
            restore_timeout=values.restore_timeout,
            data_probe=values.data_probe,
            run_id=uuid.uuid4().hex,
            stale_after=values.stale_scratch_hours * 3600,
            max_scratch=values.max_scratch,
            principals=_principals(values),
            other_project_id=values.other_workspace_project_id,
        )
        for name in SECRETS:  # blanked out of every message, cassette and rerun line from now on
            keep_secret(getattr(values, name))
        _refuse_golden_as_target(settings)
        if settings.other_project_id and OTHER_WORKSPACE not in settings.principals:
            raise TargetConfigurationError(
                f"{ENV['other_workspace_project_id']} is a project of the second workspace: it needs that workspace's "
                f"admin token too ({ENV['other_workspace_token']})"
            )
        return settings

    def public(self) -> dict[str, object]:
        """Everything but the tokens (the principals only by kind): what a cassette's metadata may record."""
        public = {key: value for key, value in asdict(self).items() if key not in ("token", "principals")}
        return public | {"principals": sorted(self.principals)}


def _principals(values: Settings) -> dict[str, str]:
    given = {NO_ADMIN: values.no_admin_token, OTHER_WORKSPACE: values.other_workspace_token}
    return {kind: token for kind, token in given.items() if token}


def _required(value: str | None, field: str, example: str, needed_by: str) -> str:
    if not value:
        setting = BY_FIELD[field]
        also = f" or {setting.option}" if setting.option else ""
        raise TargetConfigurationError(
            f"{needed_by} needs {setting.env}{also} (e.g. {setting.env}={example}); it is not set"
        )
    return value


def _refuse_golden_as_target(settings: LiveSettings) -> None:
    """The sacrificial database is overwritten and written to: never the golden source, under any form of its id."""
    target, source = settings.target_database_id, settings.source_database_id
    if target and source and reachable_ids(encode_segment(target)) & reachable_ids(encode_segment(source)):
        raise TargetConfigurationError(
            f"PRISMA_CONTRACT_TARGET_DATABASE_ID={target} is the golden source (PRISMA_CONTRACT_SOURCE_DATABASE_ID): "
            "a restore would overwrite the fixture its backups must hold; give another sacrificial database, or none"
        )


def _check_origin(url: str) -> None:
    """The suite's paths start with /v1: a URL that has it already answers every request with a plain JSON 404,
    which looks like an answer, so the mistake is named here."""
    parts = urlsplit(url)
    segments = parts.path.split("/")
    if "v1" in segments:
        origin = f"{parts.scheme}://{parts.netloc}" + "/".join(segments[: segments.index("v1")])
        raise TargetConfigurationError(
            f"PRISMA_API_URL must be the API's origin, without /v1 (every path the suite sends starts with /v1): "
            f"give {origin}, not {url}"
        )


def live_target(
    settings: LiveSettings,
    *,
    name: str = "live",
    preflight: bool = True,
    recorder: AbstractContextManager[object] | None = None,
    wrap: Callable[[httpx.BaseTransport], httpx.BaseTransport] = lambda transport: transport,
    waits: bool = True,
) -> Target:
    """A guarded target on `settings.url`. `preflight`: check the settings against the server first, reading
    only (a replay has no server: its settings are the recording's, checked when it was recorded); `recorder`:
    a cassette recording or replay, entered after the preflight, so a cassette holds the run's own requests,
    and finished at close; `wrap`: a transport to put over the guard (a replay's mismatch messages); `waits`:
    whether retries of transient answers wait (a replay's recorded answers need no waiting for)."""
    # The second workspace's project too: the run creates one scratch database there (with that workspace's token).
    projects = {project for project in (settings.project_id, settings.other_project_id) if project}
    guard = Allowlist(secret=settings.run_id, projects=projects)
    http = httpx.HTTPTransport(retries=1)
    # Paced under the guard: only what may be sent counts against the server's rate (a replay never waits).
    pacer = Pacer() if waits else None
    sent: httpx.BaseTransport = Paced(http, pacer) if pacer is not None else http
    stack = ExitStack()
    stack.callback(http.close)
    cassette = recorder is not None  # recording one, or replaying one
    target = Target(
        name=name,
        base_url=settings.url,
        token=settings.token,
        traffic=Traffic(wrap(Transient(GuardTransport(sent, guard), waits=waits)), pacer),
        restore_timeout=settings.restore_timeout,
        project_id=settings.project_id,
        tokens=dict(settings.principals),
        other_project_id=settings.other_project_id,
        data=PostgresAccess() if settings.data_probe else None,
        guard=guard,
        described={"url": settings.url, "recording": str(cassette).lower()},
        cassette=cassette,
        # Restores verified in the background, several at a time, only where the order of requests does not have
        # to be the same on every run: a recording, and the replay of one, verify inline.
        concurrent=name == "live" and not cassette,
        pace=time.sleep if waits else no_wait,
        release=stack.close,
    )
    if preflight:
        try:
            _preflight(target, settings, guard)
        except TargetConfigurationError:
            target.close()
            raise
    if recorder is not None:
        stack.enter_context(recorder)
    return target


def _preflight(target: Target, settings: LiveSettings, guard: Allowlist) -> None:
    """A few reads, so a wrong setting is one clear message rather than a wall of failures: the URL and the
    token, then the project, the sacrificial database and the golden source's backups the settings name. Nothing
    here writes."""
    client = target.client()
    api = ManagementApi(client)
    response = _get(client, lambda: api.list_backups(PROBE_ID, limit=None))
    probe = _path(response)
    if response.status_code == 401:
        raise TargetConfigurationError(
            f"{target.base_url} refused PRISMA_API_TOKEN (401): check the token (a service token of the workspace)"
        )
    if response.status_code >= 500 or (
        "json" not in response.headers.get("content-type", "") and not _answers_like_the_api(api, settings, response)
    ):
        raise TargetConfigurationError(
            f"{target.base_url} does not look like the Prisma Management API: GET {probe} answered "
            f"{response.status_code} {response.headers.get('content-type', '')}"
        )
    # Past here an answer labelled other than JSON is the API's own mistake, not the settings': a contract violation
    # the run reports, naming the property (content_type_conformance), instead of refusing to start.
    if settings.project_id:
        project = settings.project_id
        _read(client, ENV["project_id"], project, lambda: api.list_databases(project, limit=None))
    sacrificial = settings.target_database_id
    if sacrificial:
        database = _read(client, ENV["target_database_id"], sacrificial, lambda: api.get_database(sacrificial))
        try:  # the guard's own rule (named contract-…, not like a golden source), before anything is written to it
            guard.allow(sacrificial, str(database.get("data", {}).get("name", "")))
        except UnsafeRequestRefused as refused:
            raise TargetConfigurationError(f"{ENV['target_database_id']}={sacrificial}: {refused}") from None
    source = settings.source_database_id
    if source:
        setting = ENV["source_database_id"]
        listed = _read(client, setting, source, lambda: api.list_backups(source)).get("data", [])
        completed = {str(backup.get("id")) for backup in listed if backup.get("status") == "completed"}
        if settings.backup_id and settings.backup_id not in completed:
            raise TargetConfigurationError(
                f"{ENV['backup_id']}={settings.backup_id} is not a completed backup of {setting}={source}"
            )
        if not completed:
            raise TargetConfigurationError(f"{setting}={source} has no completed backup to restore from")
    _check_principals(target, settings, guard)


PROBE_ID = "db_preflight0"  # names no database: the answer says whether the URL and the token are the API's


def _answers_like_the_api(api: ManagementApi, settings: LiveSettings, probe: httpx.Response) -> bool:
    """Whether the server answers as the API does, whatever media type it labels its answers with: the probe's
    error in the API's envelope, or a read of what the settings name (the project's databases, the golden source's
    backups, the sacrificial database) answering 200 with the API's `data`. A URL that is not the API gives neither."""
    if _enveloped(probe, "error"):
        return True
    named: list[tuple[str | None, Callable[[str], httpx.Response]]] = [
        (settings.project_id, lambda value: api.list_databases(value, limit=None)),
        (settings.source_database_id, lambda value: api.list_backups(value, limit=None)),
        (settings.target_database_id, api.get_database),
    ]
    for value, read in named:
        if value:
            answer = _get(api.client, partial(read, value))
            if answer.status_code == 200 and _enveloped(answer, "data"):
                return True
    return False


def _enveloped(response: httpx.Response, key: str) -> bool:
    """The body is a JSON object holding `key` as the API's envelopes do (`{"data": …}`, `{"error": {…}}`)."""
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get(key), (dict, list))


def _check_principals(target: Target, settings: LiveSettings, guard: Allowlist) -> None:
    """The other tokens are what they are given as: each is accepted, and the one given as lacking workspace:admin
    cannot list and create databases in the run's project (a token that can would have the suite report the server
    for a restore it rightly accepted). That takes one write, the preflight's only one: a scratch database created
    with that token, deleted at once with the run's token (it exists only if the token is wrongly given)."""
    for kind, token in settings.principals.items():
        setting = ENV["no_admin_token" if kind == NO_ADMIN else "other_workspace_token"]
        as_principal = ManagementApi(target.client(token))
        if _get(as_principal.client, partial(as_principal.list_backups, PROBE_ID, limit=None)).status_code == 401:
            raise TargetConfigurationError(f"{target.base_url} refused {setting} (401): check the token")
    no_admin, project = settings.principals.get(NO_ADMIN), settings.project_id
    if no_admin is None or project is None:
        return
    as_no_admin = ManagementApi(target.client(no_admin))
    if _get(as_no_admin.client, lambda: as_no_admin.list_databases(project, limit=None)).status_code != 200:
        return  # it cannot even list them
    name = f"{SCRATCH_NAME}{settings.run_id[:8]}-scope-check"
    created = as_no_admin.create_database(project, name)
    if created.status_code != 201:
        return
    database_id = str(created.json()["data"]["id"])
    guard.allow(database_id, name)
    ManagementApi(target.client()).delete_database(database_id)
    raise TargetConfigurationError(
        f"{ENV['no_admin_token']} can list and create databases in PRISMA_CONTRACT_PROJECT_ID={project}: it has "
        "workspace:admin; give a token without it (e.g. a read-only one), or unset it"
    )


def _get(client: httpx.Client, send: Callable[[], httpx.Response]) -> httpx.Response:
    try:
        return send()
    except httpx.HTTPError as error:
        raise TargetConfigurationError(f"cannot reach PRISMA_API_URL={_origin(client)}: {error}") from None


def _path(response: httpx.Response) -> str:
    """The request's path and query, as sent (ids percent-encoded)."""
    return response.request.url.raw_path.decode("ascii")


def _read(client: httpx.Client, setting: str, value: str, send: Callable[[], httpx.Response]) -> dict[str, Any]:
    """GET what a setting names; a 404 means the setting names nothing there."""
    response = _get(client, send)
    url = _path(response)
    if response.status_code == 404:
        raise TargetConfigurationError(f"{setting}={value} does not exist at {_origin(client)} (GET {url}: 404)")
    if response.status_code != 200:
        raise TargetConfigurationError(
            f"{setting}={value}: GET {url} answered {response.status_code}: {response.text[:200]}"
        )
    body: dict[str, Any] = response.json()
    return body


def _origin(client: httpx.Client) -> str:
    return str(client.base_url).rstrip("/")
