"""Fault injection: queued and probabilistic failures per route kind.

A fault is chosen before the handler runs; its HTTP shape depends on the family of the
route (Google API JSON, OAuth token endpoint JSON, Anthropic JSON), so each client library
sees the failure the way the real service would show it.
"""

from __future__ import annotations

import random
from typing import Any

from .state import Chaos, Fault, State

ROUTE_KINDS = (
    "auth",
    "token",
    "revoke",
    "accounts",
    "locations",
    "posts.create",
    "posts.list",
    "posts.get",
    "posts.patch",
    "posts.delete",
    "reviews.list",
    "reviews.batch",
    "reviews.get",
    "reviews.reply",
    "reviews.delete_reply",
    "performance.fetch",
    "performance.keywords",
    "messages",
    "batches.create",
    "batches.list",
    "batches.get",
    "batches.results",
    "batches.cancel",
    "batches.delete",
    "models",
)
ACTIONS = ("status", "hang", "drop", "garble")

# What chaos mode mixes in when the caller gives no mix: the transient failures a
# production client must survive.
DEFAULT_CHAOS_MIX = [
    Fault("status", status=429, retry_after=1),
    Fault("status", status=500),
    Fault("status", status=503),
    Fault("hang", seconds=30.0),
    Fault("drop", after_commit=True),
]


def fault_from_dict(data: dict[str, Any]) -> Fault:
    action = data.get("action", "status")
    if action not in ACTIONS:
        raise ValueError(f"unknown fault action {action!r}; expected one of {ACTIONS}")
    status = int(data.get("status", 500))
    retry_after = data.get("retry_after")
    if status == 429 and retry_after is None:
        retry_after = 1
    return Fault(
        action=action,
        status=status,
        retry_after=None if retry_after is None else int(retry_after),
        seconds=float(data.get("seconds", 30.0 if action == "hang" else 0.0)),
        after_commit=bool(data.get("after_commit", False)),
        message=data.get("message"),
    )


def check_kind(kind: str) -> None:
    if kind not in ROUTE_KINDS:
        raise ValueError(f"unknown route kind {kind!r}; expected one of {ROUTE_KINDS}")


def queue_faults(state: State, kind: str, fault: Fault, times: int) -> None:
    check_kind(kind)
    with state.lock:
        state.faults[kind].extend([fault] * times)


def set_chaos(state: State, kind: str, p: float, seed: int, mix: list[Fault] | None) -> None:
    check_kind(kind)
    with state.lock:
        if p <= 0:
            state.chaos.pop(kind, None)
        else:
            state.chaos[kind] = Chaos(p=p, mix=mix or list(DEFAULT_CHAOS_MIX), rng=random.Random(seed))


def take_fault(state: State, kind: str) -> Fault | None:
    """Queued faults first (deterministic tests), then the seeded chaos draw."""
    with state.lock:
        queue = state.faults.get(kind)
        if queue:
            return queue.popleft()
        chaos = state.chaos.get(kind)
        if chaos and chaos.rng.random() < chaos.p:
            return chaos.rng.choice(chaos.mix)
    return None


def latency_for(state: State, kind: str) -> float:
    with state.lock:
        return state.latency.get(kind, state.latency.get("*", 0.0))


# ---- error bodies per family ----------------------------------------------------------

GOOGLE_STATUS = {
    400: ("INVALID_ARGUMENT", "Request contains an invalid argument."),
    401: ("UNAUTHENTICATED", "Request had invalid authentication credentials."),
    403: ("PERMISSION_DENIED", "The caller does not have permission"),
    404: ("NOT_FOUND", "Requested entity was not found."),
    429: ("RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
    500: ("INTERNAL", "Internal error encountered."),
    502: ("UNAVAILABLE", "Bad gateway."),
    503: ("UNAVAILABLE", "The service is currently unavailable."),
    504: ("DEADLINE_EXCEEDED", "The request timed out."),
}

ANTHROPIC_TYPE = {
    400: ("invalid_request_error", "Invalid request."),
    401: ("authentication_error", "invalid x-api-key"),
    403: ("permission_error", "Your API key does not have permission to use the specified resource."),
    404: ("not_found_error", "Not found."),
    429: ("rate_limit_error", "Number of requests has exceeded your rate limit."),
    500: ("api_error", "Internal server error"),
    503: ("api_error", "Service unavailable"),
    529: ("overloaded_error", "Overloaded"),
}

OAUTH_ERROR = {
    429: "rate_limit_exceeded",
    500: "internal_failure",
    503: "temporarily_unavailable",
}


def google_error(code: int, message: str | None = None, details: list[Any] | None = None) -> dict[str, Any]:
    status, default = GOOGLE_STATUS.get(code, ("UNKNOWN", "Unknown error."))
    error: dict[str, Any] = {"code": code, "message": message or default, "status": status}
    if details:
        error["details"] = details
    return {"error": error}


def anthropic_error(code: int, message: str | None = None) -> dict[str, Any]:
    kind, default = ANTHROPIC_TYPE.get(code, ("api_error", "Internal server error"))
    return {"type": "error", "error": {"type": kind, "message": message or default}}


def oauth_error(code: int) -> dict[str, Any]:
    error = OAUTH_ERROR.get(code, "server_error")
    return {"error": error, "error_description": f"Sandbox injected {code}."}


def fault_body(family: str, fault: Fault) -> dict[str, Any]:
    if family == "anthropic":
        return anthropic_error(fault.status, fault.message)
    if family == "oauth":
        return oauth_error(fault.status)
    return google_error(fault.status, fault.message)
