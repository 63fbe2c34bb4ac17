"""When `recovering` (after a restore) and `provisioning` (after a create) end, in each clock mode."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

import pytest

from restore_contract.emulator import ClockConfig, EmulatorConfig
from restore_contract.emulator.clock import StateClock

if TYPE_CHECKING:
    from tests.emulator.conftest import Api, FakeTime, MakeApi

Start = Callable[["Api"], tuple[str, str]]  # starts a transition: (database id, its transient status)


def _restore(api: Api) -> tuple[str, str]:
    seeded = api.seed(api.project())
    api.write(seeded.database_id, {"written": [{"after": "the backup"}]})
    assert api.restore(seeded.database_id, seeded.source).json()["data"]["status"] == "recovering"
    return seeded.database_id, "recovering"


def _create(api: Api) -> tuple[str, str]:
    data = api.create_database(api.project()).json()["data"]
    assert data["status"] == "provisioning"
    return str(data["id"]), "provisioning"


TRANSITIONS = pytest.mark.parametrize("start", [_restore, _create], ids=["restore", "create"])


def _clocked(make_api: MakeApi, clock: str) -> Api:
    return make_api(EmulatorConfig(clock=ClockConfig.parse(clock)))


@TRANSITIONS
def test_immediate_ends_at_the_first_read(make_api: MakeApi, start: Start) -> None:
    api = _clocked(make_api, "immediate")
    database_id, _ = start(api)

    assert api.status(database_id) == "ready"


@TRANSITIONS
@pytest.mark.parametrize("reads", [0, 1, 3])
def test_reads_n_shows_the_transient_status_to_exactly_n_reads(make_api: MakeApi, start: Start, reads: int) -> None:
    api = _clocked(make_api, f"reads:{reads}")
    database_id, transient = start(api)

    seen = [api.status(database_id) for _ in range(reads + 2)]

    assert seen == [transient] * reads + ["ready", "ready"]


@TRANSITIONS
def test_seconds_t_ends_once_t_seconds_have_passed(
    make_api: MakeApi, start: Start, monkeypatch: pytest.MonkeyPatch, fake_time: FakeTime
) -> None:
    # The store's clocks read a fake time instead of the wall clock, so a busy machine cannot end the
    # transition early or late; T is long enough that the real time never ends it during the test.
    monkeypatch.setattr("restore_contract.emulator.state.StateClock", partial(StateClock, now=fake_time))
    api = _clocked(make_api, "seconds:60")
    database_id, transient = start(api)

    seen = [api.status(database_id) for _ in range(3)]  # reads alone do not end it
    fake_time.now += 59.75
    seen.append(api.status(database_id))  # a quarter of a second short of T
    fake_time.now += 0.25
    seen += [api.status(database_id) for _ in range(2)]  # T has passed, and it stays ready

    assert seen == [transient] * 4 + ["ready"] * 2


@TRANSITIONS
def test_manual_waits_for_the_control_plane(make_api: MakeApi, start: Start) -> None:
    api = _clocked(make_api, "manual")
    database_id, transient = start(api)

    assert [api.status(database_id) for _ in range(5)] == [transient] * 5
    api.force_status(database_id, "ready")
    assert api.status(database_id) == "ready"


def test_forcing_a_restore_to_finish_applies_the_backup(make_api: MakeApi) -> None:
    api = _clocked(make_api, "manual")
    seeded = api.seed(api.project())
    api.write(seeded.database_id, {"written": [{"after": "the backup"}]})
    assert api.restore(seeded.database_id, seeded.source).status_code == 200

    assert api.data(seeded.database_id) == {"written": [{"after": "the backup"}]}  # not yet
    api.force_status(seeded.database_id, "ready")
    assert api.data(seeded.database_id) == seeded.data


def test_the_clock_can_be_switched_at_run_time(api: Api) -> None:
    api.set_clock("reads:2")
    database_id, transient = _restore(api)

    assert api.control("GET", "/clock").json() == {"clock": "reads:2"}
    assert [api.status(database_id) for _ in range(3)] == [transient, transient, "ready"]
