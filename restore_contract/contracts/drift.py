"""Compare `contracts/` with an upstream OpenAPI document and explain every difference.

Usage: ``python -m restore_contract.contracts.drift UPSTREAM.json`` (exit 1 and a readable report on drift).

Rules:
* every fact of the contract must equal upstream's, after the named deviations are applied;
* a deviation whose ``upstream`` value no longer matches upstream is stale (upstream changed or
  fixed it) and is drift too, so deviations cannot silently outlive their reason;
* facts only upstream has (new optional fields, other operations' details) are not relied on and
  are listed as additions, not failures, since the API grows over time.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from restore_contract.contracts.facts import Facts, document_facts, operations
from restore_contract.contracts.loader import DEVIATIONS_PATH, load_document

# The value of a fact one document lacks (a deviation's `upstream:` or `contract:` left out).
ABSENT = "<absent>"
# Where the project's CI finds the upstream document (the shared reference folder beside the repo).


@dataclass(frozen=True)
class Deviation:
    """One documented, intentional difference from upstream."""

    name: str
    why: str
    changes: Mapping[str, tuple[Any, Any]]  # fact → (upstream value, contract value)
    adds: tuple[str, ...]  # fact prefixes that exist only in the contract


@dataclass
class DriftReport:
    changed: list[tuple[str, Any, Any]] = field(default_factory=list)  # fact, upstream, contract
    stale: list[tuple[str, str, Any, Any]] = field(default_factory=list)  # deviation, fact, expected, actual
    missing_operations: list[str] = field(default_factory=list)
    additions: list[str] = field(default_factory=list)

    @property
    def drifted(self) -> bool:
        return bool(self.changed or self.stale or self.missing_operations)

    def render(self) -> str:
        lines: list[str] = []
        for operation in self.missing_operations:
            lines.append(f"- operation gone upstream: {operation}")
        for fact, upstream, contract in self.changed:
            lines.append(f"- {fact}\n    upstream: {_show(upstream)}\n    contract: {_show(contract)}")
        for name, fact, expected, actual in self.stale:
            lines.append(
                f"- deviation {name!r} is stale: {fact}\n"
                f"    deviation expects upstream: {_show(expected)}\n"
                f"    upstream now says:         {_show(actual)}"
            )
        if not lines:
            summary = "no drift: contracts/ matches upstream (after the named deviations)"
            if self.additions:
                summary += f"; {len(self.additions)} upstream-only facts are not relied on"
            return summary
        head = f"DRIFT: {len(lines)} difference(s) between contracts/ and upstream that the suite relies on"
        fix = (
            "Fix: if upstream changed on purpose, update contracts/openapi.yaml (and the emulator/oracle);\n"
            "if contracts/ deviates on purpose, name the deviation in restore_contract/contracts/deviations.yaml."
        )
        return "\n".join([head, *lines, fix])


def _show(value: Any) -> str:
    return ABSENT if value is ABSENT else json.dumps(value, ensure_ascii=False)


def load_deviations(path: Path = DEVIATIONS_PATH) -> list[Deviation]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [
        Deviation(
            name=entry["name"],
            why=entry["why"],
            changes={
                change["fact"]: (change.get("upstream", ABSENT), change.get("contract", ABSENT))
                for change in entry.get("changes", ())
            },
            adds=tuple(entry.get("adds", ())),
        )
        for entry in raw
    ]


def compare(contract: Mapping[str, Any], upstream: Mapping[str, Any], deviations: list[Deviation]) -> DriftReport:
    report = DriftReport()
    ours = operations(contract)
    theirs = set(operations(upstream))
    report.missing_operations = [f"{m.upper()} {p}" for m, p in ours if (m, p) not in theirs]
    present = [op for op in ours if op in theirs]
    contract_facts = document_facts(contract, present)
    expected: Facts = document_facts(upstream, present)
    upstream_facts = dict(expected)

    for deviation in deviations:
        for fact, (was, now) in deviation.changes.items():
            actual = upstream_facts.get(fact, ABSENT)
            if actual != was:
                report.stale.append((deviation.name, fact, was, actual))
            if now is ABSENT:
                expected.pop(fact, None)
            else:
                expected[fact] = now
        for prefix in deviation.adds:
            already = [fact for fact in upstream_facts if fact.startswith(prefix)]
            if already:
                report.stale.append((deviation.name, already[0], ABSENT, upstream_facts[already[0]]))
            expected.update({f: v for f, v in contract_facts.items() if f.startswith(prefix)})

    for fact, value in contract_facts.items():
        upstream_value = expected.get(fact, ABSENT)
        if upstream_value != value:
            report.changed.append((fact, upstream_value, value))
    for fact in expected:
        if fact not in contract_facts:
            if fact in upstream_facts and _relied_on(fact, contract_facts):
                report.changed.append((fact, expected[fact], ABSENT))
            else:
                report.additions.append(fact)
    return report


def _relied_on(fact: str, contract_facts: Facts) -> bool:
    """An upstream-only fact matters when it constrains something the contract describes.

    A new status code does, and so does a new keyword on a schema location we describe (a new
    pattern, enum, or required list); a wholly new property, which the suite never reads, does not.
    """
    if fact.endswith(" · media types"):
        return True  # a newly documented status code of an operation the suite uses
    location = fact.rsplit(" · ", 1)[0]
    return any(existing.rsplit(" · ", 1)[0] == location for existing in contract_facts)


def check(upstream_path: Path) -> DriftReport:
    upstream = json.loads(upstream_path.read_text(encoding="utf-8"))
    return compare(load_document(), upstream, load_deviations())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("upstream", type=Path, help="upstream OpenAPI JSON (e.g. a download of api.prisma.io/v1/doc)")
    args = parser.parse_args(argv)
    if not args.upstream.is_file():
        print(f"error: no such file: {args.upstream}", file=sys.stderr)
        return 2
    try:
        report = check(args.upstream)
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        print(f"error: {args.upstream} is not an OpenAPI JSON document ({error})", file=sys.stderr)
        return 2
    print(report.render())
    return 1 if report.drifted else 0


if __name__ == "__main__":
    sys.exit(main())
