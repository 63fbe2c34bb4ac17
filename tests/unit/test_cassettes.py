"""Cassettes keep no secrets, and replay touches no network."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest

from contracts.redaction import REDACTED, scrub_body, scrub_text
from emulator import DEFAULT_TOKEN
from targets.cassettes import CASSETTES, Cassette, NetworkBlocked, replaying

COMMITTED = sorted(CASSETTES.glob("*/session.yaml"))
BEARER = re.compile(r"bearer\s+(?!\[REDACTED\])\S+", re.IGNORECASE)
URL_PASSWORD = re.compile(r"://[^:/@\s\"']+:([^@\s\"']+)@")
SECRET_FIELD = re.compile(r"\\?\"(connectionString|pass|password)\\?\":\s*\\?\"([^\"\\]*)")


def test_there_is_a_committed_cassette() -> None:
    assert COMMITTED, "cassettes/emulator-http/ should be committed (README: cassettes)"


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.parent.name)
def test_committed_cassettes_hold_no_secrets(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "authorization:" not in text.lower().replace("invalid authorization", ""), "an Authorization header"
    assert DEFAULT_TOKEN not in text
    assert not BEARER.search(text), BEARER.search(text)
    assert all(password == REDACTED for password in URL_PASSWORD.findall(text)), "a password inside a URL"
    leaked = [(key, value) for key, value in SECRET_FIELD.findall(text) if value != REDACTED]
    assert not leaked, f"secret fields in {path}: {leaked[:3]}"
    metadata = json.loads((path.parent / "meta.json").read_text(encoding="utf-8"))
    assert "token" not in json.dumps(metadata).lower()


def test_scrubbing_catches_every_kind_of_secret() -> None:
    body = {
        "data": {
            "connectionString": "postgres://u:p@h/d",
            "pass": "p",
            "endpoints": {"direct": {"connectionString": "postgres://u:p@h/d", "host": "h"}},
            "note": "see postgres://someone:hunter2@db.example/x",
        }
    }
    scrubbed = json.loads(scrub_body(json.dumps(body)) or "")
    assert "hunter2" not in json.dumps(scrubbed)
    assert scrubbed["data"]["pass"] == REDACTED
    assert scrubbed["data"]["endpoints"]["direct"] == {"connectionString": REDACTED, "host": "h"}
    assert scrub_text("not json postgres://a:b@c") == f"not json postgres://a:{REDACTED}@c"
    assert scrub_text("host=h password='s e' user=u") == f"host=h password={REDACTED} user=u"
    assert scrub_text("PASSWORD = abc") == f"PASSWORD = {REDACTED}"


def test_replay_blocks_real_connections() -> None:
    assert COMMITTED
    with replaying(Cassette(COMMITTED[0].parent)), pytest.raises(NetworkBlocked):
        socket.create_connection(("127.0.0.1", 9))
