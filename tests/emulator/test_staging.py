"""Staging's behaviours, each option on its own: latency, a rate limit (429), transient 503s, provisioning time.

Every answer here passes the `Api` helper's contract check too: a 429 or 503, which no operation documents, must
be the error envelope.
"""

from __future__ import annotations

import time
from functools import partial
from typing import TYPE_CHECKING

import httpx
import pytest

from restore_contract.emulator import DEFAULT_TOKEN, ClockConfig, EmulatorConfig
from restore_contract.emulator.clock import StateClock
from restore_contract.emulator.staging import Staging

if TYPE_CHECKING:
    from tests.conftest import StartServer
    from tests.emulator.conftest import Api, FakeTime, MakeApi, RunCli, Seeded

MISSING_DATABASE = "db_c" + "0" * 24
WRITTEN = {"written": [{"after": "the backup"}]}  # what a restore of the seeded backup would replace
LATENCY = 0.2
PROVISIONING = 0.3


def _fake_staging_time(monkeypatch: pytest.MonkeyPatch, fake_time: FakeTime) -> None:
    """The rate limit counts by `fake_time`, so a busy machine cannot spread a burst over two seconds."""
    monkeypatch.setattr("restore_contract.emulator.app.Staging", partial(Staging, now=fake_time))


def _public_reads(api: Api, seeded: Seeded) -> list[httpx.Response]:
    """One of each public GET, about the seeded database."""
    database_id = seeded.database_id
    return [
        api.get_database(database_id),
        api.list_databases(seeded.project_id),
        api.list_backups(database_id),
        api.list_connections(database_id),
    ]


# --- latency ------------------------------------------------------------------------------------------


def test_latency_delays_every_public_answer(make_api: MakeApi) -> None:
    api = make_api(EmulatorConfig(latency=LATENCY))
    database_id = api.ready_database(api.project())

    answers: list[tuple[str, dict[str, None], int]] = [
        (database_id, {}, 200),
        (MISSING_DATABASE, {}, 404),
        (database_id, {"auth": None}, 401),
    ]
    for target, sent_with, status in answers:
        started = time.perf_counter()
        assert api.get_database(target, **sent_with).status_code == status
        assert time.perf_counter() - started >= LATENCY  # no upper bound: a busy machine only adds to it


