"""A live run's pool (restore_contract/targets/pool.py: fill_live_pool and what the run deletes at its end), against
the in-process emulator behind the safety guard, seen as a live run sees staging: through the public API only (the
control plane only sets the scene: a golden source with backups, a sacrificial database).

README and docs/safety.md: the run restores into scratch databases it creates and into the sacrificial database
while it holds its lease; everything it created is deleted at the end, and what could not be is listed; scratch
databases of other runs are never touched unless stale; a golden source's completed backups hold the golden data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import pytest

from restore_contract.checks.probe import Probe
from restore_contract.dataset.golden import GOLDEN_DATA, fixture_data
from restore_contract.emulator import Emulator, EmulatorConfig
from restore_contract.settings import OTHER_SCRATCH
from restore_contract.targets.api import ManagementApi
from restore_contract.targets.base import OTHER_WORKSPACE, Target, TargetConfigurationError, Traffic, new_client
from restore_contract.targets.control import ControlPlane
from restore_contract.targets.data import ControlPlaneAccess, Login, LoginRefused
from restore_contract.targets.guard import Allowlist, GuardTransport
from restore_contract.targets.inprocess import InProcessTransport
from restore_contract.targets.lease import Terms
from restore_contract.targets.live import LiveSettings
from restore_contract.targets.pool import Pool, delete_stale_scratch, fill_live_pool, wait_until_ready
from restore_contract.targets.transient import Transient

BASE = "http://emulator.local"
SCRATCH_TARGETS = 2


@dataclass
class Staging:
    """The emulator as a live run meets it, and what the scene has on it."""

    transport: InProcessTransport
    control: ControlPlane
    admin: httpx.Client  # the run's token, unguarded: for the test's own reads
    project: str
    golden: str
    backups: list[str]  # the golden source's: failed, completed, completed
    sacrificial: str
    other_token: str
    other_project: str

    def target(self, run_id: str, *, project: bool = True, other_workspace: bool = False) -> Target:
        projects = {self.project, self.other_project} if project else set()
        guard = Allowlist(secret=run_id, projects=projects)
        return Target(
            name="live",
            base_url=BASE,
            token=str(self.admin.headers["authorization"]).removeprefix("Bearer "),
            traffic=Traffic(Transient(GuardTransport(self.transport, guard))),
            restore_timeout=5.0,
            project_id=self.project if project else None,
            tokens={OTHER_WORKSPACE: self.other_token} if other_workspace else {},
            other_project_id=self.other_project if other_workspace else None,
            data=ControlPlaneAccess(self.control),
            guard=guard,
        )

    def settings(self, run_id: str, **changes: Any) -> LiveSettings:
        values: dict[str, Any] = {
            "url": BASE,
            "token": "unused: the target has it",
            "project_id": self.project,
            "target_database_id": self.sacrificial,
            "source_database_id": self.golden,
            "run_id": run_id,
            "max_scratch": OTHER_SCRATCH + SCRATCH_TARGETS,
        }
        return LiveSettings(**(values | changes))

    def create(self, name: str) -> str:
        response = self.admin.post(f"/v1/projects/{self.project}/databases", json={"name": name})
        assert response.status_code == 201, response.text
        database_id = str(response.json()["data"]["id"])
        self.control.force_status(database_id, "ready")
        return database_id

    def names(self) -> dict[str, str]:
        """id → name of every database of the project."""
        listed = self.admin.get(f"/v1/projects/{self.project}/databases", params={"limit": 100}).json()["data"]
        return {str(database["id"]): str(database["name"]) for database in listed}

    def connections(self, database_id: str) -> list[str]:
        listed = self.admin.get(f"/v1/databases/{database_id}/connections").json()["data"]
        return [str(connection["name"]) for connection in listed]


@pytest.fixture
def staging() -> Iterator[Staging]:
    emulator = Emulator(EmulatorConfig())
    transport = InProcessTransport(emulator)
    control = ControlPlane(new_client(Traffic(transport), BASE, None))
    admin = new_client(Traffic(transport), BASE, emulator.config.token)
    other_workspace = control.create_workspace()
    scene = Staging(
        transport, control, admin, control.create_project(), "", [], "", control.mint_token(other_workspace), ""
    )
    scene.other_project = control.create_project("other", other_workspace)
    scene.golden = scene.create("golden-source")
    scene.backups = [control.take_backup(scene.golden, status) for status in ("failed", "completed", "completed")]
    scene.sacrificial = scene.create("contract-sacrificial")
    try:
        yield scene
    finally:
        admin.close()
        transport.close()
        emulator.close()


def test_a_live_pool_restores_into_its_scratch_databases_and_the_sacrificial_one_it_holds(staging: Staging) -> None:
    target = staging.target("run1")
    pool = Pool(target, run_id="run1")
    fill_live_pool(pool, staging.settings("run1", backup_id=staging.backups[1]))

    assert pool.sources == [staging.golden]
    assert next(backup.id for backup in pool.backups) == staging.backups[1], "the named backup first"
    assert sorted(backup.id for backup in pool.backups) == sorted(staging.backups)
    assert pool.backup_data == dict.fromkeys(staging.backups[1:], GOLDEN_DATA), "completed ones only"
    names = staging.names()
    scratch = [names[database] for database in pool.ready[1:]]
    assert pool.ready[0] == staging.sacrificial
    assert scratch == [f"contract-scratch-run1-target-{index}" for index in range(1, SCRATCH_TARGETS + 1)]
    for database in pool.ready:
        (credential,) = pool.credentials_of(database)
        assert staging.control.read_data(database) == fixture_data("run1-written-before-restore")
        assert credential.login.database
    assert pool.lease is not None
    assert pool.sacrificial == staging.sacrificial
    (gone,) = pool.deleted
    assert staging.admin.get(f"/v1/databases/{gone}").status_code == 404
    assert pool.scratch == [*pool.ready[1:], gone]
    # Every database a test may name as a target (ready, deleted; a live run holds none busy or failed), then sources.
    assert pool.restore_targets == [*pool.ready, gone]
    assert pool.database_ids == [*pool.ready, gone, staging.golden]

    assert any(name.startswith("contract-lease-") for name in staging.connections(staging.sacrificial))
    assert pool.release() == []
    assert staging.connections(staging.sacrificial) == ["default"], "its lease and probe connection deleted"
    assert pool.release() == []
    assert pool.delete_scratch() == []
    assert set(staging.names()) == {staging.golden, staging.sacrificial}
    target.close()


def test_without_a_source_and_a_sacrificial_database_only_scratch_databases(staging: Staging) -> None:
    pool = Pool(staging.target("run1"), run_id="run1")
    fill_live_pool(pool, staging.settings("run1", source_database_id=None, target_database_id=None))
    assert (pool.sources, pool.backups, pool.lease) == ([], [], None)
    assert len(pool.ready) == SCRATCH_TARGETS
    assert pool.delete_scratch() == []


def test_the_sacrificial_database_another_run_holds_is_left_to_it(staging: Staging) -> None:
    first = Pool(staging.target("run1"), run_id="run1")
    fill_live_pool(first, staging.settings("run1", source_database_id=None))
    second = Pool(staging.target("run2"), run_id="run2")
    fill_live_pool(second, staging.settings("run2", source_database_id=None))
    assert staging.sacrificial not in second.ready
    assert len(second.ready) == SCRATCH_TARGETS, "it restores into its own scratch databases instead"
    (line,) = second.leased_by_other
    assert staging.sacrificial in line
    assert second.lease is None
    # Without a project it would have nothing to restore into: it stops, unless a partial run was asked for or the
    # holder is another worker of the same run.
    alone = staging.settings("run3", source_database_id=None, project_id=None)
    with pytest.raises(TargetConfigurationError, match="nothing to restore into"):
        fill_live_pool(Pool(staging.target("run3", project=False), run_id="run3"), alone)
    partial = Pool(staging.target("run3", project=False), run_id="run3")
    fill_live_pool(partial, alone, Terms("run3", 600.0, partial=True))
    assert partial.ready == []
    worker = Pool(staging.target("run1", project=False), run_id="run1-gw1")
    fill_live_pool(worker, staging.settings("run1", source_database_id=None, project_id=None), Terms("run1", 600.0))
    assert worker.leased_by_other != []
    first.release()
    assert first.delete_scratch() == []
    assert second.delete_scratch() == []


def test_other_runs_scratch_databases_are_kept_unless_stale_and_others_never_touched(staging: Staging) -> None:
    young = staging.create("contract-scratch-other-target-1")
    pool = Pool(staging.target("run1"), run_id="run1")
    fill_live_pool(pool, staging.settings("run1", source_database_id=None, target_database_id=None))
    (kept,) = pool.stale_kept
    assert kept.startswith(f"{young} (contract-scratch-other-target-1, 0.0 h old): not deleted, not older than 24 h")
    assert "(a run in progress may own it; 6 h is the floor)" in kept
    assert f'curl -X DELETE -H "Authorization: Bearer $PRISMA_API_TOKEN" {BASE}/v1/databases/{young}' in kept
    assert pool.stale == []
    assert pool.delete_scratch() == []
    assert young in staging.names()


def test_a_database_of_the_other_workspace_is_made_with_its_token_and_deleted_with_it(staging: Staging) -> None:
    target = staging.target("run1", other_workspace=True)
    pool = Pool(target, run_id="run1")
    fill_live_pool(pool, staging.settings("run1", source_database_id=None, target_database_id=None))
    (foreign,) = pool.foreign
    other = new_client(Traffic(staging.transport), BASE, staging.other_token)
    assert other.get(f"/v1/databases/{foreign}").json()["data"]["name"] == "contract-scratch-run1-other-workspace"
    assert staging.admin.get(f"/v1/databases/{foreign}").status_code == 404, "the run's own token does not see it"
    assert pool.credentials_of(foreign) != []
    assert staging.control.read_data(foreign) == fixture_data("run1-other-workspace")
    assert pool.delete_scratch() == []
    assert other.get(f"/v1/databases/{foreign}").status_code == 404
    other.close()


def test_an_interrupted_run_sweeps_the_databases_named_for_it_and_no_others(staging: Staging) -> None:
    """A create answered after the interrupt: the pool never learnt the id, the project lists it under the run's
    name. Another run's scratch database (same prefix, another run id) stays."""
    pool = Pool(staging.target("run1"), run_id="run1")
    known = pool.create_database("target-1")
    unknown = staging.create("contract-scratch-run1-target-2")
    others = staging.create("contract-scratch-run10-target-1")
    assert pool.delete_scratch(sweep=True) == []
    assert set(staging.names()) == {staging.golden, staging.sacrificial, others}
    assert known not in staging.names()
    assert unknown not in staging.names()
    assert pool.delete_scratch(sweep=True) == []


