"""What every benchmark here does with its figures: percentiles, the date, and the JSON file in bench/results/."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from restore_contract.harness.server import REPO

RESULTS = REPO / "bench" / "results"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (`share` in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share / 100 * len(ordered)) - 1)]


def write_json(path: Path, figures: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