def test_latency_spares_the_control_plane(make_api: MakeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:  # counts the waits instead of timing them
        slept.append(seconds)

    monkeypatch.setattr("restore_contract.emulator.staging.sleep", sleep)
    api = make_api(EmulatorConfig(latency=LATENCY))
    seeded = api.seed(api.project())  # control plane around one public create
    api.get_database(seeded.database_id)
    api.data(seeded.database_id)

    log = api.control("GET", "/requests").json()["requests"]
    public = [entry for entry in log if entry["path"].startswith("/v1/")]
    assert len(log) > len(public) > 0
    assert slept == [LATENCY] * len(public)  # once per public request, never for the control plane


# --- rate limit ---------------------------------------------------------------------------------------


def test_a_burst_beyond_the_rate_limit_answers_429_with_retry_after(
    make_api: MakeApi, monkeypatch: pytest.MonkeyPatch, fake_time: FakeTime
) -> None:
    _fake_staging_time(monkeypatch, fake_time)
    api = make_api(EmulatorConfig(rate_limit=3))
    database_id = api.ready_database(api.project())
    fake_time.now += 1  # a new second: the burst has the whole budget
    start = fake_time.now

    burst = []
    for step in range(3 + 2):  # N + k requests within one second
        fake_time.now = start + step / 10
        burst.append(api.get_database(database_id))

    assert [response.status_code for response in burst] == [200] * 3 + [429] * 2
    for refused in burst[3:]:
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.json()["error"]["code"] == "rate_limited"
    fake_time.now = start + 1.05  # the first request has left the window, the second and third have not
    assert [api.get_database(database_id).status_code for _ in range(2)] == [200, 429]


def test_a_restore_beyond_the_rate_limit_changes_nothing(
    make_api: MakeApi, monkeypatch: pytest.MonkeyPatch, fake_time: FakeTime
) -> None:
    _fake_staging_time(monkeypatch, fake_time)
    api = make_api(EmulatorConfig(rate_limit=1, clock=ClockConfig("manual")))  # a started restore stays visible
    seeded = api.seed(api.project())
    api.write(seeded.database_id, WRITTEN)
    fake_time.now += 1
    assert api.get_database(seeded.database_id).status_code == 200  # this second's one request

    refused = api.restore(seeded.database_id, seeded.source)

    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert api.data(seeded.database_id) == WRITTEN
    fake_time.now += 1
    assert api.status(seeded.database_id) == "ready"
    fake_time.now += 1
    assert api.restore(seeded.database_id, seeded.source).status_code == 200  # admitted, the same restore starts


# --- transient 503 ------------------------------------------------------------------------------------


def test_with_probability_1_every_public_get_answers_503_and_restore_is_unaffected(make_api: MakeApi) -> None:
    api = make_api(EmulatorConfig(transient_503=1.0))
    seeded = api.seed(api.project())
    api.write(seeded.database_id, WRITTEN)

    assert api.restore(seeded.database_id, seeded.source).status_code == 200
    for response in _public_reads(api, seeded):
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "1"
        assert response.json()["error"]["code"] == "service_unavailable"
    # Not executed: under the immediate clock a read that ran would have ended the recovery, replacing the data.
    assert api.data(seeded.database_id) == WRITTEN


def test_with_probability_0_no_get_answers_503(make_api: MakeApi) -> None:
    api = make_api(EmulatorConfig(transient_503=0.0))
    seeded = api.seed(api.project())

    assert [response.status_code for response in _public_reads(api, seeded)] == [200] * 4


def test_the_seed_fixes_which_gets_answer_503(make_api: MakeApi) -> None:
    def statuses(api: Api) -> list[int]:
        database_id = api.ready_database(api.project())  # a POST and the control plane: no draws
        return [api.get_database(database_id).status_code for _ in range(40)]

    api = make_api(EmulatorConfig(transient_503=0.5))
    first = statuses(api)
    api.control("POST", "/reset")

    assert set(first) == {200, 503}
    assert statuses(api) == first  # a reset starts the sequence over
    assert statuses(make_api(EmulatorConfig(transient_503=0.5))) == first
    assert statuses(make_api(EmulatorConfig(transient_503=0.5, seed=1))) != first


# --- provisioning -------------------------------------------------------------------------------------


def test_a_new_database_provisions_for_the_configured_seconds_and_recovery_keeps_to_the_clock(
    make_api: MakeApi,
) -> None:
    api = make_api(EmulatorConfig(provisioning=PROVISIONING, clock=ClockConfig("manual")))
    sent = time.monotonic()  # the emulator's clocks read time.monotonic too
    created = api.create_database(api.project())
    assert created.json()["data"]["status"] == "provisioning"
    database_id = str(created.json()["data"]["id"])

    seen: list[tuple[float, str]] = []
    while not seen or seen[-1][1] != "ready":
        assert time.monotonic() < sent + 30, seen
        status = api.status(database_id)
        seen.append((time.monotonic(), status))
        time.sleep(0.02)

    statuses = [status for _, status in seen]
    assert statuses == ["provisioning"] * (len(statuses) - 1) + ["ready"]
    assert seen[-1][0] - sent >= PROVISIONING  # ordering only: never ready before the seconds have passed
    backup = {"type": "backup", "databaseId": database_id, "backupId": api.backup(database_id)}
    assert api.restore(database_id, backup).status_code == 200
    time.sleep(PROVISIONING)
    assert api.status(database_id) == "recovering"  # the manual clock, not the provisioning time, ends recovery


@pytest.mark.parametrize("clock", ["immediate", "reads:0", "seconds:60", "manual"])
def test_provisioning_time_ends_provisioning_whatever_the_clock(
    make_api: MakeApi, monkeypatch: pytest.MonkeyPatch, fake_time: FakeTime, clock: str
) -> None:
    monkeypatch.setattr("restore_contract.emulator.state.StateClock", partial(StateClock, now=fake_time))
    api = make_api(EmulatorConfig(provisioning=5, clock=ClockConfig.parse(clock)))
    database_id = str(api.create_database(api.project()).json()["data"]["id"])

    seen = [api.status(database_id) for _ in range(3)]  # reads alone do not end it
    fake_time.now += 4.75
    seen.append(api.status(database_id))  # a quarter of a second short
    fake_time.now += 0.25
    seen.append(api.status(database_id))

    assert seen == ["provisioning"] * 4 + ["ready"]


# --- the server command -------------------------------------------------------------------------------


def test_the_server_lists_the_staging_options(run_cli: RunCli) -> None:
    finished = run_cli("--help")

    assert finished.returncode == 0
    for usage in (
        "--latency SECONDS",
        "--rate-limit PER_SECOND",
        "--transient-503 PROBABILITY",
        "--provisioning SECONDS",
    ):
        assert usage in finished.stdout, finished.stdout


def test_the_server_behaves_as_its_staging_options_say(launch_server: StartServer) -> None:
    server = launch_server(
        "--data", "memory", "--latency", "0.05", "--rate-limit", "1", "--transient-503", "1", "--provisioning", "1"
    )
    url, headers = f"{server.url}/v1/databases/{MISSING_DATABASE}", {"Authorization": f"Bearer {DEFAULT_TOKEN}"}

    started = time.perf_counter()
    answers = [httpx.get(url, headers=headers, timeout=10) for _ in range(2)]

    assert time.perf_counter() - started >= 2 * 0.05
    assert [(answer.status_code, answer.json()["error"]["code"]) for answer in answers] == [
        (503, "service_unavailable"),  # admitted by the rate limit, then unavailable
        (429, "rate_limited"),  # the second within a second
    ]


def test_a_bad_staging_value_exits_2(run_cli: RunCli) -> None:
    finished = run_cli("--port", "0", "--transient-503", "1.5")

    assert finished.returncode == 2
    assert "'1.5'" in finished.stderr
