"""Small request/response types shared by the route modules (no HTTP server code here)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import parse_qs


class HTTPError(Exception):
    """Raised by a handler to answer with a ready-made response."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: Message
    body: bytes
    base_url: str
    multi: dict[str, list[str]] = field(default_factory=dict)  # every value of a repeated parameter
    # When the request arrived (time.monotonic(), before any wait for the state's lock) and its
    # route kind: what Google's quota counts it by (gbp.guard).
    arrived: float = 0.0
    kind: str = ""

    def json(self) -> Any:
        if not self.body:
            return {}
        return json.loads(self.body.decode("utf-8"))

    def form(self) -> dict[str, str]:
        parsed = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        return {k: v[0] for k, v in parsed.items()}

    def bearer(self) -> str | None:
        value = self.headers.get("Authorization", "")
        if value.lower().startswith("bearer "):
            return value[7:].strip() or None
        return None


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json; charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, obj: Any, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(obj, indent=2).encode("utf-8")
    return Response(status, body, headers=dict(headers or {}))


def html_response(status: int, html: str) -> Response:
    return Response(status, html.encode("utf-8"), content_type="text/html; charset=utf-8")


def redirect(location: str) -> Response:
    return Response(302, b"", content_type="text/html; charset=utf-8", headers={"Location": location})
