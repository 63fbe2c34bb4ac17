"""The safety guard: on a live target, no write leaves the process unless the run owns what it writes to.

It sits in the HTTP layer, under every client the suite makes (the driver's, the probes', the pool's),
so no code path, generated case or id found in a response can reach a database the run was not given
or did not create. A write is any method but GET, HEAD and OPTIONS: a restore, a delete, but also a POST that
issues a connection (it adds a role to the database). Writes under `/v1/databases/{id}` need an owned id; the
only other writes allowed are creating a database in the run's own project (or in one named by a minted token,
which is nobody's) and deleting, by its exact id, a connection named contract-… on a database the run owns that
the run made (its lease on the sacrificial database, its probe connection there) or that is a killed run's expired
lease there (targets/lease.py). A refused request raises `UnsafeRequestRefused` before anything is sent, and the
run fails loudly.

The suite also probes destructive routes with ids it derives from its own databases (prefix case changed,
the unprefixed form, another segment and an encoded slash before it, trailing characters) and ids it mints
from fresh randomness. Such a request is allowed only when every database a server could take the id to
name, under any plausible normalisation (decoded or not, the part after a slash, trailing characters
trimmed, the prefix's case folded, with or without `db_`), is one the run owns or contains a token the run
minted: no one else's database can have an id that contains a random token this run just drew, or the
random id the server minted for one of the run's own databases; and a form that does not match the
documented id pattern is no database's id at all.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import threading
import uuid
from dataclasses import dataclass, field
from urllib.parse import unquote

import httpx

from restore_contract.contracts import matches_database_id
from restore_contract.dataset.golden import GOLDEN_NAME_PREFIX

SCRATCH_PREFIX = "contract-"  # the only databases a run may ever restore into or delete are named so
SCRATCH_NAME = SCRATCH_PREFIX + "scratch-"  # and those a run creates itself, so that a later run can find leftovers
PREFIX = "db_"
# Where a written database's id, or the project a database is created in, sits in the (still percent-encoded)
# path. Searched, so an API URL with a base path of its own is guarded as well.
DATABASE_PATH = re.compile(r"/v1/databases/([^/]*)(/.*)?$")
CREATE_PATH = re.compile(r"/v1/projects/([^/]*)/databases/?$")
CONNECTION_PATH = re.compile(r"/v1/connections/([^/]*)/?$")
# The only methods that change nothing; every other one is a write. Of writes, the suite needs only these.
READS = {"GET", "HEAD", "OPTIONS"}
NEEDED_WRITES = {"POST", "DELETE"}
# A token, or the part of an owned id after `db_`, this long is unique: shorter owned ids count only whole.
UNIQUE = 16
# What a lenient server might trim from the end of an id before looking it up.
TRIMMED = " \t\r\n./\\%_~!$&'()*+,;=:@"


class UnsafeRequestRefused(RuntimeError):
    """A destructive request towards a database the run does not own; nothing was sent."""


def reachable_ids(raw_segment: str) -> set[str]:
    """Every database id a server could take this (percent-encoded) path segment to name."""
    forms = {raw_segment, unquote(raw_segment)}
    forms |= {part for form in list(forms) for part in form.split("/")}
    forms |= {form.rstrip(TRIMMED) for form in list(forms)}
    forms |= {PREFIX + form[3:] for form in list(forms) if form[:3].lower() == PREFIX}
    forms |= {form[3:] for form in list(forms) if form.startswith(PREFIX)}
    return forms | {PREFIX + form for form in list(forms)}


def minted_token(secret: str, number: int) -> str:
    """The run's `number`th token: lower-case hex (it fits every branch of the id pattern), as random as `secret`
    (a live run's is fresh; a recorded run's is fixed, so its replay sends the same ids)."""
    return hashlib.sha256(f"{secret}:{number}".encode()).hexdigest()[: UNIQUE + 8]


@dataclass
class Allowlist:
    """Databases this run may restore into or delete (the configured sacrificial one and its own scratch ones),
    and the random tokens it minted for probe ids."""

    secret: str = field(default_factory=lambda: uuid.uuid4().hex)  # the run's randomness for minted tokens
    ids: set[str] = field(default_factory=set)
    projects: set[str] = field(default_factory=set)  # where the run may create (scratch) databases
    connections: set[str] = field(default_factory=set)  # connections the run may delete (see `allow_connection`)
    tokens: set[str] = field(default_factory=set)
    refused: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _numbers: itertools.count[int] = field(default_factory=itertools.count)

    def allow(self, database_id: str, name: str) -> None:
        if not name.startswith(SCRATCH_PREFIX):
            raise UnsafeRequestRefused(
                f"refusing to use database {database_id} ({name!r}) as a restore target: its name does not start "
                f"with {SCRATCH_PREFIX!r}; rename it or give another sacrificial database"
            )
        if name.startswith(GOLDEN_NAME_PREFIX):
            raise UnsafeRequestRefused(
                f"refusing to use database {database_id} ({name!r}) as a restore target: it is named like a golden "
                "source, whose backups must hold the fixture; give another sacrificial database"
            )
        with self._lock:
            self.ids.add(database_id)

    def forget(self, database_id: str) -> None:
        """The run no longer writes to this database (a sacrificial database another run holds the lease of)."""
        with self._lock:
            self.ids.discard(database_id)

    def allow_connection(self, connection_id: str, database_id: str, name: str) -> None:
        """A connection the run may delete: only one named contract-… on a database the run owns, by its exact id
        (one the run created itself, or an expired lease on the sacrificial database it now holds)."""
        if not name.startswith(SCRATCH_PREFIX) or database_id not in self.ids:
            raise UnsafeRequestRefused(
                f"refusing to let this run delete connection {connection_id} ({name!r}) of database {database_id}: "
                f"only connections named {SCRATCH_PREFIX}… on a database the run owns"
            )
        with self._lock:
            self.connections.add(connection_id)

    def mint(self) -> str:
        """A token for probe ids; the guard lets a request through to ids that carry it."""
        with self._lock:
            token = minted_token(self.secret, next(self._numbers))
            self.tokens.add(token)
        return token

    def owns(self, candidate: str) -> bool:
        """Is `candidate` an id of the run's own databases, or does it carry the run's own randomness?"""
        with self._lock:
            if candidate in self.ids or PREFIX + candidate in self.ids:
                return True
            cores = [owned.removeprefix(PREFIX) for owned in self.ids]
            unique = [core for core in cores if len(core) >= UNIQUE] + list(self.tokens)
        return any(part in candidate for part in unique)

    def may_create_in(self, raw_segment: str) -> bool:
        """A database may be created in the run's own project, or in one whose id carries a minted token (nobody's:
        a generated create goes there, so it cannot leave a database the run does not know of)."""
        forms = {form for form in reachable_ids(raw_segment) if not form.startswith(PREFIX)} | {unquote(raw_segment)}
        with self._lock:
            return all(form in self.projects or any(t in form for t in self.tokens) for form in forms if form)

    def __contains__(self, raw_segment: object) -> bool:
        """Every database the segment could reach is the run's own (see `reachable_ids`); a form that does not
        match the documented id pattern is no database's id."""
        if not isinstance(raw_segment, str):
            return False
        return all(self.owns(form) for form in reachable_ids(raw_segment) if matches_database_id(form))


