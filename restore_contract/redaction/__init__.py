"""Secrets never leave the process: how tokens, passwords and connection strings are blanked out.

Which fields of the API are secrets, and how to blank them out of everything written or printed:
cassettes, error messages, logs.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

__all__ = [
    "REDACTED",
    "SECRET_HEADERS",
    "SECRET_KEYS",
    "keep_secret",
    "scrub_body",
    "scrub_json",
    "scrub_text",
]

SECRET_KEYS = frozenset({"connectionString", "pass", "password"})
SECRET_HEADERS = ("authorization", "cookie", "set-cookie", "x-api-key")
URL_CREDENTIALS = re.compile(r"(://[^:/@\s\"']+:)[^@\s\"']+@")
CONNINFO_PASSWORD = re.compile(r"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)  # key=value conninfo
REDACTED = "REDACTED"


_KNOWN: set[str] = set()  # the secret values of this process's settings (the tokens), blanked wherever they appear
_KNOWN_LOCK = threading.Lock()


def keep_secret(value: str | None) -> None:
    """Blank `value` out of everything scrubbed from now on (a token: in a server's echo, an error message, …)."""
    if value and len(value) >= 4:  # a shorter one would blank out ordinary words
        with _KNOWN_LOCK:
            _KNOWN.add(value)


def scrub_text(text: str) -> str:
    """Passwords inside URLs (postgres://user:secret@host) and conninfo (password=secret), and the values of the secret
    settings, become REDACTED."""
    text = CONNINFO_PASSWORD.sub(rf"\g<1>{REDACTED}", URL_CREDENTIALS.sub(rf"\g<1>{REDACTED}@", text))
    with _KNOWN_LOCK:
        known = sorted(_KNOWN, key=len, reverse=True)
    for value in known:
        text = text.replace(value, REDACTED)
    return text


def scrub_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: REDACTED if k in SECRET_KEYS and v is not None else scrub_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_json(item) for item in value]
    return scrub_text(value) if isinstance(value, str) else value


def scrub_body(body: bytes | str | None) -> bytes | str | None:
    if not body:
        return body
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        scrubbed = json.dumps(scrub_json(json.loads(text)))
    except ValueError:
        scrubbed = scrub_text(text)
    return scrubbed.encode() if isinstance(body, bytes) else scrubbed
