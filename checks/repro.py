"""Failure messages a person can act on: which property broke, the request as curl, the answer, how to rerun."""

from __future__ import annotations

import os
import shlex

import httpx

from redaction import SECRET_HEADERS

NOISE_HEADERS = {"host", "content-length", "accept-encoding", "connection", "user-agent", "accept"}


def curl(request: httpx.Request) -> str:
    """The request as a curl command, with the token redacted."""
    parts = ["curl", "-X", request.method, shlex.quote(str(request.url))]
    for name, value in request.headers.items():
        lowered = name.lower()
        if lowered in NOISE_HEADERS or lowered.startswith("x-schemathesis"):
            continue
        if lowered in SECRET_HEADERS:
            value = "Bearer [REDACTED]" if lowered == "authorization" else "[REDACTED]"
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    if request.content:
        parts += ["--data-binary", shlex.quote(request.content.decode("utf-8", "backslashreplace"))]
    return " ".join(parts)


def explain_failure(properties: list[tuple[str, str]], response: httpx.Response, target: str) -> str:
    """`properties`: (name, message) of each broken property."""
    body = response.text if len(response.text) <= 2000 else response.text[:2000] + "…"
    test = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]
    lines = [f"{len(properties)} propert{'y' if len(properties) == 1 else 'ies'} broken:"]
    for name, message in properties:
        lines.append(f"- {name}: " + message.replace("\n", "\n    "))
    lines += [
        "Request (token redacted):",
        f"  {curl(response.request)}",
        f"Response: {response.status_code} {response.headers.get('content-type', '(no content type)')}",
        f"  {body}",
        "Reproduce:",
        f"  pytest {shlex.quote(test) if test else 'tests/contract'} --target {target}"
        "  (the Hypothesis seed or @reproduce_failure blob printed below replays this exact case;"
        " PRISMA_CONTRACT_PROFILE=debug shrinks it to a minimal one)",
    ]
    return "\n".join(lines)
