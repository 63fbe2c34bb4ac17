"""What a broken documented property looks like when it leaves the suite: a `ContractViolation` naming it.

Everything else a test can raise (a harness error, a fixture that could not set up, a model's own timeout)
is not a verdict on the server. The run record and the fault meta-test tell the two apart by type, never
by reading the terminal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from schemathesis.core.failures import CustomFailure, Failure

_CUSTOM_TITLE = re.compile(r"`(\w+)`")


class ContractViolation(AssertionError):
    """One or more documented properties broken by one request (or one step of the lifecycle model)."""

    def __init__(self, message: str, properties: tuple[str, ...]) -> None:
        super().__init__(message)
        self.properties = properties


def violated(prop: str, message: str) -> ContractViolation:
    """A property a test or model checks itself (beyond the driver's checks of each restore), broken."""
    return ContractViolation(f"{prop}: {message}", (prop,))


def property_of(failure: Failure) -> str:
    """The check that raised `failure`: schemathesis names a custom check only in its title, a built-in one
    in the failure class (its `checks`), and every failure has a stable code as the last resort."""
    if isinstance(failure, CustomFailure):
        named = _CUSTOM_TITLE.search(failure.title)
        if named:
            return named.group(1)
    return type(failure).checks[0] if type(failure).checks else failure.code


def violations_in(error: BaseException) -> Iterator[ContractViolation]:
    """Every ContractViolation inside `error`: Hypothesis groups several distinct failures (and a flaky one)
    in an exception group."""
    if isinstance(error, ContractViolation):
        yield error
    elif isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            yield from violations_in(inner)
