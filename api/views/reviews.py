"""/api/v1/reviews: the Google reviews of the key's franchises and their replies, set and deleted
through the same fenced send as the Reviews pages (reviews/services/replies.py)."""

# No `from __future__ import annotations`: ninja reads these signatures through the idempotency
# wrapper, whose module cannot resolve annotations written as strings.

import uuid

from ninja import Query, Router, Schema
from pydantic import Field

from reviews.selectors import InboxFilters, reviews_inbox
from reviews.services.replies import ReplyError, review_reply_delete, review_reply_set

from ..auth import READ, WRITE
from ..errors import ApiError, ErrorOut
from ..schemas import ReplyIn, ReviewOut, ReviewPage
from ..selectors import franchise_get_for_key, of_key, review_get_for_key

router = Router(tags=["reviews"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


class ReviewFilters(Schema):
    franchise_id: uuid.UUID | None = None
    stars: int | None = Field(None, ge=1, le=5)
    unanswered: bool = Field(False, description="Only those with no reply, wanted or on Google, and no draft.")
    limit: int = Field(50, ge=1, le=100)
    offset: int = Field(0, ge=0, le=1_000_000)


@router.get("/reviews", auth=READ, response={200: ReviewPage, **ERRORS}, operation_id="reviews_list")
def reviews_list(request, filters: Query[ReviewFilters]):
    """The reviews still on Google of the key's franchises, newest first."""
    key = request.auth
    franchise = franchise_get_for_key(key=key, franchise_id=filters.franchise_id) if filters.franchise_id else None
    inbox = InboxFilters(
        franchise_id=str(franchise.pk) if franchise else "",
        stars=filters.stars,
        answered="no" if filters.unanswered else "",
    )
    rows = of_key(reviews_inbox(user=key.user, filters=inbox), key=key)
    page = list(rows[filters.offset : filters.offset + filters.limit + 1])
    more = len(page) > filters.limit
    return {"items": page[: filters.limit], "next_offset": filters.offset + filters.limit if more else None}


@router.get("/reviews/{review_id}", auth=READ, response={200: ReviewOut, **ERRORS}, operation_id="reviews_read")
def reviews_read(request, review_id: uuid.UUID):
    return review_get_for_key(key=request.auth, review_id=review_id)


@router.put(
    "/reviews/{review_id}/reply", auth=WRITE, response={200: ReviewOut, **ERRORS}, operation_id="reviews_reply_set"
)
def reviews_reply_set(request, review_id: uuid.UUID, payload: ReplyIn):
    """Set the reply and send it to Google at once (the same text again is one reply). When Google
    cannot take it now, `reply_pending` stays true and the next sync sends it; `reply_error` says
    why Google refused one."""
    review = review_get_for_key(key=request.auth, review_id=review_id)
    try:
        return review_reply_set(review=review, text=payload.text, user=request.auth.user)
    except ReplyError as exc:
        raise ApiError(409, "refused", str(exc)) from None


@router.delete(
    "/reviews/{review_id}/reply",
    auth=WRITE,
    response={200: ReviewOut, **ERRORS},
    operation_id="reviews_reply_delete",
)
def reviews_reply_delete(request, review_id: uuid.UUID):
    """Take the reply off Google, at once (or at the next sync, as `reply_pending` says)."""
    review = review_get_for_key(key=request.auth, review_id=review_id)
    try:
        return review_reply_delete(review=review, user=request.auth.user)
    except ReplyError as exc:
        raise ApiError(409, "refused", str(exc)) from None
