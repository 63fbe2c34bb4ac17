"""Cassettes and parity snapshots keep no secrets, and replay touches no network."""

from __future__ import annotations

import json
import re
import socket
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from vcr.errors import CannotOverwriteExistingCassetteException

from emulator import DEFAULT_TOKEN
from parity.normalise import SECRET
from parity.snapshot import SNAPSHOTS
from redaction import REDACTED, scrub_body, scrub_text
from targets.cassettes import CASSETTES, Cassette, NetworkBlocked, replaying

COMMITTED = sorted(CASSETTES.glob("*/session.yaml"))
SNAPSHOT_FILES = sorted(SNAPSHOTS.glob("*.json"))
BLANKED = {REDACTED, SECRET}  # how a cassette, and a parity snapshot, blank a secret out
BEARER = re.compile(r"bearer\s+(?!\[REDACTED\])\S+", re.IGNORECASE)
URL_PASSWORD = re.compile(r"://[^:/@\s\"']+:([^@\s\"']+)@")
SECRET_FIELD = re.compile(r"\\?\"(connectionString|pass|password)\\?\":\s*\\?\"([^\"\\]*)")
CONNINFO_PASSWORD = re.compile(r"\bpassword\s*=\s*(\S+)", re.IGNORECASE)


def assert_no_secrets(text: str, where: str) -> None:
    """No token, password or connection string in a file that is committed or uploaded."""
    headers = text.lower().replace("invalid authorization", "")
    assert "authorization:" not in headers, f"an Authorization header: {where}"
    assert DEFAULT_TOKEN not in text, where
    assert not BEARER.search(text), (where, BEARER.search(text))
    assert all(password in BLANKED for password in URL_PASSWORD.findall(text)), f"a password inside a URL: {where}"
    assert all(password in BLANKED for password in CONNINFO_PASSWORD.findall(text)), f"a conninfo password: {where}"
    leaked = [(key, value) for key, value in SECRET_FIELD.findall(text) if value not in BLANKED]
    assert not leaked, f"secret fields in {where}: {leaked[:3]}"


def test_there_is_a_committed_cassette() -> None:
    assert COMMITTED, "cassettes/emulator-http/ should be committed (README: cassettes)"


def test_there_is_a_committed_parity_snapshot() -> None:
    assert SNAPSHOTS / "emulator.json" in SNAPSHOT_FILES, "parity/snapshots/emulator.json should be committed"


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.parent.name)
def test_committed_cassettes_hold_no_secrets(path: Path) -> None:
    assert_no_secrets(path.read_text(encoding="utf-8"), str(path))
    metadata = json.loads((path.parent / "meta.json").read_text(encoding="utf-8"))
    assert "token" not in json.dumps(metadata).lower()


@pytest.mark.parametrize("path", SNAPSHOT_FILES, ids=lambda p: p.stem)
def test_committed_parity_snapshots_hold_no_secrets(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert_no_secrets(text, str(path))
    assert "postgres://" not in text, f"a connection string in {path}"
    assert "postgresql://" not in text, f"a connection string in {path}"
    assert f'"connectionString": "{SECRET}"' in text, "the scenario issues a connection: its secrets show blanked"


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


def test_replay_answers_identical_requests_in_recorded_order_once_each() -> None:
    """The indexed lookup (targets/cassettes.py) plays what vcrpy's scan would: in order, each answer once."""
    cassette = Cassette(CASSETTES / "emulator-http")
    interactions = yaml.safe_load(cassette.session.read_text(encoding="utf-8"))["interactions"]

    def identity(interaction: dict[str, Any]) -> tuple[str, str, str]:
        request = interaction["request"]
        return request["method"], request["uri"], request["body"] or ""

    (method, uri, body), count = Counter(identity(i) for i in interactions).most_common(1)[0]
    assert count > 1, "the committed cassette repeats requests (e.g. polling GETs)"
    expected = [i["response"]["body"]["string"] for i in interactions if identity(i) == (method, uri, body)]
    with replaying(cassette), httpx.Client() as client:
        played = [client.request(method, uri, content=body.encode()).text for _ in range(count)]
        with pytest.raises(CannotOverwriteExistingCassetteException, match="all been played back"):
            client.request(method, uri, content=body.encode())
    assert played == expected
