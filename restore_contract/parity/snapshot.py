"""Snapshot files: one recorded run of the parity scenario, as deterministic JSON (sorted keys, fixed indent).

A snapshot is `{"format", "recorded_against", "id_formats", "steps"}`; each step is what the scenario sent and
what came back, normalised (`parity.normalise`), or why it was skipped. Nothing in it is secret or random, so
recording the same server twice gives the same file, and a reviewer reads a change as a diff.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
FORMAT = 1
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

Snapshot = dict[str, Any]


class SnapshotError(ValueError):
    """A snapshot that cannot be read or written as asked; the message says which and why."""


def path_of(name_or_path: str, folder: Path = SNAPSHOTS) -> Path:
    """`NAME` → `folder/NAME.json`; a path ending in `.json` is taken as it is."""
    if name_or_path.endswith(".json"):
        return Path(name_or_path)
    if not NAME.fullmatch(name_or_path):
        raise SnapshotError(f"bad snapshot name {name_or_path!r}: use letters, digits, '.', '_' and '-'")
    return folder / f"{name_or_path}.json"


def dumps(snapshot: Snapshot) -> str:
    return json.dumps(snapshot, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def save(snapshot: Snapshot, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(snapshot), encoding="utf-8")
    return path


def load(path: Path) -> Snapshot:
    try:
        snapshot = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        known = ", ".join(sorted(p.stem for p in path.parent.glob("*.json"))) or "none"
        raise SnapshotError(f"no snapshot {path} (snapshots there: {known})") from None
    except (OSError, ValueError) as error:
        raise SnapshotError(f"cannot read snapshot {path}: {error}") from None
    if (
        not isinstance(snapshot, dict)
        or snapshot.get("format") != FORMAT
        or not isinstance(snapshot.get("steps"), list)
    ):
        raise SnapshotError(
            f"{path} is not a parity snapshot of format {FORMAT}: re-record it (restore_contract.parity record)"
        )
    return snapshot