def test_without_a_sweep_only_what_the_pool_created_is_deleted(staging: Staging) -> None:
    pool = Pool(staging.target("run1"), run_id="run1")
    pool.create_database("target-1")
    unknown = staging.create("contract-scratch-run1-target-2")
    assert pool.delete_scratch() == []
    assert unknown in staging.names()


def test_a_connection_string_that_does_not_log_in_stops_the_run_saying_how_to_go_on(staging: Staging) -> None:
    class Refusing(ControlPlaneAccess):
        def login(self, connection_string: str) -> Login:
            raise LoginRefused("password authentication failed")

    target = staging.target("run1")
    pool = Pool(dataclasses.replace(target, data=Refusing(staging.control)), run_id="run1")
    database = pool.create_database("target-1")
    with pytest.raises(TargetConfigurationError) as stopped:
        pool.connect(database)
    assert str(stopped.value) == (
        f"a connection string the API just issued for {database} does not log in: password authentication failed "
        "(set PRISMA_CONTRACT_DATA_PROBE=off where the suite cannot reach the databases)"
    )
    assert pool.delete_scratch() == []


def test_without_a_data_probe_connections_are_still_made_and_nothing_is_written(staging: Staging) -> None:
    """A replay sends what its recording sent: the connection is created all the same."""
    target = staging.target("run1")
    pool = Pool(dataclasses.replace(target, data=None), run_id="run1")
    database = pool.create_database("target-1")
    before = staging.control.read_data(database)
    assert pool.connect(database) is None
    assert staging.connections(database) == ["default", "contract-probe"]
    pool.write(database, fixture_data("never"))
    assert staging.control.read_data(database) == before
    assert pool.delete_scratch() == []


