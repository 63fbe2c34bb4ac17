"""A router over the *raw* (still percent-encoded) path.

Routing on the decoded path would let an id containing ``%2F`` split into two segments and reach
another route; here each segment is matched first and only then decoded, so ids stay whole.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

Handler = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Route:
    method: str
    template: tuple[str, ...]
    handler: Handler


@dataclass(frozen=True)
class Match:
    handler: Handler | None  # None: the path exists but not for this method
    params: dict[str, str]
    allowed: tuple[str, ...]


class Router:
    def __init__(self) -> None:
        self._routes: list[Route] = []

    def add(self, method: str, path: str, handler: Handler) -> None:
        self._routes.append(Route(method, tuple(path.strip("/").split("/")), handler))

    @staticmethod
    def _bind(template: tuple[str, ...], segments: list[str]) -> dict[str, str] | None:
        if len(template) != len(segments):
            return None
        params: dict[str, str] = {}
        for expected, actual in zip(template, segments, strict=True):
            if expected.startswith("{"):
                params[expected[1:-1]] = unquote(actual, errors="strict")
            elif expected != actual:
                return None
        return params

    def match(self, method: str, raw_path: str) -> Match | None:
        """The route for (method, path); None when no route has this path at all."""
        segments = raw_path.strip("/").split("/")
        allowed: list[str] = []
        found: tuple[Handler, dict[str, str]] | None = None
        for route in self._routes:
            try:
                params = self._bind(route.template, segments)
            except UnicodeDecodeError:
                params = None  # percent-encoded bytes that are not UTF-8 name nothing
            if params is None:
                continue
            allowed.append(route.method)
            if route.method == method and found is None:
                found = (route.handler, params)
        if not allowed:
            return None
        if found is None:
            return Match(None, {}, tuple(allowed))
        return Match(found[0], found[1], tuple(allowed))
