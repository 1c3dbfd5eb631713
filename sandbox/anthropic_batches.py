"""Anthropic Message Batches stand-in: `/v1/messages/batches` create, list, retrieve, results
(JSONL), cancel and delete, in the API's shapes, so the SDK's `client.messages.batches` runs
against it unchanged.

A batch is `in_progress` until `batch_delay` seconds after it was created (0 by default: ended
at the first look), then `ended` with one result per request: `succeeded` with the Message the
Messages endpoint would have answered (scripted replies included, usage counted under the
`batch` tier), or what the control API injected: scripted outcomes (`errored` with an error
type, `expired`, `canceled`) for the next requests in order, or a seeded share of `errored`.
As with the real API, a request's params are validated only when the batch is processed: a bad
one ends `errored` (`invalid_request_error`), not the whole batch. The control API can also
expire a batch now (its unfinished requests end `expired`, as at the 24-hour limit) or forget
it (the API then answers 404, as for a batch that is gone).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from typing import Any

from .anthropic import authenticate, check_body, fail, list_page, message_for
from .state import MessageBatch, State, rfc3339
from .wire import HTTPError, Request, Response, json_response

MAX_REQUESTS = 100_000  # per batch, and 256 MB of request body (the API's limits)
MAX_BODY_BYTES = 256 * 1024 * 1024
EXPIRES_AFTER = 24 * 3600.0
CUSTOM_ID_RE = re.compile(r"[a-zA-Z0-9_-]{1,64}\Z")
RESULT_TYPES = ("succeeded", "errored", "canceled", "expired")


def _get(state: State, batch_id: str) -> MessageBatch:
    with state.lock:
        batch = state.batches.get(batch_id)
    if batch is None:
        raise fail(404, f"message_batch_id: no batch with id {batch_id}")
    return batch


def _error_result(kind: str, message: str) -> dict[str, Any]:
    return {
        "type": "errored",
        "error": {
            "type": "error",
            "error": {"type": kind, "message": message},
            "request_id": "req_sandbox_" + secrets.token_hex(12),
        },
    }


def _outcome(state: State, params: Any) -> dict[str, Any]:
    """What one request of an ending batch became."""
    try:
        body = check_body(params)
        if body.get("stream"):
            raise fail(400, "stream: streaming is not supported in Message Batches")
    except HTTPError as exc:
        return _error_result("invalid_request_error", json.loads(exc.response.body)["error"]["message"])
    with state.lock:
        scripted = state.batch_outcomes.popleft() if state.batch_outcomes else None
        rate = state.batch_error_rate
        random_error = scripted is None and rate > 0 and state.batch_rng.random() < rate
    if random_error:
        return _error_result("api_error", "Internal server error")
    kind = (scripted or {}).get("type", "succeeded")
    if kind == "errored":
        error_type = scripted.get("error_type", "api_error")
        return _error_result(error_type, scripted.get("message") or "Internal server error")
    if kind in ("canceled", "expired"):
        return {"type": kind}
    return {"type": "succeeded", "message": message_for(state, body, "batch")}


def _settle(state: State, batch: MessageBatch, *, now: float | None = None, unfinished: str | None = None) -> None:
    """End `batch` if its time has come (or now, with every request `unfinished`: expired/canceled)."""
    now = time.time() if now is None else now
    with state.lock:
        if batch.results is not None or (unfinished is None and now < batch.ready_at):
            return
        batch.results = []
        for request in batch.requests:
            result = {"type": unfinished} if unfinished else _outcome(state, request.get("params"))
            batch.results.append({"custom_id": request["custom_id"], "result": result})
        batch.ended_at = now


def _shape(req: Request, batch: MessageBatch) -> dict[str, Any]:
    counts = dict.fromkeys(RESULT_TYPES, 0)
    if batch.results is None:
        status, processing = ("canceling" if batch.cancel_initiated_at else "in_progress"), len(batch.requests)
    else:
        status, processing = "ended", 0
        for line in batch.results:
            counts[line["result"]["type"]] += 1
    ended = batch.results is not None
    return {
        "id": batch.id,
        "type": "message_batch",
        "processing_status": status,
        "request_counts": {"processing": processing, **counts},
        "ended_at": rfc3339(batch.ended_at) if batch.ended_at else None,
        "created_at": rfc3339(batch.created_at),
        "expires_at": rfc3339(batch.created_at + EXPIRES_AFTER),
        "archived_at": None,
        "cancel_initiated_at": rfc3339(batch.cancel_initiated_at) if batch.cancel_initiated_at else None,
        "results_url": f"{req.base_url}/v1/messages/batches/{batch.id}/results" if ended else None,
    }


def create(state: State, req: Request) -> Response:
    auth_style = authenticate(state, req)
    if len(req.body) > MAX_BODY_BYTES:
        error = {"type": "request_too_large", "message": "Request exceeds the maximum allowed number of bytes."}
        raise HTTPError(json_response(413, {"type": "error", "error": error}))
    try:
        body = req.json()
    except ValueError as exc:
        raise fail(400, f"There was an issue with your request body: {exc}") from exc
    requests = body.get("requests") if isinstance(body, dict) else None
    if not isinstance(requests, list) or not requests:
        raise fail(400, "requests: at least one request is required")
    if len(requests) > MAX_REQUESTS:
        raise fail(400, f"requests: a batch holds at most {MAX_REQUESTS} requests")
    seen: set[str] = set()
    for n, request in enumerate(requests):
        custom_id = request.get("custom_id") if isinstance(request, dict) else None
        if not isinstance(custom_id, str) or not CUSTOM_ID_RE.match(custom_id):
            raise fail(400, f"requests.{n}.custom_id: must match ^[a-zA-Z0-9_-]{{1,64}}$")
        if custom_id in seen:
            raise fail(400, f"requests.{n}.custom_id: {custom_id} is not unique within the batch")
        if not isinstance(request.get("params"), dict):
            raise fail(400, f"requests.{n}.params: Field required")
        seen.add(custom_id)
    now = time.time()
    with state.lock:
        batch = MessageBatch(
            id="msgbatch_" + secrets.token_hex(12),
            requests=requests,
            created_at=now,
            ready_at=now + state.batch_delay,
        )
        state.batches[batch.id] = batch
        for request in requests:
            state.anthropic_requests.append(
                {**request["params"], "_auth": auth_style, "_batch": batch.id, "_custom_id": request["custom_id"]}
            )
    return json_response(200, _shape(req, batch))


def retrieve(state: State, req: Request, batch_id: str) -> Response:
    authenticate(state, req)
    batch = _get(state, batch_id)
    _settle(state, batch)
    return json_response(200, _shape(req, batch))


def list_batches(state: State, req: Request) -> Response:
    authenticate(state, req)
    with state.lock:
        items = sorted(state.batches.values(), key=lambda b: b.created_at, reverse=True)  # newest first
    for batch in items:
        _settle(state, batch)
    return list_page(req, items, id_of=lambda batch: batch.id, shape=lambda batch: _shape(req, batch))


def results(state: State, req: Request, batch_id: str) -> Response:
    """The results as JSONL, one line per request; not in request order (the API promises none)."""
    authenticate(state, req)
    batch = _get(state, batch_id)
    _settle(state, batch)
    if batch.results is None:
        raise fail(404, f"Results for message batch {batch_id} are not available until it has ended.")
    lines = [json.dumps(line) for line in reversed(batch.results)]
    return Response(200, ("\n".join(lines) + "\n").encode("utf-8"), content_type="application/binary")


def cancel(state: State, req: Request, batch_id: str) -> Response:
    """Cancellation ends the batch at once here: requests not yet processed end `canceled`.
    The answer shows `canceling`, as the API's does right after the call."""
    authenticate(state, req)
    batch = _get(state, batch_id)
    _settle(state, batch)
    if batch.results is not None:
        return json_response(200, _shape(req, batch))
    with state.lock:
        batch.cancel_initiated_at = time.time()
    answer = _shape(req, batch)
    _settle(state, batch, unfinished="canceled")
    return json_response(200, answer)


