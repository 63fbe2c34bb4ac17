"""Where the suite's own files are, known here alone: the package (and the contract suite in it), a checkout's root
when the package was installed from one (pip install -e .: dev.py, cassettes/ and reports/ sit beside the package),
or, installed from a wheel, the folder the command runs in."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
CONTRACT_SUITE = PACKAGE / "suite"  # the contract suite, in the package installed or checked out
_PARENT = PACKAGE.parent
CHECKOUT: Path | None = _PARENT if (_PARENT / "dev.py").is_file() else None
# The upstream OpenAPI document's local copy, beside a checkout (../shared/reference/): the drift test's default.
UPSTREAM_REFERENCE: Path | None = (
    CHECKOUT.parent / "shared" / "reference" / "prisma-management-api.openapi.json" if CHECKOUT else None
)


def root() -> Path:
    """The checkout's root, or (installed from a wheel) the working directory."""
    return CHECKOUT if CHECKOUT is not None else Path.cwd()
