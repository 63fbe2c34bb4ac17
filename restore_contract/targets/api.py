"""The suite's client of the Management API: every request the suite sends on purpose goes through here (the
generated ones are schemathesis's), one method per operation, each id percent-encoded one way (`encode_segment`,
the form the safety guard reasons about), and one error for an answer that is not the one the caller needs.

Two kinds of method, because the suite uses answers two ways:
- an operation's name (`get_database`, `restore`, …) returns the `httpx.Response` as it came: for callers that judge
  or record the answer itself (the lifecycle model, parity's scenario, the lease, the preflight);
- a noun (`database`, `created_database`, `backups`, …) returns the answer's `data`, or raises `ApiError` carrying
  the status and the start of the body: for the set-up, where any other answer means the run cannot go on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from restore_contract.contracts import encode_segment

PAGES = 100  # a bound on a project's listing, not an expectation
PAGE_SIZE = 100


class ApiError(RuntimeError):
    """An answer that is not the one the caller needs: what was asked, the status and the start of the body."""

    def __init__(self, what: str, response: httpx.Response) -> None:
        self.status = response.status_code
        self.body = response.text[:300]
        super().__init__(f"{what} answered {self.status}: {self.body}")


def _id(value: str) -> str:
    return encode_segment(value)


@dataclass(frozen=True)
class ManagementApi:
    client: httpx.Client

    def database_url(self, database_id: str) -> str:
        """The database's full URL, for a command the user may paste (curl)."""
        return f"{str(self.client.base_url).rstrip('/')}/v1/databases/{_id(database_id)}"

    # --- answers as they came -------------------------------------------------------------------------------------

    def get_database(self, database_id: str) -> httpx.Response:
        return self.client.get(f"/v1/databases/{_id(database_id)}")

    def delete_database(self, database_id: str) -> httpx.Response:
        return self.client.delete(f"/v1/databases/{_id(database_id)}")

    def create_database(self, project_id: str, name: str) -> httpx.Response:
        return self.client.post(f"/v1/projects/{_id(project_id)}/databases", json={"name": name})

    def list_databases(
        self, project_id: str, cursor: str | None = None, limit: int | None = PAGE_SIZE
    ) -> httpx.Response:
        params: dict[str, str | int] = {**({"limit": limit} if limit else {}), **({"cursor": cursor} if cursor else {})}
        return self.client.get(f"/v1/projects/{_id(project_id)}/databases", params=params)

    def list_backups(self, database_id: str, limit: int | None = PAGE_SIZE) -> httpx.Response:
        params = {} if limit is None else {"limit": limit}
        return self.client.get(f"/v1/databases/{_id(database_id)}/backups", params=params)

    def list_connections(self, database_id: str, limit: int | None = PAGE_SIZE) -> httpx.Response:
        params = {} if limit is None else {"limit": limit}
        return self.client.get(f"/v1/databases/{_id(database_id)}/connections", params=params)

    def create_connection(self, database_id: str, name: str) -> httpx.Response:
        return self.client.post(f"/v1/databases/{_id(database_id)}/connections", json={"name": name})

    def delete_connection(self, connection_id: str) -> httpx.Response:
        return self.client.delete(f"/v1/connections/{_id(connection_id)}")

    def restore(self, target_id: str, body: Mapping[str, Any] | str | bytes) -> httpx.Response:
        """`body`: a JSON object, or the raw bytes of one that is not (a malformed body is a probe too)."""
        path = f"/v1/databases/{_id(target_id)}/restore"
        if isinstance(body, str | bytes):
            return self.client.post(path, content=body, headers={"Content-Type": "application/json"})
        return self.client.post(path, json=body)

    # --- the data of the answer the caller needs, or ApiError ------------------------------------------------------

    def database(self, database_id: str) -> dict[str, Any]:
        return dict(_data(self.get_database(database_id), 200, f"GET database {database_id}"))

    def created_database(self, project_id: str, name: str) -> dict[str, Any]:
        return dict(_data(self.create_database(project_id, name), 201, f"creating database {name!r}"))

    def issued_connection(self, database_id: str, name: str) -> dict[str, Any]:
        return dict(_data(self.create_connection(database_id, name), 200, f"creating a connection on {database_id}"))

    def backups(self, database_id: str) -> list[dict[str, Any]]:
        return list(_data(self.list_backups(database_id), 200, f"listing the backups of {database_id}"))

    def connections(self, database_id: str) -> list[dict[str, Any]]:
        return list(_data(self.list_connections(database_id), 200, f"listing the connections of {database_id}"))

    def project_databases(self, project_id: str) -> list[dict[str, Any]]:
        """Every database of the project, page by page (at most PAGES pages)."""
        found: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(PAGES):
            response = self.list_databases(project_id, cursor)
            if response.status_code != 200:
                raise ApiError(f"listing the databases of project {project_id}", response)
            page = response.json()
            found += page["data"]
            cursor = page["pagination"].get("nextCursor")
            if not page["pagination"].get("hasMore") or not cursor:
                break
        return found


def _data(response: httpx.Response, status: int, what: str) -> Any:
    if response.status_code != status:
        raise ApiError(what, response)
    return response.json()["data"]
