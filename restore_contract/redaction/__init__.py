"""Secrets never leave the process: how tokens, passwords and connection strings are blanked out.

Which fields of the API are secrets, and how to blank them out of everything written or printed:
cassettes, error messages, logs.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["REDACTED", "SECRET_HEADERS", "SECRET_KEYS", "scrub_body", "scrub_json", "scrub_text"]

SECRET_KEYS = frozenset({"connectionString", "pass", "password"})
SECRET_HEADERS = ("authorization", "cookie", "set-cookie", "x-api-key")
URL_CREDENTIALS = re.compile(r"(://[^:/@\s\"']+:)[^@\s\"']+@")
CONNINFO_PASSWORD = re.compile(r"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)  # key=value conninfo
REDACTED = "REDACTED"


def scrub_text(text: str) -> str:
    """Passwords inside URLs (postgres://user:secret@host) and conninfo (password=secret) become REDACTED."""
    return CONNINFO_PASSWORD.sub(rf"\g<1>{REDACTED}", URL_CREDENTIALS.sub(rf"\g<1>{REDACTED}@", text))


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
