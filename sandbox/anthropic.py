"""Anthropic Messages and Models API stand-in (Message Batches: anthropic_batches.py).

Auth: the key may come as `x-api-key` (SDK 1.x) or `Authorization: Bearer` (SDK 2.x). With
no key configured, any key starting with "sk-ant-" is accepted; the control API can pin one.
Structured output is read from `output_config.format` (what SDK 2.x sends, also for
`messages.parse(output_format=Model)`) or the older beta top-level `output_format`.

Usage is reported as the API does: a prefix marked with `cache_control` is written to the cache
(`cache_creation_input_tokens`) and read back within 5 minutes (`cache_read_input_tokens`) only
when it reaches the model's minimum cacheable length; a shorter one is processed uncached, with
no error, as the real API does. Every reply's usage is added to per-tier totals (`standard`,
`batch`) that tests compare with what the app recorded.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable
from typing import Any

from . import anthropic_gen
from .faults import anthropic_error
from .state import State
from .wire import HTTPError, Request, Response, json_response

MODELS = [
    ("claude-opus-4-8", "Claude Opus 4.8", "2026-09-01T00:00:00Z"),
    ("claude-opus-4-7", "Claude Opus 4.7", "2026-06-01T00:00:00Z"),
    ("claude-opus-4-6", "Claude Opus 4.6", "2026-02-05T00:00:00Z"),
    ("claude-sonnet-4-6", "Claude Sonnet 4.6", "2026-02-17T00:00:00Z"),
    ("claude-haiku-4-5-20251001", "Claude Haiku 4.5", "2025-10-15T00:00:00Z"),
]
CACHE_TTL = 300.0  # the API's default ephemeral cache lifetime
# Minimum cacheable prompt length in tokens (Anthropic's prompt-caching guide, "Cache limitations",
# platform.claude.com/docs/en/build-with-claude/prompt-caching): 4,096 for Claude Haiku 4.5 and
# Opus 4.5/4.6, 1,024 for the Sonnet models and older Opus. Below it `cache_control` is ignored.
MIN_CACHEABLE_TOKENS = {"claude-haiku-4-5": 4096, "claude-opus-4-5": 4096, "claude-opus-4-6": 4096}
DEFAULT_MIN_CACHEABLE_TOKENS = 1024
USAGE_FIELDS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


def fail(code: int, message: str | None = None) -> HTTPError:
    return HTTPError(json_response(code, anthropic_error(code, message)))


def authenticate(state: State, req: Request) -> str:
    key = req.headers.get("x-api-key") or req.bearer()
    if not key:
        raise fail(401, "x-api-key header is required")
    with state.lock:
        expected = state.anthropic_key
    ok = secrets.compare_digest(key, expected) if expected else key.startswith("sk-ant-")
    if not ok:
        raise fail(401, "invalid x-api-key")
    if not req.headers.get("anthropic-version"):
        raise fail(400, "anthropic-version: header is required")
    return "x-api-key" if req.headers.get("x-api-key") else "bearer"


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(_text_of(b.get("text", "")) if isinstance(b, dict) else str(b) for b in content)
    return ""


def _cached_prefix(body: dict[str, Any]) -> str | None:
    """The cacheable prefix: tools + system blocks up to the last one with cache_control."""
    system = body.get("system")
    blocks = system if isinstance(system, list) else []
    marks = [i for i, b in enumerate(blocks) if isinstance(b, dict) and b.get("cache_control")]
    if not marks:
        return None
    return json.dumps([body.get("tools") or [], blocks[: marks[-1] + 1]], sort_keys=True)


def min_cacheable_tokens(model: str) -> int:
    for prefix, tokens in MIN_CACHEABLE_TOKENS.items():
        if model == prefix or model.startswith(prefix + "-"):
            return tokens
    return DEFAULT_MIN_CACHEABLE_TOKENS


def _usage(
    state: State, body: dict[str, Any], output: str, tier: str, scripted: dict[str, int] | None = None
) -> dict[str, Any]:
    """Token counts (about 4 characters a token) as the API reports them, or a scripted reply's
    own, also added to the sandbox's totals for `tier` ("standard" or "batch")."""
    if scripted is not None:
        usage = {f: int(scripted.get(f, 0)) for f in USAGE_FIELDS}
        return _usage_counted(state, usage, tier)
    total = len(json.dumps([body.get("system"), body.get("messages"), body.get("tools")])) // 4 + 1
    usage: dict[str, Any] = {"input_tokens": total, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    prefix = _cached_prefix(body)
    tokens = min(total, len(prefix) // 4 + 1) if prefix else 0
    if prefix and tokens >= min_cacheable_tokens(str(body.get("model", ""))):
        key = hashlib.sha256((str(body.get("model")) + prefix).encode()).hexdigest()
        now = time.monotonic()
        with state.lock:
            hit = state.prompt_cache.get(key, 0) > now
            state.prompt_cache[key] = now + CACHE_TTL  # a hit refreshes the TTL, as the API does
        usage["cache_read_input_tokens" if hit else "cache_creation_input_tokens"] = tokens
        usage["input_tokens"] = max(1, total - tokens)
    usage["output_tokens"] = max(1, len(output) // 4)
    return _usage_counted(state, usage, tier)


def _usage_counted(state: State, usage: dict[str, Any], tier: str) -> dict[str, Any]:
    with state.lock:
        totals = state.anthropic_usage[tier]
        totals["requests"] += 1
        for field in USAGE_FIELDS:
            totals[field] += usage[field]
    return {**usage, "service_tier": tier}


def _forced_tool(body: dict[str, Any]) -> dict[str, Any] | None:
    tools = body.get("tools") or []
    choice = body.get("tool_choice") or {}
    if choice.get("type") == "tool":
        return next((t for t in tools if t.get("name") == choice.get("name")), None)
    if choice.get("type") == "any" and tools:
        return tools[0]
    return None


def _output_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    fmt = (body.get("output_config") or {}).get("format") or body.get("output_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        return fmt.get("schema") or {}
    return None


def _tool_use(tool: dict[str, Any], value: Any) -> dict[str, Any]:
    return {"type": "tool_use", "id": "toolu_" + secrets.token_hex(12), "name": tool["name"], "input": value}


def _content(state: State, body: dict[str, Any]) -> tuple[list[dict[str, Any]], str, dict[str, int] | None]:
    """The reply's content blocks, stop reason and a scripted usage (None: count it)."""
    blocks, stop, script = _scripted_or_generated(state, body)
    return blocks, stop, (script or {}).get("usage")


def _scripted_or_generated(
    state: State, body: dict[str, Any]
) -> tuple[list[dict[str, Any]], str, dict[str, Any] | None]:
    tool, schema = _forced_tool(body), _output_schema(body)
    with state.lock:
        script = state.scripted.popleft() if state.scripted else None
    if script is not None:
        if "content" in script:
            blocks = script["content"]
        elif "json" in script and tool is not None:
            blocks = [_tool_use(tool, script["json"])]
        elif "json" in script:
            blocks = [{"type": "text", "text": json.dumps(script["json"])}]
        else:
            blocks = [{"type": "text", "text": str(script.get("text", ""))}]
        stop = script.get("stop_reason") or (
            "tool_use" if any(b.get("type") == "tool_use" for b in blocks) else "end_turn"
        )
        return blocks, stop, script
    messages = body.get("messages") or []
    # User text first: the business name is looked for there before the system prompt.
    user_texts = [_text_of(m.get("content")) for m in messages if m.get("role") == "user"]
    prompt = "\n".join(user_texts) + "\n" + _text_of(body.get("system"))
    facts = anthropic_gen.facts(prompt, current=anthropic_gen.current_text(user_texts))
    if tool is not None:
        return [_tool_use(tool, anthropic_gen.value_for(tool.get("input_schema", {}), facts))], "tool_use", None
    if schema is not None:
        return [{"type": "text", "text": json.dumps(anthropic_gen.value_for(schema, facts))}], "end_turn", None
    return [{"type": "text", "text": anthropic_gen.post_text(facts)}], "end_turn", None


def check_body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise fail(400, "Request body must be a JSON object.")
    for required in ("model", "max_tokens", "messages"):
        if required not in body:
            raise fail(400, f"{required}: Field required")
    if not isinstance(body["messages"], list) or not body["messages"]:
        raise fail(400, "messages: at least one message is required")
    if not str(body["model"]).startswith("claude-"):
        raise fail(404, f"model: {body['model']}")
    return body


def message_for(state: State, body: dict[str, Any], tier: str) -> dict[str, Any]:
    """The Message answering a checked request body (from /v1/messages or a batch)."""
    blocks, stop, scripted_usage = _content(state, body)
    return {
        "id": "msg_sandbox_" + secrets.token_hex(12),
        "type": "message",
        "role": "assistant",
        "model": body["model"],
        "content": blocks,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": _usage(state, body, json.dumps(blocks), tier, scripted_usage),
    }


def messages(state: State, req: Request) -> Response:
    auth_style = authenticate(state, req)
    try:
        body = check_body(req.json())
    except ValueError as exc:
        raise fail(400, f"There was an issue with your request body: {exc}") from exc
    with state.lock:
        state.anthropic_requests.append({**body, "_auth": auth_style})
    message = message_for(state, body, "standard")
    if body.get("stream"):
        return _sse(message)
    return json_response(200, message)


def _sse(message: dict[str, Any]) -> Response:
    """The whole stream in one body: enough for the SDK's stream parser and helpers."""
    events: list[tuple[str, dict[str, Any]]] = [
        ("message_start", {"type": "message_start", "message": {**message, "content": [], "stop_reason": None}})
    ]
    for i, block in enumerate(message["content"]):
        if block["type"] == "text":
            start, delta = {**block, "text": ""}, {"type": "text_delta", "text": block["text"]}
        else:
            start, delta = (
                {**block, "input": {}},
                {"type": "input_json_delta", "partial_json": json.dumps(block["input"])},
            )
        events += [
            ("content_block_start", {"type": "content_block_start", "index": i, "content_block": start}),
            ("content_block_delta", {"type": "content_block_delta", "index": i, "delta": delta}),
            ("content_block_stop", {"type": "content_block_stop", "index": i}),
        ]
    events += [
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                "usage": {"output_tokens": message["usage"]["output_tokens"]},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    text = "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)
    return Response(200, text.encode("utf-8"), content_type="text/event-stream; charset=utf-8")


def _model(model_id: str, name: str, created: str) -> dict[str, Any]:
    return {"type": "model", "id": model_id, "display_name": name, "created_at": created}


def list_models(state: State, req: Request) -> Response:
    authenticate(state, req)
    return list_page(req, [_model(*m) for m in MODELS], id_of=lambda model: model["id"])


def list_page(req: Request, items: list, *, id_of: Callable[[Any], str], shape=lambda item: item) -> Response:
    """One page of a list endpoint as Anthropic pages them: after_id or before_id, limit (20, at
    most 1000), and has_more, first_id and last_id; each item of the page `shape`d."""
    ids = [id_of(item) for item in items]
    if req.query.get("after_id") in ids:
        items = items[ids.index(req.query["after_id"]) + 1 :]
    elif req.query.get("before_id") in ids:
        items = items[: ids.index(req.query["before_id"])]
    limit = max(1, min(int(req.query.get("limit") or 20), 1000))
    page = [shape(item) for item in items[:limit]]
    return json_response(
        200,
        {
            "data": page,
            "has_more": len(items) > limit,
            "first_id": page[0]["id"] if page else None,
            "last_id": page[-1]["id"] if page else None,
        },
    )


def get_model(state: State, req: Request, model_id: str) -> Response:
    authenticate(state, req)
    for m in MODELS:
        # Aliases resolve to the dated model, as the real endpoint does for claude-haiku-4-5.
        if model_id == m[0] or m[0].startswith(model_id + "-"):
            return json_response(200, _model(*m))
    raise fail(404, f"model: {model_id}")
