"""Hypothesis profiles of the suite (select with --hypothesis-profile NAME or PRISMA_CONTRACT_PROFILE=NAME).

ci       derandomized, fixed budget: the same run sends the same requests every time (default). 30 examples
         per test (restore gets 4x) keep the run under 20 s on 2 cores with ~2,900 requests and ~100 real
         restores into PostgreSQL; the fault meta-test shows every fault caught with 25, and the nightly
         profile spends 30x more. No shrinking: a failure is reported within seconds as the first failing
         example (shrinking a stateful failure took 40-90 s, each step a real restore)
debug    ci's examples (same order, same first failure), then shrunk to a minimal one: rerun a ci failure
         with PRISMA_CONTRACT_PROFILE=debug to read the smallest case that breaks the property
nightly  random, larger budget: explores new inputs every night
replay   derandomized, no example database, small, no shrinking: a cassette replay re-sends exactly the
         requests that were recorded, in seconds
meta     seeded by --hypothesis-seed, small budget, no shrinking: the fault meta-test only needs a verdict
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, Phase, settings

_COMMON: dict[str, Any] = {"deadline": None, "print_blob": True, "suppress_health_check": [HealthCheck.too_slow]}
# No shrinking in ci, replay and meta: a failure shows the first failing example rather than a minimal one
NO_SHRINK = [Phase.explicit, Phase.generate, Phase.target]
settings.register_profile("ci", derandomize=True, database=None, max_examples=30, phases=NO_SHRINK, **_COMMON)
settings.register_profile("debug", settings.get_profile("ci"), phases=list(Phase))
settings.register_profile("nightly", derandomize=False, max_examples=1000, **_COMMON)
# replay: small, so a cassette stays small and fast
settings.register_profile("replay", derandomize=True, database=None, max_examples=10, phases=NO_SHRINK, **_COMMON)
settings.register_profile(
    "meta",
    derandomize=False,
    database=None,
    max_examples=25,
    phases=NO_SHRINK,
    **_COMMON,
)
PROFILE = os.environ.get("PRISMA_CONTRACT_PROFILE", "ci")
settings.load_profile(PROFILE)


def _without_local_constants() -> None:
    """Hypothesis also draws string and number literals it finds in the project's own modules, so adding one
    anywhere (a new profile's name, an option's help text) changed what a replay generates and broke the
    committed cassette twice. A cassette should depend on the suite's strategies, not on every literal in
    the tree: for recording and replaying, that pool stays empty. (Private API: if it moves, nothing breaks,
    cassettes are just as fragile as before.)"""
    from hypothesis.internal.conjecture import providers

    if hasattr(providers, "_get_local_constants") and hasattr(providers, "_local_constants"):
        empty = type(providers._local_constants)()
        providers._get_local_constants = lambda: empty


if PROFILE == "replay":
    _without_local_constants()
