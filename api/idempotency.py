"""`Idempotency-Key` on POSTs, as Stripe does it: the first request with a key runs and its answer
is kept; a repeat (same API key, same Idempotency-Key, same body) gets that answer and changes
nothing; the same Idempotency-Key with another body is refused (422).

1. After authentication and the body's validation, the request claims its key with an INSERT that
   the unique (api key, idempotency key) constraint lets only one request win, whatever the
   number of processes. A loser finds the winner's row: its answer, or 409 while it still runs.
2. The operation runs; its answer (any status below 500) is written on the claim. A 5xx or an
   exception deletes the claim, so the client may try again.
3. A claim left unanswered for CLAIM_ABANDONED (its process died) is taken over by the next repeat.
4. A repeat is answered only while the key still reaches what the request names (its path's ids,
   its body's franchises): a key that lost a franchise since gets the 404 a new request would.
5. Answers are kept for KEPT, then the prune-idempotency-keys job deletes them (the DB's clock).

A request refused before it ran (a malformed body, a bad key, the rate limit) claims nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from functools import wraps

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from ninja.utils import contribute_operation_callback

from gbp_scheduler import clock

from .errors import ApiError
from .models import ApiKey, IdempotentRequest
from .selectors import GETTERS, named_objects_check

HEADER = "Idempotency-Key"
MAX_LENGTH = 255
CLAIM_ABANDONED = dt.timedelta(minutes=10)
KEPT = dt.timedelta(hours=24)
PRUNE_BATCH = 5_000
PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "maxLength": MAX_LENGTH},
    "description": "Any unique text (a UUID): a repeat with the same key returns the first answer and "
    "creates nothing new. Kept for this API key.",
}


def fingerprint(request: HttpRequest) -> str:
    """What makes two requests the same: method, path and the JSON body's content (not its spacing)."""
    try:
        body = json.dumps(json.loads(request.body or b"null"), sort_keys=True, separators=(",", ":"))
    except ValueError:
        body = request.body.decode("utf-8", "replace")
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _replay(row: IdempotentRequest) -> HttpResponse:
    response = HttpResponse(row.body, status=row.status_code, content_type="application/json")
    response["Idempotent-Replayed"] = "true"
    return response


def idempotency_claim(*, key: ApiKey, idempotency_key: str, print_: str) -> IdempotentRequest | HttpResponse:
    """The claim to run the request, or the answer to give instead (steps 1 and 3 above)."""
    if not idempotency_key or len(idempotency_key) > MAX_LENGTH:
        raise ApiError(422, "invalid", f"{HEADER} must be 1 to {MAX_LENGTH} characters.", field=HEADER)
    now = clock.now()
    try:
        with transaction.atomic():
            return IdempotentRequest.objects.create(
                key=key, idempotency_key=idempotency_key, fingerprint=print_, created_at=now
            )
    except IntegrityError:
        pass
    row = IdempotentRequest.objects.filter(key=key, idempotency_key=idempotency_key).first()
    if row is None:  # the first request failed meanwhile and let its claim go: this one may retry
        raise ApiError(409, "idempotency_in_progress", f"A request with this {HEADER} just failed: retry it.")
    if row.fingerprint != print_:
        raise ApiError(
            422,
            "idempotency_mismatch",
            f"This {HEADER} was used for another request: use a new key for a new request.",
            field=HEADER,
        )
    if row.status_code is not None:
        return _replay(row)
    taken = IdempotentRequest.objects.filter(
        pk=row.pk, status_code__isnull=True, created_at__lt=now - CLAIM_ABANDONED
    ).update(created_at=now)
    if taken:
        return row
    raise ApiError(409, "idempotency_in_progress", f"A request with this {HEADER} is still running: retry shortly.")


def idempotent(func=None, *, recheck=None):
    """Mark a POST operation idempotent: the header is documented, claimed after authentication
    (in the operation's function, where the key is known) and answered when the operation returns
    (around the operation's run, where the final response is known). `recheck(request)`: what
    else a repeat must still pass (step 4), e.g. being headquarters."""
    if func is None:
        return lambda func: idempotent(func, recheck=recheck)

    @wraps(func)
    def view(request: HttpRequest, *args, **kwargs):
        header = request.headers.get(HEADER)
        if header is None:
            return func(request, *args, **kwargs)
        outcome = idempotency_claim(key=request.auth, idempotency_key=header, print_=fingerprint(request))
        if isinstance(outcome, HttpResponse):
            named_objects_check(key=request.auth, named=_named(kwargs))  # step 4
            if recheck is not None:
                recheck(request)
            return outcome
        request.idempotency_claim = outcome
        return func(request, *args, **kwargs)

    def contribute(operation) -> None:
        extra = dict(operation.openapi_extra or {})
        extra["parameters"] = [*extra.get("parameters", []), PARAMETER]
        operation.openapi_extra = extra
        # As ninja's decorate_view does it, so a router mounted again (a cloned operation) keeps it.
        operation.run = _answering(operation.run)
        operation._run_decorators = [*getattr(operation, "_run_decorators", []), _answering]

    contribute_operation_callback(view, contribute)
    return view


def _named(arguments: dict) -> dict:
    """The objects a request names: its path's ids, and the franchises its body names."""
    named = {name: value for name, value in arguments.items() if name in GETTERS}
    payload = arguments.get("payload")
    franchises = [getattr(payload, "franchise_id", None), *(getattr(payload, "franchise_ids", None) or [])]
    if any(franchises):
        named["franchise_id"] = [pk for pk in franchises if pk]
    return named


def idempotent_requests_prune(*, budget) -> dict:
    """The prune-idempotency-keys job: delete the answers older than KEPT (and the claims of
    processes that died), a batch at a time while the run's budget lasts."""
    before = clock.now() - KEPT
    deleted = 0
    while not budget.exhausted:
        batch = list(IdempotentRequest.objects.filter(created_at__lt=before).values_list("pk", flat=True)[:PRUNE_BATCH])
        if not batch:
            break
        deleted += IdempotentRequest.objects.filter(pk__in=batch).delete()[0]
    return {"deleted": deleted}


def _answering(run):
    """The operation's run, with its answer kept on the request's claim (step 2)."""

    @wraps(run)
    def answered(request: HttpRequest, **kw):
        try:
            response = run(request, **kw)
        except BaseException:
            _forget(request)
            raise
        claim = getattr(request, "idempotency_claim", None)
        if claim is not None:
            if response.status_code >= 500:
                _forget(request)
            else:
                IdempotentRequest.objects.filter(pk=claim.pk).update(
                    status_code=response.status_code, body=response.content.decode()
                )
        return response

    return answered


def _forget(request: HttpRequest) -> None:
    claim = getattr(request, "idempotency_claim", None)
    if claim is not None:
        IdempotentRequest.objects.filter(pk=claim.pk, status_code__isnull=True).delete()
