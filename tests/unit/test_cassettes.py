"""Cassettes and parity snapshots keep no secrets, and replay touches no network."""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
import signal
import socket
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from vcr.errors import CannotOverwriteExistingCassetteException

from restore_contract.contracts.loader import SAFE_LOADER
from restore_contract.emulator import DEFAULT_TOKEN
from restore_contract.parity.normalise import SECRET
from restore_contract.parity.snapshot import SNAPSHOTS
from restore_contract.redaction import REDACTED, scrub_body, scrub_text
from restore_contract.settings import SettingError, read
from restore_contract.targets import cassettes
from restore_contract.targets.base import NO_ADMIN, TargetConfigurationError
from restore_contract.targets.cassettes import (
    CASSETTES,
    Cassette,
    CassetteMismatch,
    NetworkBlocked,
    recording,
    replay_target,
    replaying,
    same_request,
)
from restore_contract.targets.live import LiveSettings

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
    assert COMMITTED, "cassettes/emulator-http/ should be committed (docs/replay.md)"


def test_there_is_a_committed_parity_snapshot() -> None:
    assert SNAPSHOTS / "emulator.json" in SNAPSHOT_FILES, (
        "restore_contract/parity/snapshots/emulator.json should be committed"
    )


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
            "credentials": {"user": "u", "password": "hunter3"},
            "endpoints": {"direct": {"connectionString": "postgres://u:p@h/d", "host": "h"}},
            "note": "see postgres://someone:hunter2@db.example/x",
        }
    }
    scrubbed = json.loads(scrub_body(json.dumps(body)) or "")
    assert "hunter2" not in json.dumps(scrubbed)
    assert scrubbed["data"]["pass"] == REDACTED
    assert scrubbed["data"]["credentials"] == {"user": "u", "password": REDACTED}, "README: `password` too"
    assert scrubbed["data"]["endpoints"]["direct"] == {"connectionString": REDACTED, "host": "h"}
    assert scrub_text("not json postgres://a:b@c") == f"not json postgres://a:{REDACTED}@c"
    assert scrub_body(b"not json postgres://a:b@c") == f"not json postgres://a:{REDACTED}@c".encode()
    assert scrub_text("host=h password='s e' user=u") == f"host=h password={REDACTED} user=u"
    assert scrub_text("PASSWORD = abc") == f"PASSWORD = {REDACTED}"


def test_replay_blocks_real_connections() -> None:
    assert COMMITTED
    with replaying(Cassette(COMMITTED[0].parent)), pytest.raises(NetworkBlocked):
        socket.create_connection(("127.0.0.1", 9))


def test_replay_answers_identical_requests_in_recorded_order_once_each() -> None:
    """The indexed lookup (targets/cassettes.py) plays what vcrpy's scan would: in order, each answer once."""
    cassette = Cassette(CASSETTES / "emulator-http")
    # libyaml, as vcrpy reads it: the pure-Python loader takes ~8 s over the 2.6 MB cassette
    interactions = yaml.load(cassette.session.read_text(encoding="utf-8"), Loader=SAFE_LOADER)["interactions"]

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


# --- recording: never over a cassette unasked, never a partial one --------------------------------------------

API = "http://api.test/v1/databases/db_1"
SETTINGS = {"url": "http://api.test", "project_id": "proj_1"}


class Stopped(Exception):
    pass


def record(cassette: Cassette, answer: str, *, force: bool = False, then: BaseException | None = None) -> None:
    """A recording of one exchange (answered by a MockTransport: vcrpy records it like a real one), then `then`."""
    reply = httpx.MockTransport(lambda request: httpx.Response(200, json={"answer": answer}))
    with recording(cassette, SETTINGS, "replay", force=force), httpx.Client(transport=reply) as client:
        assert client.get(API).json() == {"answer": answer}
        if then is not None:
            raise then


