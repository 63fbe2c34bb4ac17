"""Every private API of the pinned libraries the suite leans on, in one place.

Each helper says what it uses, why no public API does, and what happens if the library moves it (the suite either
degrades gracefully or fails loudly at start). `tests/unit/test_compat.py` checks each against the installed
versions, so an upgrade that moves one fails there, by name, and not somewhere in a run.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterator
from typing import Any

import pytest
from _pytest.junitxml import xml_key  # the JUnit plugin's LogXML, where record_testsuite_property puts properties
from _pytest.outcomes import Skipped  # pytest.skip.Exception, under a name a type checker can follow
from hypothesis.internal.conjecture import providers

__all__ = [
    "Skipped",
    "distinct_node_ids",
    "index_cassette",
    "local_constants",
    "memoize_config_lookups",
    "save_cassette",
    "tear_down_session_fixtures",
    "terminal_fd",
    "xml_key",
]


def terminal_fd(config: pytest.Config) -> int | None:
    """The terminal's file descriptor that pytest's capture manager saved while it captures output (None without
    capture, or if pytest moved it: progress then goes through the terminal reporter, held until the test ends)."""
    capturing = getattr(config.pluginmanager.get_plugin("capturemanager"), "_global_capturing", None)
    saved = getattr(getattr(capturing, "out", None), "targetfd_save", None)
    return saved if isinstance(saved, int) else None


def distinct_node_ids(items: list[pytest.Item]) -> None:
    """Give each of several items that share a node id its own, `ID::NAME`: what selects it on a command line (the
    operation's item sits under a collector named as the test). schemathesis 4 makes an item per API
    operation, named `test[OPERATION]` with the bare test as `originalname`, and pytest 9.2 builds a Function's node
    id from `originalname`: every operation of a test got one id, and pytest's progress, which counts distinct ids,
    ended at 82 % after a complete run. Uses Node._id (no public setter); if pytest moves it, the ids stay shared
    and only the progress figure is wrong again."""
    from _pytest.nodes import coerce_node_id  # type: ignore[attr-defined]

    shared = Counter(item.nodeid for item in items)
    for item in items:
        if shared[item.nodeid] > 1 and hasattr(item, "_id"):
            item._id = coerce_node_id(f"{item.nodeid}::{item.name}")


def tear_down_session_fixtures(session: pytest.Session) -> None:
    """Tear the session's fixtures down now. After pytest.exit or an interrupt pytest does it in its runner's
    pytest_sessionfinish, after the suite's own; idempotent (the runner then finds nothing left)."""
    setup_state = getattr(session, "_setupstate", None)
    if setup_state is not None:
        setup_state.teardown_exact(None)


def save_cassette(tape: Any) -> None:
    """Write the vcrpy cassette now, also with no interaction in it: vcrpy writes nothing for a block without
    requests, and a replay needs the file. Uses Cassette._save(force=True); if vcrpy renames it, recording fails
    loudly at its end (AttributeError), never silently without a file."""
    tape._save(force=True)


def index_cassette(tape: Any, identity: Callable[[Any], Hashable]) -> None:
    """Have a vcrpy cassette look recorded requests up by `identity` instead of comparing with each one.

    vcrpy scans every recorded interaction for every request, twice (can it play? then play), which is
    quadratic: 540,000 matcher calls and ~3 s for a 736-interaction replay. With one exact matcher, "matches"
    means "has the same identity", so a dict gives the same candidates, in recorded order. Uses the cassette's
    `data`, `_before_record_request` and replaces `_responses` (if vcrpy renames it, replays are slow, not wrong).
    """
    by_identity: dict[Hashable, list[int]] = defaultdict(list)
    for index, (recorded, _) in enumerate(tape.data):
        by_identity[identity(recorded)].append(index)

    def responses(request: Any) -> Iterator[tuple[int, Any]]:
        request = tape._before_record_request(request)
        for index in by_identity.get(identity(request), ()) if request else ():
            yield index, tape.data[index][1]

    tape._responses = responses
    tape._before_record_request = _filtered_once(tape._before_record_request)


def _filtered_once(before_record_request: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """vcrpy's request filter (a deep copy, then the header filter and our scrubbing), run once per request.

    A replayed request goes through it three times: can it play (the request, then the filtered copy, in
    `__contains__`), then play (the request again): ~15 % of a replay's CPU. The filter is idempotent (what it removed
    or redacted is gone), so a filtered copy is its own result; the last few requests are remembered by identity.
    Used after the cassette is loaded, so every recorded interaction was filtered as vcrpy filters it."""
    recent: dict[int, tuple[Any, Any]] = {}  # id(request) → (request, filtered): the request kept alive, its id unique

    def filtered(request: Any) -> Any:
        seen = recent.get(id(request))
        if seen is not None and seen[0] is request:
            return seen[1]
        result = before_record_request(request)
        if len(recent) >= 8:
            recent.clear()
        recent[id(request)] = (request, result)
        if result is not None:
            recent[id(result)] = (result, result)
        return result

    return filtered


_LOCAL_CONSTANTS = getattr(providers, "_get_local_constants", None)


def local_constants(enabled: bool) -> None:
    """Whether Hypothesis also draws the string and number literals it finds in the project's own modules (its
    providers' `_get_local_constants`; if it moves, nothing breaks: cassettes are as fragile as before)."""
    if _LOCAL_CONSTANTS is None or not hasattr(providers, "_local_constants"):
        return
    if enabled:
        providers._get_local_constants = _LOCAL_CONSTANTS
    else:
        empty = type(providers._local_constants)()
        providers._get_local_constants = lambda: empty


CONFIG_LOOKUPS = ("checks_config_for", "generation_for", "phases_for")


def memoize_config_lookups(config: Any) -> None:
    """Have a schemathesis 4 project config answer each per-operation lookup once.

    `checks_config_for`, `generation_for` and `phases_for` merge the config's hierarchy anew (`from_hierarchy`) on
    every call: for every generated case and every validated response, ~4 % of a default run's CPU. The config does
    not change during a run, so each answer is kept per (operation, phase), on this config object only. They are
    public methods: if schemathesis renamed one, `getattr` fails here, at import.
    """
    for name in CONFIG_LOOKUPS:
        lookup = getattr(config, name)
        answers: dict[tuple[str | None, str | None], Any] = {}

        def remembered(*, _lookup: Any = lookup, _answers: Any = answers, **where: Any) -> Any:
            operation = where.get("operation")
            key = (None if operation is None else operation.label, where.get("phase"))
            if key not in _answers:
                _answers[key] = _lookup(**where)
            return _answers[key]

        setattr(config, name, remembered)
