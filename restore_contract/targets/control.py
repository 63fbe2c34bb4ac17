"""Client of the emulator's control plane: what only an emulator can do (take a backup now, force a status)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

Tables = dict[str, list[dict[str, Any]]]


class ControlPlaneError(RuntimeError):
    pass


class ControlPlane:
    """Talks to `/_emulator/...` through the same transport as the suite's client (no token needed)."""

    def __init__(self, client: httpx.Client, on_response: Callable[[httpx.Response], object] | None = None) -> None:
        self._client = client
        self._on_response = on_response  # sees every answer first (the emulator's own tests check errors there)

    def send(self, method: str, path: str, body: Any = None, content: bytes | None = None) -> httpx.Response:
        """One request to `/_emulator` + `path`, answered as it came (whatever its status)."""
        response = self._client.request(method, "/_emulator" + path, json=body, content=content)
        if self._on_response is not None:
            self._on_response(response)
        return response

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        response = self.send(method, path, body)
        if response.status_code >= 300:
            raise ControlPlaneError(f"{method} /_emulator{path} → {response.status_code}: {response.text}")
        return response.json() if response.content else None

    def reset(self) -> None:
        self._call("POST", "/reset")

    def create_project(self, name: str = "contract-project", workspace_id: str | None = None) -> str:
        """A project in `workspace_id` (default: the configured token's workspace)."""
        body = {"name": name, **({"workspaceId": workspace_id} if workspace_id else {})}
        return str(self._call("POST", "/projects", body)["id"])

    def create_workspace(self, name: str = "other-workspace") -> str:
        return str(self._call("POST", "/workspaces", {"name": name})["id"])

    def mint_token(self, workspace_id: str | None = None, scopes: list[str] | None = None) -> str:
        """A bearer token of `workspace_id` (default: the configured token's) with `scopes` (default: all)."""
        body: dict[str, Any] = {}
        if workspace_id:
            body["workspaceId"] = workspace_id
        if scopes is not None:
            body["scopes"] = scopes
        return str(self._call("POST", "/tokens", body)["token"])

    def take_backup(self, database_id: str, status: str = "completed") -> str:
        return str(self._call("POST", f"/databases/{database_id}/backups", {"status": status})["id"])

    def set_backup_status(self, backup_id: str, status: str) -> None:
        self._call("PUT", f"/backups/{backup_id}/status", {"status": status})

    def force_status(self, database_id: str, status: str) -> None:
        self._call("PUT", f"/databases/{database_id}/status", {"status": status})

    def read_data(self, database_id: str) -> Tables:
        tables: Tables = self._call("GET", f"/databases/{database_id}/data")["tables"]
        return tables

    def write_data(self, database_id: str, tables: Tables) -> None:
        self._call("PUT", f"/databases/{database_id}/data", {"tables": tables})

    def authenticates(self, connection_string: str) -> str | None:
        """The database id a connection string logs into, or None when its credentials are refused."""
        database: str | None = self._call("POST", "/authenticate", {"connectionString": connection_string})["database"]
        return database

    def set_clock(self, clock: str) -> None:
        self._call("PUT", "/clock", {"clock": clock})

    def set_faults(self, names: list[str]) -> None:
        self._call("PUT", "/faults", {"active": names})

    def requests(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._call("GET", "/requests")["requests"]
        return found

    def clock(self) -> str:
        return str(self._call("GET", "/clock")["clock"])
