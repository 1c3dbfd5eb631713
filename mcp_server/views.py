"""/mcp: the MCP server's one endpoint. The API's keys authenticate it, with their scope, their
franchises and their rate limit (api/keys.py); the SDK (loaded only here, on the first call)
answers the rest (bridge.py)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from api.keys import api_key_for_secret, api_key_use

UNAUTHENTICATED = "Send a valid API key: Authorization: Bearer <key> (made on your profile page)."


def _refusal(status: int, message: str, headers: dict) -> JsonResponse:
    # JSON-RPC's error shape, which MCP clients show; no id: the request was not read.
    body = {"jsonrpc": "2.0", "id": None, "error": {"code": -32001, "message": message}}
    return JsonResponse(body, status=status, headers=headers)


@csrf_exempt
def mcp_endpoint(request: HttpRequest) -> HttpResponse:
    """POST carries every message. A stateless server opens no stream and keeps no session, so GET
    (a stream) and DELETE (ending a session) get 405, as the transport's specification says."""
    if request.method != "POST":
        return _refusal(405, "This MCP server is stateless: send every message with POST.", {"Allow": "POST"})
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    key = api_key_for_secret(secret.strip()) if scheme.lower() == "bearer" else None
    if key is None:
        return _refusal(401, UNAUTHENTICATED, {"WWW-Authenticate": 'Bearer realm="mcp"'})
    allowance = api_key_use(key=key)
    if not allowance.allowed:
        message = f"Too many requests with this key: try again in {allowance.retry_after} s."
        return _refusal(429, message, {"Retry-After": str(allowance.retry_after)})
    from .bridge import mcp_answer  # the SDK, loaded by the first MCP request rather than every cold start

    return mcp_answer(request, key)