def test_creating_where_the_run_may_not_is_one_line(staging: Staging) -> None:
    pool = Pool(staging.target("run1", project=False), run_id="run1")
    with pytest.raises(TargetConfigurationError, match="needs PRISMA_CONTRACT_PROJECT_ID"):
        pool.create_database("target-1")
    with pytest.raises(TargetConfigurationError, match="needs its token and project"):
        pool.create_foreign_database("other-workspace")


def test_a_database_that_settles_in_failure_is_not_waited_for_as_ready(staging: Staging) -> None:
    database = staging.create("contract-scratch-x")
    staging.control.force_status(database, "failure")
    with pytest.raises(RuntimeError, match=f"database {database} is failure"):
        wait_until_ready(ManagementApi(staging.admin), database, 1.0)
    with pytest.raises(RuntimeError, match="answered 404"):
        wait_until_ready(ManagementApi(staging.admin), "db_cnothere000000", 1.0)
    assert wait_until_ready(ManagementApi(staging.admin), staging.golden, 1.0)["id"] == staging.golden


def _pages(answers: dict[str, httpx.Response], deleted: list[str] | None = None) -> httpx.Client:
    """A server that answers a list by its cursor (the first page by its path) and records each DELETE."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "DELETE" and deleted is not None:
            deleted.append(request.url.path)
            return httpx.Response(204)
        return answers[request.url.params.get("cursor") or request.url.path]

    return httpx.Client(transport=httpx.MockTransport(answer), base_url="https://api.example")


LONG_AGO = "2020-01-01T00:00:00Z"


def _page(names: list[str], cursor: str | None) -> httpx.Response:
    data = [{"id": f"db_c{name}", "name": f"contract-scratch-{name}", "createdAt": LONG_AGO} for name in names]
    pagination = {"hasMore": cursor is not None, "nextCursor": cursor}
    return httpx.Response(200, json={"data": data, "pagination": pagination})


def test_stale_scratch_databases_are_found_on_every_page_of_the_project() -> None:
    deleted: list[str] = []
    pages = {"/v1/projects/proj_1/databases": _page(["a"], "2"), "2": _page(["b"], "3"), "3": _page(["c"], None)}
    gone, kept = delete_stale_scratch(ManagementApi(_pages(pages, deleted)), "proj_1", None, 3600.0)
    assert deleted == ["/v1/databases/db_ca", "/v1/databases/db_cb", "/v1/databases/db_cc"]
    assert (len(gone), kept) == (3, [])
    assert gone[0].endswith(": DELETE answered 204")


def test_a_project_is_listed_for_at_most_a_hundred_pages() -> None:
    """A bound, not an expectation: a server whose pagination never ends does not keep the run reading forever."""
    pages: list[str] = []

    def endless(request: httpx.Request) -> httpx.Response:
        pages.append(request.url.params.get("cursor", "first"))
        assert request.url.params["limit"] == "100", "the API's largest page: the fewest requests"
        return _page([], f"after-{len(pages)}")

    client = httpx.Client(transport=httpx.MockTransport(endless), base_url="https://api.example")
    assert delete_stale_scratch(ManagementApi(client), "proj_1", None, 3600.0) == ([], [])
    assert len(pages) == 100


def test_a_project_or_source_that_cannot_be_listed_is_one_line_naming_the_setting(staging: Staging) -> None:
    refused = httpx.Response(403, json={"error": {"code": "forbidden", "message": "no"}})
    said = r"^listing the databases of PRISMA_CONTRACT_PROJECT_ID=proj_1 answered 403$"
    with pytest.raises(TargetConfigurationError, match=said):
        delete_stale_scratch(ManagementApi(_pages({"/v1/projects/proj_1/databases": refused})), "proj_1", None, 3600.0)
    pool = Pool(staging.target("run1"), run_id="run1")
    with pytest.raises(TargetConfigurationError, match=r"^listing the backups of PRISMA_CONTRACT_SOURCE_DATABASE_ID="):
        fill_live_pool(pool, staging.settings("run1", source_database_id="db_cnothere000000"))
    assert pool.scratch == [], "nothing was created: the reads go first"


def test_release_leaves_the_scratch_databases_connections_alone(staging: Staging) -> None:
    """It deletes what the run made on the sacrificial database (its probe connection, its lease), nothing else."""
    pool = Pool(staging.target("run1"), run_id="run1")
    fill_live_pool(pool, staging.settings("run1", source_database_id=None))
    scratch = pool.ready[1:]
    assert pool.release() == []
    assert [staging.connections(database) for database in scratch] == [["default", "contract-probe"]] * len(scratch)
    assert pool.delete_scratch() == []


def test_a_worker_holds_the_lease_under_its_own_name_for_its_run(staging: Staging) -> None:
    pool = Pool(staging.target("run1"), run_id="w1")
    fill_live_pool(pool, staging.settings("run1", source_database_id=None), Terms("run1", 600.0))
    assert pool.lease is not None
    assert (pool.lease.run, pool.lease.holder) == ("run1", "w1")
    pool.release()
    assert pool.delete_scratch() == []


def test_without_the_other_workspaces_project_no_database_is_made_there(staging: Staging) -> None:
    target = dataclasses.replace(staging.target("run1", other_workspace=True), other_project_id=None)
    pool = Pool(target, run_id="run1")
    fill_live_pool(pool, staging.settings("run1", source_database_id=None, target_database_id=None))
    assert pool.foreign == []
    with pytest.raises(TargetConfigurationError, match="needs its token and project"):
        pool.create_foreign_database("other-workspace")
    assert pool.delete_scratch() == []


def test_a_sweep_whose_listing_fails_still_deletes_what_the_run_knows() -> None:
    deleted: list[str] = []

    def server(request: httpx.Request) -> httpx.Response:
        if request.method == "DELETE":
            deleted.append(request.url.path)
            return httpx.Response(204)
        return httpx.Response(403, json={"error": {"code": "forbidden", "message": "no"}})

    target = Target("live", "https://api.example", "t", Traffic(httpx.MockTransport(server)), 1.0, project_id="p")
    pool = Pool(target, run_id="run1")
    pool.scratch = ["db_cknown"]
    assert pool.delete_scratch(sweep=True) == []
    assert deleted == ["/v1/databases/db_cknown"]


def test_a_database_without_a_credential_is_not_written(staging: Staging) -> None:
    pool = Pool(staging.target("run1"), run_id="run1")
    database = pool.create_database("target-1")
    before = staging.control.read_data(database)
    pool.write(database, fixture_data("never"))
    assert staging.control.read_data(database) == before
    assert pool.delete_scratch() == []


def test_a_credential_logs_in_as_the_user_its_connection_string_names(staging: Staging) -> None:
    pool = Pool(staging.target("run1"), run_id="run1")
    database = pool.create_database("target-1")
    credential = pool.connect(database)
    assert credential is not None
    assert credential.login.user == unquote(urlsplit(credential.connection_string).username or "")
    assert credential.login.user
    assert pool.delete_scratch() == []


def test_the_last_page_ends_the_listing_whatever_cursor_it_gives() -> None:
    pages: list[str] = []

    def last(request: httpx.Request) -> httpx.Response:
        pages.append(request.url.params.get("cursor", "first"))
        data = {"data": [], "pagination": {"hasMore": False, "nextCursor": "more?"}}
        return httpx.Response(200, json=data)

    client = httpx.Client(transport=httpx.MockTransport(last), base_url="https://api.example")
    assert delete_stale_scratch(ManagementApi(client), "proj_1", None, 3600.0) == ([], [])
    assert pages == ["first"]


def test_an_old_scratch_database_is_described_by_its_age_in_hours() -> None:
    deleted: list[str] = []
    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    old = {"id": "db_cold", "name": "contract-scratch-x-target-1", "createdAt": "2026-10-23T20:00:00Z"}

    def server(request: httpx.Request) -> httpx.Response:
        if request.method == "DELETE":
            deleted.append(request.url.path)
            return httpx.Response(204)
        return httpx.Response(200, json={"data": [old], "pagination": {"hasMore": False, "nextCursor": None}})

    client = httpx.Client(transport=httpx.MockTransport(server), base_url="https://api.example")
    (gone,), kept = delete_stale_scratch(ManagementApi(client), "proj_1", None, 3600.0, now=now)
    assert gone == "db_cold (contract-scratch-x-target-1, 1000.0 h old): DELETE answered 204"
    assert kept == []


def test_a_golden_source_with_a_hundred_backups_has_each_found(staging: Staging) -> None:
    """The API lists up to 100 backups a page: the run asks for that many, so the 100th is known too."""
    more = [staging.control.take_backup(staging.golden) for _ in range(97)]
    every = staging.backups + more
    pool = Pool(staging.target("run1"), run_id="run1")
    fill_live_pool(pool, staging.settings("run1", target_database_id=None, project_id=None))
    assert len(pool.backups) == 100
    probe = Probe(staging.admin, None, lambda _: [])
    assert probe.backup(staging.golden, every[0]) == (True, "failed")
    assert probe.backup(staging.golden, every[-1]) == (True, "completed")