def files(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (hidden ones included: a partial recording), by relative path."""
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def replayed(cassette: Cassette) -> str:
    with replaying(cassette), httpx.Client() as client:
        answer: str = client.get(API).json()["answer"]
    return answer


def test_a_recording_writes_a_cassette_that_replays(tmp_path: Path) -> None:
    cassette = Cassette(tmp_path / "mine")
    record(cassette, "first")

    assert sorted(files(tmp_path)) == ["mine/meta.json", "mine/session.yaml"]  # no partial folder left
    meta = cassette.metadata()
    assert (meta["settings"], meta["profile"], meta["interactions"]) == (SETTINGS, "replay", 1)
    assert replayed(cassette) == "first"


def test_a_recording_without_requests_is_a_cassette_too(tmp_path: Path) -> None:
    cassette = Cassette(tmp_path / "quiet")
    with recording(cassette, SETTINGS, "replay"):
        pass
    assert cassette.metadata()["interactions"] == 0
    assert yaml.safe_load(cassette.session.read_text(encoding="utf-8"))["interactions"] == []


def test_recording_again_into_a_name_is_refused_without_force(tmp_path: Path) -> None:
    cassette = Cassette(tmp_path / "mine")
    record(cassette, "first")
    before = files(tmp_path)

    with pytest.raises(TargetConfigurationError) as refused:
        record(cassette, "second")

    message = str(refused.value)
    assert message == (
        f"{cassette.folder} already holds a cassette: pass --force (restore-contract record {cassette.folder} "
        "--force, or PRISMA_CONTRACT_RECORD_FORCE=1) to replace it, or choose another name"
    )
    assert "\n" not in message
    assert files(tmp_path) == before  # byte-identical, and nothing else written
    assert replayed(cassette) == "first"


def test_the_refusal_names_the_cassette_as_the_user_does() -> None:
    """Refused when `recording()` is called, before anything is entered: the committed cassette is never touched."""
    with pytest.raises(TargetConfigurationError) as refused:
        recording(Cassette.named("emulator-http"), SETTINGS, "replay")
    assert str(refused.value).startswith(
        "cassettes/emulator-http already holds a cassette: pass --force (restore-contract record emulator-http "
        "--force, or PRISMA_CONTRACT_RECORD_FORCE=1) to replace it, or choose another name"
    )


def test_with_force_a_recording_replaces_the_cassette(tmp_path: Path) -> None:
    """`force` is the setting record_force (--record-force or its variable: tests/unit/test_settings.py)."""
    cassette = Cassette(tmp_path / "mine")
    record(cassette, "first")

    record(cassette, "second", force=True)

    assert sorted(files(tmp_path)) == ["mine/meta.json", "mine/session.yaml"]
    assert replayed(cassette) == "second"


@pytest.mark.parametrize("interruption", [Stopped("the run broke"), KeyboardInterrupt()], ids=["error", "Ctrl-C"])
@pytest.mark.parametrize("earlier", [True, False], ids=["over a cassette", "a new one"])
def test_an_interrupted_recording_leaves_the_folder_as_it_was(
    tmp_path: Path, interruption: BaseException, earlier: bool
) -> None:
    cassette = Cassette(tmp_path / "mine")
    if earlier:
        record(cassette, "first")
    before = files(tmp_path)

    with pytest.raises(type(interruption)):
        record(cassette, "second", force=True, then=interruption)

    assert files(tmp_path) == before  # the old cassette byte-identical (or none), no partial one anywhere
    if earlier:
        assert replayed(cassette) == "first"
    else:
        assert not cassette.exists()


@pytest.mark.usefixtures("ctrl_c")
def test_a_ctrl_c_that_the_block_caught_still_discards_the_recording(tmp_path: Path) -> None:
    """pytest catches the KeyboardInterrupt of a Ctrl-C and tears the session down normally, so the recorder (closed
    with the target) sees no exception: the SIGINT itself marks the recording as interrupted."""
    cassette = Cassette(tmp_path / "mine")
    record(cassette, "first")
    before = files(tmp_path)
    handler = signal.getsignal(signal.SIGINT)

    with (
        recording(cassette, SETTINGS, "replay", force=True),
        httpx.Client(
            transport=httpx.MockTransport(lambda request: httpx.Response(200, json={"answer": "second"}))
        ) as client,
    ):
        client.get(API)
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)

    assert files(tmp_path) == before
    assert signal.getsignal(signal.SIGINT) is handler  # put back


# --- replaying a recorded run: its settings, no token, no logins, a mismatch that says how to re-record ------------

RECORDED = LiveSettings(
    "http://api.test", "never-recorded", project_id="proj_1", run_id="recorded", principals={NO_ADMIN: "t0ken"}
)


def test_a_replay_is_the_recorded_run_without_tokens_or_logins(tmp_path: Path) -> None:
    cassette = Cassette(tmp_path / "mine")
    reply = httpx.MockTransport(lambda request: httpx.Response(200, json={"answer": "recorded"}))
    with recording(cassette, RECORDED.public(), "replay", force=False), httpx.Client(transport=reply) as client:
        client.get(API)

    target, settings = replay_target(cassette, "replay")
    try:
        assert settings == dataclasses.replace(
            RECORDED,
            token="replay-has-no-token",
            principals={NO_ADMIN: "replay-has-no-no-admin-token"},
            data_probe=False,
        )
        assert (target.name, target.data, target.project_id, target.cassette) == ("replay", None, "proj_1", True)
        client = target.client()
        assert client.get(API).json() == {"answer": "recorded"}
        with pytest.raises(CassetteMismatch) as mismatch:
            client.get(f"{API}/backups")
        said = str(mismatch.value)
        assert said.startswith(f"replay: GET {API}/backups  is not in cassette 'mine' (")
        assert f"contract --target live --record {cassette.folder}\n(see docs/replay.md)" in said
    finally:
        target.close()
    with pytest.raises(TargetConfigurationError, match="recorded with the Hypothesis profile replay"):
        replay_target(cassette, "ci")


def test_a_force_setting_that_is_not_a_yes_keeps_the_cassette(tmp_path: Path) -> None:
    """PRISMA_CONTRACT_RECORD_FORCE as the run reads it (restore_contract/settings.py): a value that is neither yes
    nor no stops the run before it records anything, a no keeps the cassette, a yes replaces it."""
    cassette = Cassette(tmp_path / "mine")
    record(cassette, "first")
    with pytest.raises(SettingError, match="PRISMA_CONTRACT_RECORD_FORCE must be"):
        read({"PRISMA_CONTRACT_RECORD_FORCE": "perhaps"})
    with pytest.raises(TargetConfigurationError, match="already holds a cassette"):
        record(cassette, "second", force=read({"PRISMA_CONTRACT_RECORD_FORCE": "no"}).record_force)
    record(cassette, "second", force=read({"PRISMA_CONTRACT_RECORD_FORCE": "yes"}).record_force)
    assert replayed(cassette) == "second"


def test_a_compressed_answer_is_recorded_readable_and_scrubbed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that gzips its answers: the secret inside must still be found and blanked out, and the replay must
    still read the answer."""
    cassette = Cassette(tmp_path / "gzipped")
    answer = {"data": {"endpoints": {"direct": {"connectionString": "postgres://u:hunter2@db.example/1"}}}}
    compressed = gzip.compress(json.dumps(answer).encode())
    server = httpx.MockTransport(
        lambda request: httpx.Response(200, content=compressed, headers={"content-encoding": "gzip"})
    )
    with recording(cassette, SETTINGS, "replay"), httpx.Client(transport=server) as client:
        assert client.get(API).json() == answer
    text = cassette.session.read_text(encoding="utf-8")
    assert "hunter2" not in text
    assert REDACTED in text
    with replaying(cassette), httpx.Client() as client:
        replayed_string = client.get(API).json()["data"]["endpoints"]["direct"]["connectionString"]
    assert REDACTED in replayed_string
    assert "hunter2" not in replayed_string


def test_a_folder_with_only_half_a_cassette_is_no_cassette(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = Cassette(tmp_path / "whole")
    record(whole, "first")
    for kept in ("meta.json", "session.yaml"):
        half = Cassette(tmp_path / f"only-{kept}")
        half.folder.mkdir()
        (half.folder / kept).write_bytes((whole.folder / kept).read_bytes())
        with pytest.raises(TargetConfigurationError, match=r"^no cassette at ") as missing:
            half.metadata()
        assert f"(recorded in {CASSETTES}: emulator-http); record one with" in str(missing.value)
        assert half.exists(), "any part of one is a cassette a recording must not replace unasked"
        with pytest.raises(TargetConfigurationError, match="already holds a cassette"):
            record(half, "over a half")


def test_meta_json_is_written_in_one_canonical_form(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sorted keys, two-space indent, a final newline: a re-recording's diff shows what changed, not the order."""
    cassette = Cassette(tmp_path / "mine")
    record(cassette, "first")
    for path in [cassette.meta, *CASSETTES.glob("*/meta.json")]:
        text = path.read_text(encoding="utf-8")
        assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n", path


def test_vcrpys_matcher_tells_requests_apart_by_method_url_and_body() -> None:
    """Replays look requests up by this identity (compat.index_cassette); vcrpy's own matcher, the fallback if its
    internals move, must agree: identical requests match, any difference in method, URL or body does not."""
    from vcr.request import Request

    def request(method: str = "POST", uri: str = API, body: bytes | str | None = b'{"a": 1}') -> Request:
        return Request(method, uri, body, {})

    same_request(request(), request(body='{"a": 1}'))  # bytes and text of the same body
    for other in (request(method="PUT"), request(uri=f"{API}/restore"), request(body=b'{"a": 2}'), request(body=None)):
        with pytest.raises(AssertionError, match="method, URL or body differ"):
            same_request(request(), other)


def test_a_recording_goes_into_a_new_folder_at_any_depth(tmp_path: Path) -> None:
    """`restore-contract record path/to/new/name`: the folders on the way are made."""
    cassette = Cassette(tmp_path / "night" / "of" / "friday")
    record(cassette, "first")
    assert replayed(cassette) == "first"


@pytest.mark.usefixtures("ctrl_c")  # a Python SIGINT handler in place, as in a terminal, which a thread cannot replace
def test_a_recording_outside_the_main_thread_is_recorded(tmp_path: Path) -> None:
    """There no SIGINT handler can be installed: only an exception tells an interrupted block, and a block that ends
    normally is recorded."""
    cassette = Cassette(tmp_path / "threaded")
    failures: list[BaseException] = []

    def work() -> None:
        try:
            record(cassette, "from a thread")
        except BaseException as error:
            failures.append(error)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(30)
    assert failures == []
    assert replayed(cassette) == "from a thread"


def test_a_replay_does_not_wait_and_a_mismatch_quotes_what_was_sent(tmp_path: Path) -> None:
    """Its recorded answers need no waiting for; a request it cannot find is quoted in its first 300 characters."""
    cassette = Cassette(tmp_path / "mine")
    with recording(cassette, RECORDED.public(), "replay", force=False):
        pass
    target, _ = replay_target(cassette, "replay")
    try:
        began = time.monotonic()
        target.pace(5.0)
        assert time.monotonic() - began < 1
        sent = "".join(chr(ord("a") + index % 26) for index in range(400))
        with pytest.raises(CassetteMismatch) as mismatch:
            target.client().request("GET", API, content=sent.encode())  # a read: the guard lets it through
        assert f"replay: GET {API} {sent[:300]} is not in cassette 'mine'" in str(mismatch.value)
    finally:
        target.close()


def test_a_cassette_is_named_by_its_name_or_by_a_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """NAME is cassettes/NAME/; a path (with a slash, or a folder that exists here) is that folder, made or not yet."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "here").mkdir()
    assert Cassette.named("emulator-http").folder == CASSETTES / "emulator-http"
    assert Cassette.named("not-yet").folder == CASSETTES / "not-yet"
    assert Cassette.named("recordings/friday").folder == Path("recordings/friday")
    assert Cassette.named("here").folder == Path("here")


def test_a_replayed_request_is_filtered_once_and_still_plays_in_recorded_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """vcrpy filters a replayed request three times (can it play: the request, then its filtered copy; then play);
    the replay filters it once (compat.index_cassette), and identical requests still get their answers in order."""
    cassette = Cassette(tmp_path / "mine")
    answers = iter(["first", "second", "other"])
    reply = httpx.MockTransport(lambda request: httpx.Response(200, json={"answer": next(answers)}))
    with recording(cassette, SETTINGS, "replay"), httpx.Client(transport=reply) as client:
        for url in (API, API, f"{API}/other"):
            client.get(url)
    filtered: list[Any] = []
    scrub = cassettes._scrub_request

    def counted(request: Any) -> Any:
        filtered.append(request)
        return scrub(request)

    monkeypatch.setattr(cassettes, "_scrub_request", counted)

    with replaying(cassette), httpx.Client() as client:
        loaded = len(filtered)
        played = [client.get(url).json()["answer"] for url in (f"{API}/other", API, API)]

    assert loaded == 3, "vcrpy filters each recorded interaction as it loads it"
    assert played == ["other", "first", "second"]
    assert len(filtered) - loaded == 3, f"{len(filtered) - loaded} filterings for 3 replayed requests"
