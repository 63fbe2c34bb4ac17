"""Database ids from the documented pattern ``^(db_)?([cC][^\\s-]{8,}|[a-z0-9]+)$``.

`labelled_valid_database_ids` covers every branch of the pattern; `labelled_invalid_database_ids` breaks
it one rule at a time. Both avoid the characters on which regex dialects disagree (see `contracts.ids`)
and control characters (valid by the pattern, but no HTTP stack carries them reliably), so a verdict
never depends on who evaluates the pattern. Alphabets list plain letters first so examples shrink to
readable ids such as ``c00000000`` or ``a``.
"""

from __future__ import annotations

from hypothesis import strategies as st

from restore_contract.contracts import matches_database_id
from restore_contract.contracts.ids import DIALECT_AMBIGUOUS, ECMA_WHITESPACE
from restore_contract.strategies.labelled import Labelled, labelled, values

LOWER = "abcdefghijklmnopqrstuvwxyz0123456789"
# Characters that must stay inside one path segment: each is special in a URL.
URL_SPECIAL = "/%?#.&=+;:@!$'()*,~[]\\"
UNICODE_SAMPLES = "éßøжλ€中文🙂"
PREFIX = "db_"
OTHER_PREFIXES = ("proj_", "con_", "wksp_", "itgr_")
# Whitespace that every dialect agrees on (a strict subset of ECMAScript's \s).
UNAMBIGUOUS_WHITESPACE = " \t\n\r\x0b\x0c\xa0\u1680\u2000\u2005\u200a\u2028\u2029\u202f\u205f\u3000"
assert all(char in ECMA_WHITESPACE or "\u2000" <= char <= "\u200a" for char in UNAMBIGUOUS_WHITESPACE)

# One character of the `[^\s-]` class: anything but whitespace and '-', minus what no transport carries.
cuid_chars: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(LOWER),
    st.sampled_from(URL_SPECIAL),
    st.sampled_from(UNICODE_SAMPLES),
    st.characters(
        codec="utf-8",
        exclude_categories=("Cc", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"),
        exclude_characters="-" + DIALECT_AMBIGUOUS + ECMA_WHITESPACE,
    ),
)
lower_rests = st.text(LOWER, min_size=1, max_size=30)


def cuid_rests(min_size: int = 8, max_size: int = 32) -> st.SearchStrategy[str]:
    """The `[cC][^\\s-]{8,}` branch."""
    return st.builds(
        lambda head, tail: head + tail,
        st.sampled_from("cC"),
        st.text(cuid_chars, min_size=min_size, max_size=max_size),
    )


def labelled_valid_database_ids() -> st.SearchStrategy[Labelled[str]]:
    """Ids that match the pattern, labelled with the branch they come from."""
    return st.one_of(
        labelled("valid: [a-z0-9]+", lower_rests),
        labelled("valid: db_ + [a-z0-9]+", lower_rests.map(PREFIX.__add__)),
        labelled("valid: [cC] + 8+ non-space non-dash", cuid_rests()),
        labelled("valid: db_ + [cC] + 8+ non-space non-dash", cuid_rests().map(PREFIX.__add__)),
    )


def valid_database_ids() -> st.SearchStrategy[str]:
    return values(labelled_valid_database_ids())


def _insert(char: st.SearchStrategy[str], into: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Insert a drawn character anywhere but at the very end (a trailing newline is a dialect trap)."""

    @st.composite
    def build(draw: st.DrawFn) -> str:
        base = draw(into)
        position = draw(st.integers(0, len(base) - 1))
        return base[:position] + draw(char) + base[position:]

    return build()


def _not_lower_start(rest: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Rests that cannot fall into the cuid branch because they do not start with c/C."""
    return st.builds(lambda head, tail: head + tail, st.sampled_from("abdefz019"), rest)


_short_cuid = st.builds(
    lambda head, tail: head + tail, st.sampled_from("cC"), st.text(cuid_chars, min_size=0, max_size=7)
)

# Each class breaks exactly one rule of the pattern. A few classes can produce a valid id by accident
# (e.g. a short cuid made only of [a-z0-9] is valid by the other branch); those are filtered out, and
# the self-tests prove every class is still reached.
_INVALID_CLASSES: tuple[tuple[str, st.SearchStrategy[str]], ...] = (
    ("empty", st.just("")),
    ("prefix only", st.just(PREFIX)),
    ("double prefix", valid_database_ids().map((PREFIX + PREFIX).__add__)),
    ("wrong-case prefix", st.builds(lambda p, r: p + r, st.sampled_from(["DB_", "Db_", "dB_"]), lower_rests)),
    (
        "other resource prefix",
        st.one_of(
            st.builds(lambda p, r: p + r, st.sampled_from(["proj_", "wksp_", "itgr_"]), lower_rests),
            # `con_` + 4 or fewer characters: a longer tail would make a valid cuid ('c' + 8 characters).
            st.text(LOWER, min_size=1, max_size=4).map("con_".__add__),
        ),
    ),
    ("whitespace", _insert(st.sampled_from(UNAMBIGUOUS_WHITESPACE), valid_database_ids())),
    ("dash", _insert(st.just("-"), valid_database_ids())),
    ("cuid too short", st.one_of(_short_cuid, _short_cuid.map(PREFIX.__add__))),
    ("upper case in [a-z0-9]+ branch", _insert(st.sampled_from("ABCXYZ"), _not_lower_start(lower_rests))),
    ("symbol in [a-z0-9]+ branch", _insert(st.sampled_from("_./%?#é€🙂"), _not_lower_start(lower_rests))),
)

INVALID_ID_CLASSES: tuple[str, ...] = tuple(label for label, _ in _INVALID_CLASSES)


def labelled_invalid_database_ids() -> st.SearchStrategy[Labelled[str]]:
    """Ids that do not match the pattern, labelled with the rule each one breaks."""
    return st.one_of(
        [
            labelled(f"invalid: {label}", strategy.filter(lambda value: not matches_database_id(value)))
            for label, strategy in _INVALID_CLASSES
        ]
    )


def invalid_database_ids() -> st.SearchStrategy[str]:
    return values(labelled_invalid_database_ids())
