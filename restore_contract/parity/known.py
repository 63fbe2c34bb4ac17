"""The reviewed divergences (`parity/known-divergences.yaml`): each names the snapshot, the step and where, its
class and the reason it is accepted. A contract-relevant divergence no entry names fails the comparison; a docs-silent
one never does (any correct server may differ there: it is counted per kind, and listed for review on request); an
entry that no longer matches anything is stale, and reported so the file can be pruned (it fails nothing).

An entry matches a divergence of the same class only: one reviewed as docs silent never excuses a contract-relevant
one at the same place. `snapshot`, `step` and `where` are shell-style patterns (`*`), for what varies run to
run (e.g. the golden source's backups on staging).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml

from restore_contract.parity.compare import CLASSES, CONTRACT, Divergence

KNOWN = Path(__file__).resolve().parent / "known-divergences.yaml"
FIELDS = ("snapshot", "step", "where", "class", "reason")


class KnownError(ValueError):
    """The reviewed file is not as described above; the message names the entry."""


@dataclass(frozen=True)
class Known:
    snapshot: str
    step: str
    where: str
    kind: str
    reason: str

    def matches(self, snapshot: str, divergence: Divergence) -> bool:
        return (
            _matches(snapshot, self.snapshot)
            and _matches(divergence.step, self.step)
            and _matches(divergence.where, self.where)
            and divergence.kind == self.kind
        )

    def describe(self) -> str:
        return f"{self.step} · {self.where} ({self.kind}, snapshot {self.snapshot})"


@dataclass(frozen=True)
class Verdict:
    known: list[tuple[Divergence, Known]] = field(default_factory=list)
    unlisted: list[Divergence] = field(default_factory=list)
    stale: list[Known] = field(default_factory=list)

    @property
    def failing(self) -> list[Divergence]:
        """The unlisted contract-relevant divergences: what fails the comparison."""
        return [divergence for divergence in self.unlisted if divergence.kind == CONTRACT]

    @property
    def passed(self) -> bool:
        return not self.failing


def _matches(value: str, pattern: str) -> bool:
    """Exactly, or as a shell pattern (exactly first: `body $.data[<backup:1>]` holds brackets fnmatch would read
    as a character class)."""
    return value == pattern or fnmatchcase(value, pattern)


def load(path: Path = KNOWN) -> list[Known]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise KnownError(f"cannot read {path}: {error}") from None
    entries = document.get("divergences") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise KnownError(f"{path} must hold `divergences:`, a list (empty: [])")
    return [_entry(path, index, entry) for index, entry in enumerate(entries)]


def _entry(path: Path, index: int, entry: Any) -> Known:
    where = f"{path} entry {index + 1}"
    if not isinstance(entry, dict) or set(entry) != set(FIELDS):
        raise KnownError(f"{where}: give exactly {', '.join(FIELDS)}")
    if not all(isinstance(entry[name], str) and entry[name].strip() for name in FIELDS):
        raise KnownError(f"{where}: every field is a non-empty string (the reason too: it is the review)")
    if entry["class"] not in CLASSES:
        raise KnownError(f"{where}: class must be one of {', '.join(CLASSES)}, not {entry['class']!r}")
    return Known(entry["snapshot"], entry["step"], entry["where"], entry["class"], entry["reason"].strip())


def judge(divergences: list[Divergence], entries: list[Known], snapshot: str) -> Verdict:
    """Which divergences the reviewed entries for `snapshot` excuse, which they do not, and which entries are stale."""
    relevant = [entry for entry in entries if _matches(snapshot, entry.snapshot)]
    verdict = Verdict()
    used: set[Known] = set()
    for divergence in divergences:
        entry = next((e for e in relevant if e.matches(snapshot, divergence)), None)
        if entry is None:
            verdict.unlisted.append(divergence)
        else:
            verdict.known.append((divergence, entry))
            used.add(entry)
    verdict.stale.extend(entry for entry in relevant if entry not in used)
    return verdict
