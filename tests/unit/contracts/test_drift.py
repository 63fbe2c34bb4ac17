"""The drift test: contracts/ against an upstream OpenAPI document, and proof that it can fail."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from contracts import drift, load_document

RESTORE = "/v1/databases/{targetDatabaseId}/restore"


@pytest.fixture(scope="module")
def upstream_path(request: pytest.FixtureRequest) -> Path:
    given = request.config.getoption("--upstream-openapi")
    path = Path(given) if given else drift.DEFAULT_UPSTREAM_PATH
    if not path.is_file():
        if given:
            pytest.fail(f"--upstream-openapi / PRISMA_UPSTREAM_OPENAPI names no file: {path}")
        pytest.skip(f"no upstream document at {path}: pass --upstream-openapi PATH (a download of /v1/doc)")
    return path


@pytest.fixture(scope="module")
def upstream(upstream_path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(upstream_path.read_text(encoding="utf-8"))
    return document


def _report(upstream: dict[str, Any]) -> drift.DriftReport:
    return drift.compare(load_document(), upstream, drift.load_deviations())


def test_contract_matches_upstream(upstream: dict[str, Any]) -> None:
    report = _report(upstream)
    assert not report.drifted, report.render()


def _restore_200_data(document: dict[str, Any]) -> dict[str, Any]:
    schema = document["paths"][RESTORE]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    data: dict[str, Any] = schema["properties"]["data"]
    return data


def test_changed_enum_value_is_drift(upstream: dict[str, Any]) -> None:
    changed = copy.deepcopy(upstream)
    _restore_200_data(changed)["properties"]["status"]["enum"].append("restoring")
    report = _report(changed)
    assert report.drifted
    assert "response 200 application/json · $.data.status · enum" in report.render()
    assert '"restoring"' in report.render()


def test_changed_regex_is_drift(upstream: dict[str, Any]) -> None:
    changed = copy.deepcopy(upstream)
    changed["paths"][RESTORE]["post"]["parameters"][0]["schema"]["pattern"] = "^(db_)?[a-z0-9]+$"
    rendered = _report(changed).render()
    assert "path parameter targetDatabaseId · $ · pattern" in rendered
    assert "^(db_)?[a-z0-9]+$" in rendered


def test_removed_status_code_is_drift(upstream: dict[str, Any]) -> None:
    changed = copy.deepcopy(upstream)
    del changed["paths"][RESTORE]["post"]["responses"]["409"]
    assert "response 409" in _report(changed).render()


def test_new_status_code_is_drift(upstream: dict[str, Any]) -> None:
    changed = copy.deepcopy(upstream)
    responses = changed["paths"][RESTORE]["post"]["responses"]
    responses["429"] = copy.deepcopy(responses["409"])
    assert "response 429" in _report(changed).render()


def test_new_constraint_on_a_described_field_is_drift(upstream: dict[str, Any]) -> None:
    changed = copy.deepcopy(upstream)
    _restore_200_data(changed)["properties"]["id"]["pattern"] = "^db_"
    assert "$.data.id · pattern" in _report(changed).render()


def test_new_optional_field_is_not_drift(upstream: dict[str, Any]) -> None:
    """The API adds fields over time; a field the suite does not read must not fail the run."""
    changed = copy.deepcopy(upstream)
    _restore_200_data(changed)["properties"]["branchId"] = {"type": ["string", "null"]}
    report = _report(changed)
    assert not report.drifted, report.render()
    assert any("branchId" in fact for fact in report.additions)


def test_deviation_goes_stale_when_upstream_fixes_it(upstream: dict[str, Any]) -> None:
    changed = copy.deepcopy(upstream)
    changed["paths"][RESTORE]["post"]["requestBody"]["required"] = True
    rendered = _report(changed).render()
    assert "deviation 'restore-body-required' is stale" in rendered


def test_operation_removed_upstream_is_drift(upstream: dict[str, Any]) -> None:
    changed = copy.deepcopy(upstream)
    del changed["paths"][RESTORE]
    assert "operation gone upstream: POST " + RESTORE in _report(changed).render()


def test_cli_exit_codes(upstream: dict[str, Any], upstream_path: Path, tmp_path: Path, capsys: Any) -> None:
    assert drift.main([str(upstream_path)]) == 0
    changed = copy.deepcopy(upstream)
    _restore_200_data(changed)["properties"]["status"]["enum"].remove("recovering")
    drifted = tmp_path / "doc.json"
    drifted.write_text(json.dumps(changed))
    assert drift.main([str(drifted)]) == 1
    assert "DRIFT" in capsys.readouterr().out
    assert drift.main([str(tmp_path / "missing.json")]) == 2
    (tmp_path / "bad.json").write_text("{not json")
    assert drift.main([str(tmp_path / "bad.json")]) == 2
    assert "not an OpenAPI JSON document" in capsys.readouterr().err
