"""Record a live run into cassettes/<name>/ with vcrpy, and replay it with no network and no credentials.

A cassette is `session.yaml` (vcrpy's format) plus `meta.json`: the settings the recording used (never
the token), so a replay names the same project, databases and backups and sends byte-identical requests.
Requests are matched on method, scheme, host, port, path, query *and body*; each recorded answer plays
once, in order. Secrets never reach the file: the Authorization header is dropped, and connection strings,
passwords and credentials inside URLs in bodies are replaced by REDACTED. A recording replaces a cassette only when
asked to (`force`), and writes one whole or not at all: an interrupted recording leaves the folder as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import httpx

from restore_contract import workspace
from restore_contract.compat import index_cassette, save_cassette
from restore_contract.redaction import SECRET_HEADERS, scrub_body
from restore_contract.settings import ENV
from restore_contract.targets.base import Target, TargetConfigurationError
from restore_contract.targets.live import LiveSettings, live_target

if TYPE_CHECKING:  # vcrpy is imported by a recording or a replay only: with aiohttp's stubs it costs every run ~0.2 s
    import vcr

CASSETTES = workspace.root() / "cassettes"
# Set to 1 (true, yes, on), a recording may replace the cassette already in its folder: what
# `restore-contract record NAME --force` sets for the suite's `--record NAME`, which has no option of its own for it.
# One matcher that compares method, full URL (scheme, host, port, path, query) and body at once: vcrpy compares
# every new request with every recorded one, and its per-field matchers (with diffs of mismatched bodies) make
# that quadratic scan take minutes for a few thousand requests.
MATCH_ON = ("exact",)


def _scrub_request(request: Any) -> Any:
    request.body = scrub_body(request.body)
    return request


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = {k: v for k, v in response.get("headers", {}).items() if k.lower() not in SECRET_HEADERS}
    body = dict(response.get("body", {}))
    body["string"] = scrub_body(body.get("string"))
    return {**response, "headers": headers, "body": body}


def _as_bytes(body: bytes | str | None) -> bytes:
    return body.encode() if isinstance(body, str) else (body or b"")


def _identity(request: Any) -> tuple[str, str, bytes]:
    return request.method, request.uri, _as_bytes(request.body)


def same_request(first: Any, second: Any) -> None:
    """vcrpy matcher: raises unless method, URL and body are identical."""
    if _identity(first) != _identity(second):
        raise AssertionError("method, URL or body differ")


def _recorder(mode: str) -> vcr.VCR:
    import vcr

    recorder = vcr.VCR(
        record_mode=mode,
        match_on=MATCH_ON,
        filter_headers=list(SECRET_HEADERS),
        before_record_request=_scrub_request,
        before_record_response=_scrub_response,
        decode_compressed_response=True,
    )
    recorder.register_matcher("exact", same_request)
    return recorder


@dataclass(frozen=True)
class Cassette:
    folder: Path

    @classmethod
    def named(cls, name_or_path: str) -> Cassette:
        """`cassettes/NAME/`, or any folder given as a path (e.g. a fresh recording elsewhere)."""
        given = Path(name_or_path)
        return cls(given if given.is_dir() or "/" in name_or_path else CASSETTES / name_or_path)

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def session(self) -> Path:
        return self.folder / "session.yaml"

    @property
    def meta(self) -> Path:
        return self.folder / "meta.json"

    @property
    def given(self) -> str:
        """What `--record`, `--cassette` (and `restore-contract record|replay`) take to name it: NAME for the project's
        `cassettes/NAME/`, else the folder's path."""
        return self.name if self.folder.parent == CASSETTES else str(self.folder.resolve())

    def exists(self) -> bool:
        """Whether the folder holds a cassette, or any part of one."""
        return self.session.exists() or self.meta.exists()

    def metadata(self) -> dict[str, Any]:
        if not self.meta.is_file() or not self.session.is_file():
            known = sorted(path.parent.name for path in CASSETTES.glob("[!.]*/meta.json"))  # not a partial one
            raise TargetConfigurationError(
                f"no cassette at {self.folder} (recorded in {CASSETTES}: {', '.join(known) or 'none'}); "
                f"record one with --target live --record {self.name}"
            )
        metadata: dict[str, Any] = json.loads(self.meta.read_text(encoding="utf-8"))
        return metadata


def recording(
    cassette: Cassette, settings: dict[str, Any], profile: str, *, force: bool = False
) -> AbstractContextManager[None]:
    """Record every HTTP exchange of the block into `cassette`, with the metadata next to it.

    A cassette already in the folder is replaced only with `force` (the setting `record_force`: --record-force,
    which `restore-contract record NAME --force` passes). Without it this raises TargetConfigurationError (one line:
    what to do) before anything is recorded.

    Atomic: the block is recorded into a partial folder next to it (`.NAME.partial-PID/`), and its two files
    replace the cassette's only once the block has ended normally, `meta.json` last (it says the cassette is
    complete). A block ended by an exception, a KeyboardInterrupt included, or by a SIGINT that the code inside
    caught (pytest catches Ctrl-C, then tears the target down normally), leaves the folder as it was.
    """
    check_recordable(cassette, force)
    return _recording(cassette, settings, profile)


def check_recordable(cassette: Cassette, force: bool) -> None:
    """TargetConfigurationError (one line) where a recording would replace a cassette without `force`. The
    run's settings are checked with it before the session starts (run/configuration.py), and again here."""
    if cassette.exists() and not force:
        where = f"cassettes/{cassette.name}" if cassette.given == cassette.name else cassette.given
        raise TargetConfigurationError(
            f"{where} already holds a cassette: pass --force (restore-contract record {cassette.given} --force, or "
            f"{ENV['record_force']}=1) to replace it, or choose another name"
        )


