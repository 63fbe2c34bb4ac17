"""The drift check: contracts/ against an upstream OpenAPI document, and proof that it can fail.

The check's own tests run everywhere, on documents built from contracts/ (`upstream_like`: what a
conforming upstream publishes) and mutations of them. Only `test_contract_matches_upstream` needs the real
upstream document (`--upstream-openapi`, or the local reference copy), and only it may skip.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from restore_contract import workspace
from restore_contract.contracts import drift, load_document
from restore_contract.contracts.facts import document_facts
from restore_contract.settings import given_options, read
from tests.unit.contracts.upstream_like import inline_refs, upstream_like

RESTORE = "/v1/databases/{targetDatabaseId}/restore"
BACKUPS = "/v1/databases/{databaseId}/backups"


@pytest.fixture(scope="module")
def deviations() -> list[drift.Deviation]:
    return drift.load_deviations()


@pytest.fixture(scope="module")
def conforming(deviations: list[drift.Deviation]) -> dict[str, Any]:
    return upstream_like(load_document(), deviations)


@pytest.fixture
def upstream(conforming: dict[str, Any]) -> dict[str, Any]:
    """A conforming upstream document of this test's own, to mutate."""
    return copy.deepcopy(conforming)


def _report(upstream: dict[str, Any]) -> drift.DriftReport:
    return drift.compare(load_document(), upstream, drift.load_deviations())


# --- the real upstream document, where one can be had ------------------------------------------------------


def _real_upstream(given: str | None, local_copy: Path | None) -> Path:
    """The document named by --upstream-openapi (which must exist), else the local reference copy, else skip."""
    path = Path(given) if given else local_copy
    if path is not None and path.is_file():
        return path
    if given:
        pytest.fail(f"--upstream-openapi / PRISMA_UPSTREAM_OPENAPI names no file: {path}")
    pytest.skip(
        f"no upstream document at {path}: download https://api.prisma.io/v1/doc and pass "
        "--upstream-openapi PATH (or set PRISMA_UPSTREAM_OPENAPI=PATH)"
    )


def _given_upstream(config: pytest.Config, environ: Mapping[str, str]) -> str | None:
    """--upstream-openapi, else PRISMA_UPSTREAM_OPENAPI: read as every setting is (the option's registered default
    is None, so the variable was silently ignored when only the option was asked)."""
    return read(environ, given_options(config.getoption), only=("upstream_openapi",)).upstream_openapi


def test_contract_matches_upstream(request: pytest.FixtureRequest) -> None:
    path = _real_upstream(_given_upstream(request.config, os.environ), workspace.UPSTREAM_REFERENCE)
    report = drift.check(path)
    assert not report.drifted, report.render()


def test_real_upstream_comes_from_the_option_else_the_local_copy(tmp_path: Path) -> None:
    present = tmp_path / "openapi.json"
    present.write_text("{}")
    missing = tmp_path / "missing.json"
    assert _real_upstream(str(present), missing) == present
    assert _real_upstream(None, present) == present
    assert _real_upstream("", present) == present  # an empty variable (an unset CI secret) is "not given"
    # A document that was asked for but is not there fails, even where the local copy would do.
    with pytest.raises(pytest.fail.Exception, match="names no file"):
        _real_upstream(str(missing), present)
    with pytest.raises(pytest.skip.Exception, match=r"--upstream-openapi PATH \(or set PRISMA_UPSTREAM_OPENAPI"):
        _real_upstream(None, missing)


def test_the_upstream_document_is_named_by_the_option_or_else_the_variable(pytestconfig: pytest.Config) -> None:
    given = pytestconfig.getoption("--upstream-openapi")
    environ = {"PRISMA_UPSTREAM_OPENAPI": "/srv/from-the-variable.json"}
    assert _given_upstream(pytestconfig, environ) == (given or "/srv/from-the-variable.json")
    assert _given_upstream(pytestconfig, {}) == given


# --- the conforming document the tests below mutate ----------------------------------------------------------


