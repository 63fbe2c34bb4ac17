"""Where the suite's own files are: a checkout's root when the package was installed from one (pip install -e .:
dev.py, cassettes/ and reports/ sit beside the package), or, installed from a wheel, the folder the command runs in.
"""

from __future__ import annotations

from pathlib import Path

_PARENT = Path(__file__).resolve().parents[1]
CHECKOUT: Path | None = _PARENT if (_PARENT / "dev.py").is_file() else None


def root() -> Path:
    """The checkout's root, or (installed from a wheel) the working directory."""
    return CHECKOUT if CHECKOUT is not None else Path.cwd()