@contextmanager
def _recording(cassette: Cassette, settings: dict[str, Any], profile: str) -> Iterator[None]:
    partial = Cassette(cassette.folder.with_name(f".{cassette.name}.partial-{os.getpid()}"))
    shutil.rmtree(partial.folder, ignore_errors=True)  # a run killed hard under this pid, long ago
    partial.folder.mkdir(parents=True)
    try:
        # record_on_exception=False: vcrpy would otherwise save what it has when the block raises
        recorder = _recorder("all").use_cassette(str(partial.session), record_on_exception=False)
        with _interrupts_noticed() as interrupted, recorder as tape:
            yield
            save_cassette(tape)  # an empty block's file too: a replay needs it
        if interrupted.is_set():
            return
        meta = {
            "settings": settings,
            "profile": profile,
            "recordedAt": datetime.now(UTC).isoformat(timespec="seconds"),
            "interactions": len(tape.data),
        }
        partial.meta.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        cassette.folder.mkdir(exist_ok=True)  # its parent exists: the partial folder was made in it
        cassette.meta.unlink(missing_ok=True)  # from here until the last replace, the folder holds no whole cassette
        os.replace(partial.session, cassette.session)
        os.replace(partial.meta, cassette.meta)
    finally:
        shutil.rmtree(partial.folder, ignore_errors=True)


@contextmanager
def _interrupts_noticed() -> Iterator[threading.Event]:
    """An event set when SIGINT arrives during the block, where it raises KeyboardInterrupt as before: the handler
    in place (Python's, pytest's) still runs. Where SIGINT raises nothing (ignored, default, not Python's) or no
    handler can be installed (outside the main thread), the event stays clear: only an exception tells then."""
    interrupted = threading.Event()
    before = signal.getsignal(signal.SIGINT)
    if not callable(before) or threading.current_thread() is not threading.main_thread():
        yield interrupted
        return

    def notice(signum: int, frame: FrameType | None) -> Any:
        interrupted.set()
        return before(signum, frame)

    signal.signal(signal.SIGINT, notice)
    try:
        yield interrupted
    finally:
        if signal.getsignal(signal.SIGINT) is notice:  # not if someone installed their own meanwhile
            signal.signal(signal.SIGINT, before)


class NetworkBlocked(RuntimeError):
    pass


@contextmanager
def replaying(cassette: Cassette) -> Iterator[None]:
    """Serve the block's requests from the cassette; any real connection attempt fails."""

    def refuse(*_: Any, **__: Any) -> Any:
        raise NetworkBlocked("replay: a real network connection was attempted; everything must come from the cassette")

    original_connect, original_create = socket.socket.connect, socket.create_connection
    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.create_connection = refuse
    try:
        with _recorder("none").use_cassette(str(cassette.session), allow_playback_repeats=False) as tape:
            index_cassette(tape, _identity)
            yield
    finally:
        socket.socket.connect = original_connect  # type: ignore[method-assign]
        socket.create_connection = original_create


class CassetteMismatch(AssertionError):
    pass


class ReplayTransport(httpx.BaseTransport):
    """Turns vcrpy's 'not in the cassette' into a message that says which request and how to re-record."""

    def __init__(self, inner: httpx.BaseTransport, cassette: Cassette) -> None:
        self._inner = inner
        self._cassette = cassette

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        from vcr.errors import CannotOverwriteExistingCassetteException

        try:
            return self._inner.handle_request(request)
        except CannotOverwriteExistingCassetteException as error:
            body = request.content.decode("utf-8", "replace")[:300]
            raise CassetteMismatch(
                f"replay: {request.method} {request.url} {body} is not in cassette {self._cassette.name!r} "
                f"({error.reason}). The suite or the recording changed: re-record with\n"
                f"  PRISMA_CONTRACT_PROFILE=replay python3 {CASSETTES.parent / 'dev.py'} contract --target live "
                f"--record {self._cassette.folder}\n"
                "(see docs/replay.md)"
            ) from None


def check_replayable(cassette: Cassette, profile: str) -> dict[str, Any]:
    """The cassette's metadata, once it is known to replay with `profile`; TargetConfigurationError (one line) where
    there is no cassette or it was recorded with another profile. Checked before the session starts too."""
    metadata = cassette.metadata()
    if metadata["profile"] != profile:
        raise TargetConfigurationError(
            f"cassette {cassette.name!r} was recorded with the Hypothesis profile {metadata['profile']}; replay it "
            f"with the same one (PRISMA_CONTRACT_PROFILE or --hypothesis-profile; now {profile}) so the same "
            "requests are generated"
        )
    return metadata


def replay_target(cassette: Cassette, profile: str) -> tuple[Target, LiveSettings]:
    """The recorded run's target, served from the cassette: the same settings (never a token), no network, and
    no data probe (a cassette holds HTTP only: there is nothing to log in to). `profile`: the one in effect."""
    metadata = check_replayable(cassette, profile)
    recorded = dict(metadata["settings"])
    # The principals the recording had, by kind; a token stands in for each (a replay sends no Authorization header).
    principals = {kind: f"replay-has-no-{kind}-token" for kind in recorded.pop("principals", [])}
    settings = LiveSettings(**{**recorded, "data_probe": False}, token="replay-has-no-token", principals=principals)
    target = live_target(
        settings,
        name="replay",
        preflight=False,  # nothing to check: the settings are the recording's, checked against its server
        recorder=replaying(cassette),
        wrap=lambda guarded: ReplayTransport(guarded, cassette),
        waits=False,
    )
    return target, settings