def test_built_upstream_is_exactly_a_conforming_upstream(
    conforming: dict[str, Any], deviations: list[drift.Deviation]
) -> None:
    # The baseline must be what a conforming upstream looks like: otherwise the mutations below would
    # prove something about a document no upstream publishes.
    contract = load_document()
    report = drift.compare(contract, conforming, deviations)
    assert not report.drifted, report.render()
    assert report.additions == []
    assert "$ref" not in json.dumps(conforming)  # upstream publishes every schema in place

    built, ours = document_facts(conforming), document_facts(contract)
    for deviation in deviations:
        for fact, (upstream, contract_value) in deviation.changes.items():
            assert ours.get(fact, drift.ABSENT) == contract_value, f"{deviation.name}: the contract says otherwise"
            assert built.get(fact, drift.ABSENT) == upstream, f"{deviation.name}: {fact} is not undone"
        for prefix in deviation.adds:
            assert any(fact.startswith(prefix) for fact in ours), f"{deviation.name}: contract lacks {prefix}"
            assert not any(fact.startswith(prefix) for fact in built), f"{deviation.name}: {prefix} is not undone"


def test_inlining_refs_keeps_every_fact_and_unshares_places() -> None:
    contract = load_document()
    inlined = inline_refs(contract)
    assert document_facts(inlined) == document_facts(contract)
    # In contracts/openapi.yaml both answers share one `status` node (a YAML anchor): a test mutating the
    # restore answer must not change the other operation's too.
    restore_status = _restore_200_data(inlined)["properties"]["status"]
    get_data = inlined["paths"]["/v1/databases/{databaseId}"]["get"]["responses"]["200"]["content"]
    assert restore_status == get_data["application/json"]["schema"]["properties"]["data"]["properties"]["status"]
    assert restore_status is not get_data["application/json"]["schema"]["properties"]["data"]["properties"]["status"]


# Deviations of every kind `upstream_like` undoes, each against what restore_contract/contracts/openapi.yaml says today
# (written to a deviations.yaml, so a value left out is read as absent, as in the real file).
SYNTHETIC_DEVIATIONS: dict[str, dict[str, Any]] = {
    "changed-keyword": {
        "changes": [
            {
                "fact": f"POST {RESTORE} · response 200 application/json · $.data.status · enum",
                "upstream": ["failure", "provisioning", "ready"],
                "contract": ["failure", "provisioning", "ready", "recovering"],
            }
        ]
    },
    "keyword-only-upstream-has": {
        "changes": [
            {
                "fact": f"GET {BACKUPS} · response 200 application/json · $.data[].createdAt · format",
                "upstream": "date-time",
            }
        ]
    },
    "keyword-only-the-contract-has": {
        "changes": [
            {
                "fact": f"POST {RESTORE} · path parameter targetDatabaseId · $ · pattern",
                "contract": r"^(db_)?([cC][^\s-]{8,}|[a-z0-9]+)$",
            }
        ]
    },
    "parameter-requiredness": {
        "changes": [{"fact": f"GET {BACKUPS} · query parameter limit · required", "upstream": True, "contract": False}]
    },
    "property-only-the-contract-has": {"adds": [f"GET {BACKUPS} · response 200 application/json · $.data[].size"]},
    "parameter-only-the-contract-has": {"adds": [f"GET {BACKUPS} · query parameter limit"]},
    "security-scheme": {
        "changes": [{"fact": "security scheme Bearer · scheme", "upstream": "basic", "contract": "bearer"}]
    },
}


@pytest.mark.parametrize("entry", SYNTHETIC_DEVIATIONS.values(), ids=SYNTHETIC_DEVIATIONS.keys())
def test_upstream_like_undoes_every_kind_of_deviation(tmp_path: Path, entry: dict[str, Any]) -> None:
    path = tmp_path / "deviations.yaml"
    path.write_text(
        yaml.safe_dump([{"name": "synthetic", "why": "test", **entry}], allow_unicode=True), encoding="utf-8"
    )
    (deviation,) = deviations = drift.load_deviations(path)
    contract = load_document()
    built = upstream_like(contract, deviations)
    report = drift.compare(contract, built, deviations)
    assert not report.drifted, report.render()
    facts = document_facts(built)
    assert facts != document_facts(contract), "the deviation changed nothing: it no longer tests anything"
    for fact, (upstream, _) in deviation.changes.items():
        assert facts.get(fact, drift.ABSENT) == upstream
    for prefix in deviation.adds:
        assert not any(fact.startswith(prefix) for fact in facts)