def delete(state: State, req: Request, batch_id: str) -> Response:
    authenticate(state, req)
    batch = _get(state, batch_id)
    _settle(state, batch)
    if batch.results is None:
        raise fail(400, "A batch must end (or be canceled) before it can be deleted.")
    with state.lock:
        state.batches.pop(batch_id, None)
    return json_response(200, {"id": batch_id, "type": "message_batch_deleted"})


# ---- control --------------------------------------------------------------------------------


def expire(state: State, batch_id: str | None = None) -> int:
    """End the batch (every unfinished one without an id) now, its requests `expired`."""
    with state.lock:
        targets = [state.batches[batch_id]] if batch_id in state.batches else []
        if batch_id is None:
            targets = list(state.batches.values())
    for batch in targets:
        _settle(state, batch, unfinished="expired")
    return len(targets)


def finish(state: State, batch_id: str | None = None) -> int:
    """Let the batch (every unfinished one without an id) end now, as if its delay had passed."""
    now = time.time()
    with state.lock:
        targets = [state.batches[batch_id]] if batch_id in state.batches else []
        if batch_id is None:
            targets = [b for b in state.batches.values() if b.results is None]
        for batch in targets:
            batch.ready_at = min(batch.ready_at, now)
    return len(targets)


def forget(state: State, batch_id: str | None = None) -> int:
    """Drop the batch (every one without an id): the API then answers 404 for it."""
    with state.lock:
        if batch_id is None:
            count = len(state.batches)
            state.batches.clear()
            return count
        return int(state.batches.pop(batch_id, None) is not None)


def summaries(state: State) -> list[dict[str, Any]]:
    with state.lock:
        items = list(state.batches.values())
    return [
        {
            "id": b.id,
            "custom_ids": [r["custom_id"] for r in b.requests],
            "ended": b.results is not None,
            "results": {line["custom_id"]: line["result"]["type"] for line in b.results or []},
        }
        for b in items
    ]
