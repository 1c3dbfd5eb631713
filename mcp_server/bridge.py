"""The SDK's streamable HTTP transport, driven once per Django request.

The app runs as WSGI (runserver, gunicorn, a Vercel function): no event loop outlives a request.
So each request gets a fresh session manager in the SDK's stateless mode with JSON answers (no
sessions, no SSE stream: what a request/response server can keep), run for that one request in an
event loop `async_to_sync` starts, and its ASGI answer becomes the Django response."""

from __future__ import annotations

import anyio
from asgiref.sync import async_to_sync
from django.http import HttpRequest, HttpResponse
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings

from api.models import ApiKey

from .server import KEY, server

# Django already refused any Host outside ALLOWED_HOSTS, and the endpoint reads no cookie (only a
# bearer key, which a browser never sends on its own), so the SDK's own Host/Origin check is off.
SECURITY = TransportSecuritySettings(enable_dns_rebinding_protection=False)


def _scope(request: HttpRequest) -> dict:
    headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in request.headers.items()]
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": request.scheme,
        "path": request.path,
        "raw_path": request.path.encode(),
        "query_string": request.META.get("QUERY_STRING", "").encode("latin-1"),
        "root_path": "",
        "headers": headers,
        "server": (request.get_host().rsplit(":", 1)[0], int(request.get_port() or 80)),
        "client": (request.META.get("REMOTE_ADDR", ""), 0),
    }


async def _serve(scope: dict, body: bytes) -> tuple[int, list, bytes]:
    # The SDK keeps the low-level server private; its own in-process client reaches it the same way.
    manager = StreamableHTTPSessionManager(
        app=server._lowlevel_server, stateless=True, json_response=True, security_settings=SECURITY
    )
    answered = anyio.Event()
    status, headers, chunks = 500, [], []
    delivered = False

    async def receive() -> dict:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await answered.wait()  # the client stays connected until the answer is complete
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status, headers = message["status"], message.get("headers", [])
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                answered.set()

    async with manager.run():
        await manager.handle_request(scope, receive, send)
    return status, headers, b"".join(chunks)


def mcp_answer(request: HttpRequest, key: ApiKey) -> HttpResponse:
    """The SDK's answer to `request`, its tools run for `key`."""
    token = KEY.set(key)
    try:
        status, headers, body = async_to_sync(_serve)(_scope(request), request.body)
    finally:
        KEY.reset(token)
    response = HttpResponse(body, status=status)
    for name, value in headers:
        if name.lower() != b"content-length":
            response[name.decode("latin-1")] = value.decode("latin-1")
    return response