@pytest.mark.parametrize(
    "deviation",
    [
        drift.Deviation("no-such-operation", "test", {}, ("GET /v1/nowhere · response 400",)),
        drift.Deviation("no-such-response", "test", {}, (f"POST {RESTORE} · response 418",)),
        drift.Deviation("partial-prefix", "test", {}, (f"POST {RESTORE} · response 4",)),
        drift.Deviation("not-a-fact", "test", {f"POST {RESTORE}": (1, 2)}, ()),
    ],
    ids=lambda deviation: deviation.name,
)
def test_upstream_like_refuses_a_deviation_it_cannot_place(deviation: drift.Deviation) -> None:
    # Skipping it would build a baseline that silently differs from what the deviation says upstream is.
    with pytest.raises(ValueError, match=f"cannot undo deviation '{deviation.name}'"):
        upstream_like(load_document(), [deviation])


# --- proof that the check fails on drift --------------------------------------------------------------------


def _restore_200_data(document: dict[str, Any]) -> dict[str, Any]:
    schema = document["paths"][RESTORE]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    data: dict[str, Any] = schema["properties"]["data"]
    return data


def test_changed_enum_value_is_drift(upstream: dict[str, Any]) -> None:
    _restore_200_data(upstream)["properties"]["status"]["enum"].append("restoring")
    report = _report(upstream)
    assert report.drifted
    assert "response 200 application/json · $.data.status · enum" in report.render()
    assert '"restoring"' in report.render()


def test_changed_regex_is_drift(upstream: dict[str, Any]) -> None:
    upstream["paths"][RESTORE]["post"]["parameters"][0]["schema"]["pattern"] = "^(db_)?[a-z0-9]+$"
    rendered = _report(upstream).render()
    assert "path parameter targetDatabaseId · $ · pattern" in rendered
    assert "^(db_)?[a-z0-9]+$" in rendered


def test_removed_status_code_is_drift(upstream: dict[str, Any]) -> None:
    del upstream["paths"][RESTORE]["post"]["responses"]["409"]
    assert "response 409" in _report(upstream).render()


def test_new_status_code_is_drift(upstream: dict[str, Any]) -> None:
    responses = upstream["paths"][RESTORE]["post"]["responses"]
    responses["429"] = copy.deepcopy(responses["409"])
    assert "response 429" in _report(upstream).render()


def test_new_constraint_on_a_described_field_is_drift(upstream: dict[str, Any]) -> None:
    _restore_200_data(upstream)["properties"]["id"]["pattern"] = "^db_"
    assert "$.data.id · pattern" in _report(upstream).render()


def test_new_optional_field_is_not_drift(upstream: dict[str, Any]) -> None:
    """The API adds fields over time; a field the suite does not read must not fail the run."""
    _restore_200_data(upstream)["properties"]["branchId"] = {"type": ["string", "null"]}
    report = _report(upstream)
    assert not report.drifted, report.render()
    assert any("branchId" in fact for fact in report.additions)


def test_deviation_goes_stale_when_upstream_fixes_it(upstream: dict[str, Any]) -> None:
    upstream["paths"][RESTORE]["post"]["requestBody"]["required"] = True
    rendered = _report(upstream).render()
    assert "deviation 'restore-body-required' is stale" in rendered


def test_operation_removed_upstream_is_drift(upstream: dict[str, Any]) -> None:
    del upstream["paths"][RESTORE]
    assert "operation gone upstream: POST " + RESTORE in _report(upstream).render()


def test_cli_exit_codes(upstream: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conforming = tmp_path / "conforming.json"
    conforming.write_text(json.dumps(upstream))
    assert drift.main([str(conforming)]) == 0
    assert "no drift" in capsys.readouterr().out
    _restore_200_data(upstream)["properties"]["status"]["enum"].remove("recovering")
    drifted = tmp_path / "doc.json"
    drifted.write_text(json.dumps(upstream))
    assert drift.main([str(drifted)]) == 1
    assert "DRIFT" in capsys.readouterr().out
    assert drift.main([str(tmp_path / "missing.json")]) == 2
    (tmp_path / "bad.json").write_text("{not json")
    assert drift.main([str(tmp_path / "bad.json")]) == 2
    assert "not an OpenAPI JSON document" in capsys.readouterr().err
