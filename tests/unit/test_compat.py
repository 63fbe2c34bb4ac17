"""The private APIs in compat/ against the installed (pinned) pytest, vcrpy and Hypothesis: an upgrade that moves
one fails here, by name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import vcr
from hypothesis.internal.conjecture import providers
from schemathesis.core.result import Ok

from restore_contract import compat


def test_pytest_keeps_the_terminal_fd_its_capture_saved(pytestconfig: pytest.Config) -> None:
    capture = pytestconfig.getoption("capture")
    saved = compat.terminal_fd(pytestconfig)
    assert isinstance(saved, int) if capture == "fd" else saved is None


def test_pytest_can_tear_the_session_fixtures_down_ahead_of_its_runner(request: pytest.FixtureRequest) -> None:
    setup_state = request.session._setupstate  # what compat.tear_down_session_fixtures calls
    assert callable(setup_state.teardown_exact)


def test_the_junit_plugin_and_skip_are_where_compat_takes_them() -> None:
    assert compat.Skipped is pytest.skip.Exception
    assert compat.xml_key.__class__.__name__ == "StashKey"


def test_vcrpy_plays_through_the_indexed_lookup(tmp_path: Path) -> None:
    with vcr.VCR().use_cassette(str(tmp_path / "c.yaml"), record_mode="none", allow_playback_repeats=True) as tape:
        looked_up: list[Any] = []

        def identity(request: Any) -> tuple[str, str]:
            looked_up.append(request)
            return request.method, request.uri

        assert hasattr(tape, "_responses")
        assert callable(tape._before_record_request)
        compat.index_cassette(tape, identity)
        responses: Iterator[Any] = tape._responses(vcr.request.Request("GET", "http://x/", b"", {}))
        assert list(responses) == []
        assert looked_up, "vcrpy's cassette calls the index for a request"


def test_hypothesis_draws_no_project_literals_when_told() -> None:
    compat.local_constants(False)
    try:
        off = providers._get_local_constants()
        assert (off.integers, off.floats, off.bytes, off.strings) == (set(), set(), set(), set())
    finally:
        compat.local_constants(True)
    assert providers._get_local_constants() is not off, "switched back on for the other profiles"


def test_vcrpy_writes_a_cassette_without_interactions_when_told(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    with vcr.VCR().use_cassette(str(path)) as tape:
        compat.save_cassette(tape)
    assert path.is_file()


def test_pytest_builds_a_functions_node_id_as_distinct_node_ids_rebuilds_it() -> None:
    """distinct_node_ids writes Node._id from a string; pytest must still parse one into its structured id."""
    from _pytest.nodes import coerce_node_id  # type: ignore[attr-defined]

    rebuilt = "suite/test_schemathesis.py::test_scaffolding::test_scaffolding[GET /v1/databases/{databaseId}]"
    assert str(coerce_node_id(rebuilt)) == rebuilt


# A project config whose answers differ by operation and by phase, so a lookup kept under the wrong key shows.
PHASED_CONFIG = """
[generation]
mode = "all"

[phases.fuzzing.generation]
mode = "positive"

[[operations]]
include-operation-id = ["getV1DatabasesByDatabaseId"]
generation.mode = "negative"
"""


def test_a_memoized_schemathesis_config_answers_as_before_and_merges_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from schemathesis.config import _diff_base

    from restore_contract.compat import CONFIG_LOOKUPS, memoize_config_lookups
    from restore_contract.contracts import OPENAPI_PATH

    (tmp_path / "schemathesis.toml").write_text(PHASED_CONFIG, encoding="utf-8")
    config = schemathesis.Config.from_path(tmp_path / "schemathesis.toml")
    schema = schemathesis.openapi.from_path(str(OPENAPI_PATH), config=config)
    fresh = schemathesis.openapi.from_path(str(OPENAPI_PATH), config=config).config
    memoize_config_lookups(schema.config)
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    answers = set()
    for _ in range(2):  # the second round is answered from what the first kept
        for operation in operations:
            for phase in (None, "examples", "fuzzing"):
                kept = schema.config.generation_for(operation=operation, phase=phase)
                assert kept == fresh.generation_for(operation=operation, phase=phase)
                answers.add(tuple(kept.modes))
                assert schema.config.checks_config_for(operation=operation, phase=phase) == fresh.checks_config_for(
                    operation=operation, phase=phase
                )
            assert schema.config.phases_for(operation=operation) == fresh.phases_for(operation=operation)
    assert len(answers) == 3  # the config's answers do differ by operation and phase
    merges: list[type] = []
    original = _diff_base.DiffBase.from_hierarchy.__func__  # type: ignore[attr-defined]

    def counted(cls: type, configs: list[Any]) -> Any:
        merges.append(cls)
        return original(cls, configs)

    monkeypatch.setattr(_diff_base.DiffBase, "from_hierarchy", classmethod(counted))
    for operation in operations:
        schema.config.checks_config_for(operation=operation, phase="fuzzing")
        schema.config.generation_for(operation=operation, phase="fuzzing")
        schema.config.phases_for(operation=operation)
    assert sorted(CONFIG_LOOKUPS) == ["checks_config_for", "generation_for", "phases_for"]
    assert merges == []  # every answer was kept from the rounds above
