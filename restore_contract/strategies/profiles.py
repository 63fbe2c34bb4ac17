"""Hypothesis profiles of the suite (select with --hypothesis-profile NAME or PRISMA_CONTRACT_PROFILE=NAME).

ci       derandomized, fixed budget: the same run sends the same requests every time (default). 30 examples
         per test (restore gets 4x) keep the run under 20 s on 2 cores with ~2,900 requests and ~100 real
         restores into PostgreSQL; the fault meta-test shows every fault caught with 25, and the nightly
         profile spends 30x more. No shrinking: a failure is reported within seconds as the first failing
         example (shrinking a stateful failure took 40-90 s, each step a real restore)
debug    ci's examples (same order, same first failure), then shrunk to a minimal one: rerun a ci failure
         with PRISMA_CONTRACT_PROFILE=debug to read the smallest case that breaks the property
nightly  random, up to 1,000 examples a test: explores new inputs every night; the run's time budget (1,440 s unless
         --budget / PRISMA_CONTRACT_BUDGET says otherwise, run/budget.py) decides how many it gets to
replay   derandomized, no example database, small, no shrinking: a cassette replay re-sends exactly the
         requests that were recorded, in seconds
meta     seeded by --hypothesis-seed, small budget, no shrinking: the fault meta-test only needs a verdict

The profile in effect is the setting `profile` (restore_contract/settings.py: the option over the variable over ci);
the plugin, and the root conftest for the project's own tests, load it with `use_profile` when pytest starts (before
any test module is imported), so the option and the variable mean the same everywhere.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, Phase, settings

from restore_contract.compat import local_constants
from restore_contract.settings import PROFILES as NAMES

_COMMON: dict[str, Any] = {"deadline": None, "print_blob": True, "suppress_health_check": [HealthCheck.too_slow]}
# No shrinking in ci, replay and meta: a failure shows the first failing example rather than a minimal one
NO_SHRINK = [Phase.explicit, Phase.generate, Phase.target]
_CI = settings(derandomize=True, database=None, max_examples=30, phases=NO_SHRINK, **_COMMON)
PROFILES: dict[str, settings] = {
    "ci": _CI,
    "debug": settings(_CI, phases=list(Phase)),
    "nightly": settings(derandomize=False, max_examples=1000, **_COMMON),
    # replay: small, so a cassette stays small and fast
    "replay": settings(derandomize=True, database=None, max_examples=10, phases=NO_SHRINK, **_COMMON),
    "meta": settings(derandomize=False, database=None, max_examples=25, phases=NO_SHRINK, **_COMMON),
}
assert tuple(PROFILES) == NAMES, "the settings table lists the profiles this module defines"
for _name, _profile in PROFILES.items():
    settings.register_profile(_name, _profile)


def use_profile(name: str) -> None:
    """Load the profile; for `replay`, also keep Hypothesis from drawing the project's own literals."""
    settings.load_profile(name)
    _use_local_constants(name != "replay")


def _use_local_constants(enabled: bool) -> None:
    """Hypothesis also draws string and number literals it finds in the project's own modules, so adding one
    anywhere (a new profile's name, an option's help text) changed what a replay generates and broke the
    committed cassette twice. A cassette should depend on the suite's strategies, not on every literal in
    the tree: for recording and replaying, that pool stays empty. (Private API: if it moves, nothing breaks,
    cassettes are just as fragile as before.) Switched back on for the other profiles, should one process
    run several sessions."""
    local_constants(enabled)
