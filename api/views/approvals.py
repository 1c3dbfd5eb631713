"""/api/v1/approvals and /api/v1/drafts: the posts waiting for someone's approval, and the AI drafts
waiting for review; each listed, approved or rejected as the Approvals and Drafts pages do
(posts/services/approvals.py, generation/services/review.py), with the same rules on who may."""

# No `from __future__ import annotations`: ninja reads these signatures through the idempotency
# wrapper, whose module cannot resolve annotations written as strings.

import uuid
from typing import Literal

from ninja import Query, Router, Schema
from pydantic import Field

from franchises.approval_policy import APPROVER_WORDS
from generation.selectors import drafts_queue_for_user
from generation.services.review import drafts_approve, drafts_reject
from posts.models import Post
from posts.services.approvals import approvals_waiting_for_user, posts_approval_reject, posts_approve

from ..auth import READ, WRITE
from ..errors import ErrorOut
from ..idempotency import idempotent
from ..schemas import ApprovalPage, ApprovalRejectIn, DecidedOut, DecideIn, DraftPage, DraftRejectIn
from ..selectors import franchise_get_for_key, of_key

router = Router(tags=["approvals and drafts"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}
NOT_WAITING = "It is not waiting for you (any more), or this key cannot see it."


class QueueFilters(Schema):
    franchise_id: uuid.UUID | None = None
    limit: int = Field(50, ge=1, le=100)
    offset: int = Field(0, ge=0, le=1_000_000)


class ApprovalFilters(QueueFilters):
    waiting_for: Literal[tuple(APPROVER_WORDS)] | None = Field(None, description="Who must approve.")  # type: ignore[valid-type]


def _page(rows, filters: QueueFilters) -> tuple[list, int | None]:
    page = list(rows[filters.offset : filters.offset + filters.limit + 1])
    more = len(page) > filters.limit
    return page[: filters.limit], filters.offset + filters.limit if more else None


def _queue(request, rows, filters: QueueFilters):
    key = request.auth
    if filters.franchise_id:
        rows = rows.filter(franchise=franchise_get_for_key(key=key, franchise_id=filters.franchise_id))
    return of_key(rows, key=key)


def _reached(request, post_ids) -> list[uuid.UUID]:
    """The ids among `post_ids` of posts the key reaches (the services then scope them to the user)."""
    return list(of_key(Post.objects.filter(pk__in=post_ids), key=request.auth).values_list("pk", flat=True))


def _decided(post_ids, done: int, refused: dict, reached) -> dict:
    refused = {str(pk): str(why) for pk, why in refused.items()}
    refused |= {str(pk): NOT_WAITING for pk in set(map(str, post_ids)) - set(map(str, reached))}
    return {"done": done, "refused": [{"post_id": pk, "message": why} for pk, why in sorted(refused.items())]}


@router.get("/approvals", auth=READ, response={200: ApprovalPage, **ERRORS}, operation_id="approvals_list")
def approvals_list(request, filters: Query[ApprovalFilters]):
    """The posts waiting for the key's user to approve them, oldest asked first: every one for
    headquarters, those waiting for a franchise admin of their franchises for an admin, none for
    staff."""
    rows = _queue(request, approvals_waiting_for_user(user=request.auth.user), filters)
    if filters.waiting_for:
        rows = rows.filter(approval_waiting_for=filters.waiting_for)
    page, next_offset = _page(rows, filters)
    items = [
        {"post": post, "waiting_for": post.approval_waiting_for, "requested_at": post.approval_requested_at}
        for post in page
    ]
    return {"items": items, "next_offset": next_offset}


@router.post("/approvals/approve", auth=WRITE, response={200: DecidedOut, **ERRORS}, operation_id="approvals_approve")
@idempotent
def approvals_approve(request, payload: DecideIn):
    """Approve posts: each is checked against the brand rules again, then scheduled at its planned
    time (now, when that passed). The others are listed in `refused` with the reason."""
    reached = _reached(request, payload.post_ids)
    outcome = posts_approve(user=request.auth.user, post_ids=reached)
    return _decided(payload.post_ids, len(outcome.done), outcome.refused, reached)


@router.post("/approvals/reject", auth=WRITE, response={200: DecidedOut, **ERRORS}, operation_id="approvals_reject")
@idempotent
def approvals_reject(request, payload: ApprovalRejectIn):
    """Reject posts: each becomes a plain draft again and its author is emailed `reason`."""
    reached = _reached(request, payload.post_ids)
    outcome = posts_approval_reject(user=request.auth.user, post_ids=reached, reason=payload.reason)
    waiting = {str(post.pk) for post in outcome.done} | {str(pk) for pk in outcome.refused}
    not_waiting = [pk for pk in reached if str(pk) not in waiting]
    return _decided(payload.post_ids, len(outcome.done), outcome.refused, set(reached) - set(not_waiting))


@router.get("/drafts", auth=READ, response={200: DraftPage, **ERRORS}, operation_id="drafts_list")
def drafts_list(request, filters: Query[QueueFilters]):
    """The AI drafts waiting for review in the key's franchises."""
    page, next_offset = _page(_queue(request, drafts_queue_for_user(user=request.auth.user), filters), filters)
    return {"items": page, "next_offset": next_offset}


def _in_queue(request, post_ids) -> list[uuid.UUID]:
    rows = drafts_queue_for_user(user=request.auth.user).filter(pk__in=post_ids)
    return list(of_key(rows, key=request.auth).values_list("pk", flat=True))


@router.post("/drafts/approve", auth=WRITE, response={200: DecidedOut, **ERRORS}, operation_id="drafts_approve")
@idempotent
def drafts_approve_(request, payload: DecideIn):
    """Schedule each draft at its own planned time, as the review page's Approve does."""
    waiting = _in_queue(request, payload.post_ids)
    outcome = drafts_approve(user=request.auth.user, post_ids=waiting)
    return _decided(payload.post_ids, outcome.done, outcome.refused, waiting)


@router.post("/drafts/reject", auth=WRITE, response={200: DecidedOut, **ERRORS}, operation_id="drafts_reject")
@idempotent
def drafts_reject_(request, payload: DraftRejectIn):
    """Reject drafts, with an optional reason the franchise's next drafts are told (undo it on the
    review page within its window)."""
    waiting = _in_queue(request, payload.post_ids)
    outcome = drafts_reject(user=request.auth.user, post_ids=waiting, reason=payload.reason)
    return _decided(payload.post_ids, outcome.done, outcome.refused, waiting)
