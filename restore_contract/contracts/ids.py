"""What "matches the documented id pattern" means, in one place, and how ids go into URLs.

The pattern ``^(db_)?([cC][^\\s-]{8,}|[a-z0-9]+)$`` is evaluated by the API's server (a JavaScript/zod
stack, by every sign in the upstream document), by Python's ``re`` (our tests and jsonschema) and by
Rust's regex (schemathesis's validator). They agree except on a handful of characters:

* ``\\s`` — Python also counts U+001C..U+001F and U+0085 as space, ECMAScript counts U+FEFF and (in old
  engines) U+180E, Rust counts U+0085 but not U+001C..U+001F;
* ``$`` — Python's ``re.search`` lets ``$`` match before a trailing ``\\n``.

`matches_database_id` uses ECMAScript semantics (the server's), and the strategies never generate the
ambiguous characters, so every verdict in the suite is the same in all three dialects.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote

from restore_contract.contracts.loader import load_document

# ECMAScript's \s: WhiteSpace and LineTerminator code points.
ECMA_WHITESPACE = "\t\n\x0b\x0c\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
# Characters on which the three regex dialects disagree; generated ids never contain them.
DIALECT_AMBIGUOUS = "\x1c\x1d\x1e\x1f\x85\u180e\ufeff"


def _ecma(pattern: str) -> re.Pattern[str]:
    # \s only occurs inside a negated class in the documented patterns, so substituting the class body works.
    return re.compile(pattern.replace("\\s", ECMA_WHITESPACE))


def matcher(pattern: str) -> re.Pattern[str]:
    """A compiled pattern to use with ``fullmatch`` that follows ECMAScript's reading of `pattern`."""
    return _ecma(pattern)


DATABASE_ID_PATTERN: str = load_document()["components"]["schemas"]["DatabaseId"]["pattern"]
DATABASE_ID = matcher(DATABASE_ID_PATTERN)
PROJECT_ID_PATTERN: str = load_document()["components"]["parameters"]["ProjectId"]["schema"]["pattern"]
PROJECT_ID = matcher(PROJECT_ID_PATTERN)


def matches_database_id(value: str) -> bool:
    """Does `value` match the documented database id pattern (as the server's regex engine reads it)?"""
    return DATABASE_ID.fullmatch(value) is not None


def matches_project_id(value: str) -> bool:
    """Does `value` match the documented project id pattern (as the server's regex engine reads it)?"""
    return PROJECT_ID.fullmatch(value) is not None


def encode_segment(value: str) -> str:
    """Percent-encode a path parameter so `/`, `?`, `#` and `%` stay inside its own segment.

    Schemathesis quotes the path parameters it generates, but not values set on a case afterwards, and it
    unquotes before quoting (so a literal "%2F" in an id would be sent as "/"): set pre-encoded values.
    """
    return quote(value, safe="")


def expand_path(template: str, parameters: Mapping[str, str]) -> str:
    """Fill a path template with percent-encoded values."""
    path = template
    for name, value in parameters.items():
        path = path.replace("{" + name + "}", encode_segment(value))
    if "{" in path:
        raise ValueError(f"unfilled parameter in {path!r}")
    return path
