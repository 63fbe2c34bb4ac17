"""The status-code oracle: each documented rule, tolerance where the docs are silent."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from restore_contract.contracts import RestoreWorld, TargetState, expected_statuses

OK = RestoreWorld()


def _codes(world: RestoreWorld) -> set[int]:
    return set(expected_statuses(world).codes)


@pytest.mark.parametrize(
    ("world", "codes"),
    [
        (OK, {200}),
        (RestoreWorld(token_valid=False), {401}),
        (RestoreWorld(target=TargetState.MISSING), {404}),
        (RestoreWorld(target_id_matches_regex=False, target=TargetState.MISSING), {404, 422}),
        (
            RestoreWorld(target_id_empty=True, target_id_matches_regex=False, target=TargetState.MISSING),
            {404, 405, 422},
        ),
        (RestoreWorld(target=TargetState.PROVISIONING), {409}),
        (RestoreWorld(target=TargetState.RECOVERING), {409}),
        (RestoreWorld(target=TargetState.FAILURE), {200}),
        (RestoreWorld(body_well_formed=False, source_type_is_backup=None), {422}),
        (RestoreWorld(source_type_is_backup=False), {422}),
        (RestoreWorld(source_database_exists=False), {404}),
        (RestoreWorld(backup_exists=False), {404}),
        (RestoreWorld(backup_status="running"), {422}),
        (RestoreWorld(backup_status="failed"), {422}),
        (RestoreWorld(backup_status="unknown"), {422}),
    ],
)
def test_single_rules(world: RestoreWorld, codes: set[int]) -> None:
    assert _codes(world) == codes


def test_several_problems_accept_any_applicable_code() -> None:
    world = RestoreWorld(target=TargetState.RECOVERING, backup_exists=False, backup_status="failed")
    assert _codes(world) == {409, 404, 422}


def test_unauthorized_wins_over_everything() -> None:
    world = RestoreWorld(token_valid=False, target=TargetState.MISSING, body_well_formed=False)
    assert _codes(world) == {401}


def test_400_is_tolerated_only_for_invalid_input_and_reported() -> None:
    malformed = expected_statuses(RestoreWorld(body_well_formed=False))
    assert malformed.accepts(400)
    assert 400 not in malformed.codes
    assert "declares no 400" in malformed.tolerated[400]
    assert not expected_statuses(OK).accepts(400)
    assert not expected_statuses(RestoreWorld(target=TargetState.MISSING)).accepts(400)
    empty_id = expected_statuses(RestoreWorld(target_id_empty=True))  # README: another route, 404 or 405; or 400
    assert empty_id.accepts(400)
    assert empty_id.accepts(404)
    assert empty_id.accepts(405)
    assert 400 in empty_id.tolerated
    invalid_id = expected_statuses(RestoreWorld(target_id_matches_regex=False))  # README: 404 or 422; 400 tolerated
    assert invalid_id.accepts(400)
    assert 400 in invalid_id.tolerated
    assert "→ [404, 422]" in invalid_id.explain()
    assert "target-id-empty → [404, 405]" in empty_id.explain()


def test_failure_target_tolerates_409_but_expects_200() -> None:
    expectation = expected_statuses(RestoreWorld(target=TargetState.FAILURE))
    assert expectation.codes == {200}
    assert expectation.accepts(409)


def test_explanations_quote_the_docs() -> None:
    text = expected_statuses(RestoreWorld(target=TargetState.RECOVERING)).explain()
    assert "currently provisioning or recovering" in text


worlds = st.builds(
    RestoreWorld,
    token_valid=st.booleans(),
    target_id_empty=st.booleans(),
    target_id_matches_regex=st.booleans(),
    target=st.sampled_from(TargetState),
    body_well_formed=st.booleans(),
    source_type_is_backup=st.sampled_from([True, False, None]),
    source_database_exists=st.sampled_from([True, False, None]),
    backup_exists=st.sampled_from([True, False, None]),
    backup_status=st.sampled_from(["completed", "running", "failed", "unknown", None]),
    token_admin=st.booleans(),
    target_foreign=st.booleans(),
    source_foreign=st.booleans(),
)


@given(worlds)
def test_every_world_has_an_answer_and_200_means_nothing_wrong(world: RestoreWorld) -> None:
    expectation = expected_statuses(world)
    assert expectation.codes
    assert expectation.codes <= {200, 401, 404, 405, 409, 422}
    if 405 in expectation.codes:
        assert world.target_id_empty
    if 200 in expectation.codes:
        assert expectation.codes == {200}
        assert world.token_valid
        assert world.token_admin
        assert not world.target_foreign, "another workspace's database is never restored"
        assert not world.source_foreign, "nor restored from"
        assert world.target in (TargetState.READY, TargetState.FAILURE)
    if 401 in expectation.codes:
        assert expectation.codes == {401}


def test_a_token_without_admin_scope_is_refused_401_or_403_whatever_else_is_wrong() -> None:
    for world in (
        RestoreWorld(token_admin=False),
        RestoreWorld(token_admin=False, target=TargetState.MISSING, body_well_formed=False),
    ):
        expectation = expected_statuses(world)
        assert expectation.codes == {401}
        assert expectation.accepts(403)
        assert 403 in expectation.tolerated
        assert not expectation.accepts(200)
        assert not expectation.accepts(404)
        assert expectation.rules[0].name == "scope-missing"


def test_another_workspaces_database_is_not_found_for_its_token() -> None:
    target = expected_statuses(RestoreWorld(target_foreign=True, target=TargetState.RECOVERING))
    assert target.codes == {404}, "not 409: the caller must not learn the database is recovering"
    assert target.accepts(401)
    assert target.accepts(403)
    assert not target.accepts(200)
    source = expected_statuses(RestoreWorld(source_foreign=True))
    assert source.codes == {404}
    assert [rule.name for rule in source.rules] == ["source-in-another-workspace", "source-database-missing"]
    assert not source.accepts(200)