def refusal(allowlist: Allowlist, method: str, raw_path: str) -> str | None:
    """Why a request must not be sent (None: it may): a write to a database the run does not own, a database
    created in another project, or any other write."""
    if method.upper() in READS:
        return None
    if method.upper() not in NEEDED_WRITES:
        return f"a run never needs {method.upper()}"
    database = DATABASE_PATH.search(raw_path)
    if database:
        segment, rest = database.group(1), database.group(2) or ""
        # An empty id names no database, but a server that collapses `//` would take what follows for one (or
        # `DELETE /v1/databases/` for all): only the restore route's empty-id probe is let through.
        if segment in allowlist and (segment or rest.rstrip("/") == "/restore"):
            return None
        return (
            f"it writes to database {unquote(segment)!r}, which this run was neither given "
            "(PRISMA_CONTRACT_TARGET_DATABASE_ID) nor created"
        )
    connection = CONNECTION_PATH.search(raw_path)
    if connection and method.upper() == "DELETE":
        # Exactly as allowed: no other form, decoded or trimmed, can then name another connection.
        if connection.group(1) in allowlist.connections:
            return None
        return f"it deletes connection {unquote(connection.group(1))!r}, which this run did not create"
    project = CREATE_PATH.search(raw_path)
    if project and method.upper() == "POST":
        if allowlist.may_create_in(project.group(1)):
            return None
        return f"it creates a database in {unquote(project.group(1))!r}, not the run's PRISMA_CONTRACT_PROJECT_ID"
    return "a run writes to nothing but its own databases"


class GuardTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, allowlist: Allowlist) -> None:
        self._inner = inner
        self.allowlist = allowlist

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raw_path = request.url.raw_path.decode("ascii").split("?", 1)[0]
        why = refusal(self.allowlist, request.method, raw_path)
        if why is not None:
            self.allowlist.refused.append(f"{request.method} {raw_path}")
            raise UnsafeRequestRefused(f"refused before sending: {request.method} {raw_path}: {why}")
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()
