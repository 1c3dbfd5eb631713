"""Google Business Profile v4 reviews: list, batchGetReviews, get, updateReply, deleteReply.

Shapes as Google's reference gives them (checked 2026-12-05; sandbox/README.md): a Review has
`name`, `reviewId`, `reviewer {displayName, profilePhotoUrl, isAnonymous}`, `starRating`
(ONE..FIVE), `comment`, `createTime`, `updateTime`, `reviewReply {comment, updateTime}` and, since
2026, the reply's moderation `state` (PENDING, APPROVED, REJECTED) with its `policyViolation`,
`reviewMediaItems` and `reviewReplyUrl`. Lists are newest first by updateTime, 50 a page.
"""

from __future__ import annotations

import time
from typing import Any

from .gbp import _fail, _json_body, _location, _page, guard
from .state import Review, State, rfc3339
from .wire import Request, Response, json_response

STARS = {1: "ONE", 2: "TWO", 3: "THREE", 4: "FOUR", 5: "FIVE"}
PAGE_SIZE = 50  # Google's default and most, for list and batchGetReviews
BATCH_LOCATIONS = 50  # the most locations one batchGetReviews takes here (see sandbox/README.md)
REPLY_MAX = 4096  # characters of a reply
ORDERS = ("updateTime desc", "rating", "rating desc")


def _json_object(req: Request, known: set[str]) -> dict:
    """The request's JSON body, refused as Google refuses it unless an object of `known` fields."""
    body = _json_body(req)
    if not isinstance(body, dict):
        raise _fail(400, "Invalid JSON payload received. Expected an object.")
    unknown = set(body) - known
    if unknown:
        raise _fail(400, f'Invalid JSON payload received. Unknown name "{sorted(unknown)[0]}": Cannot find field.')
    return body


def reply_state(review: Review) -> str:
    """Google's moderation of the reply: what the control API set, else PENDING while in review."""
    if review.reply_state:
        return review.reply_state
    return "PENDING" if time.time() < review.reply_review_until else "APPROVED"


def review_resource(review: Review, base_url: str) -> dict[str, Any]:
    reviewer: dict[str, Any] = {"displayName": "A Google user" if review.anonymous else review.reviewer}
    if review.anonymous:
        reviewer["isAnonymous"] = True
    else:
        reviewer["profilePhotoUrl"] = f"{base_url}/_sandbox/reviewers/{review.id}.png"
    out: dict[str, Any] = {
        "name": review.name,
        "reviewId": review.id,
        "reviewer": reviewer,
        "starRating": STARS[review.stars],
        "createTime": rfc3339(review.create_time),
        "updateTime": rfc3339(review.update_time),
        "reviewReplyUrl": f"{base_url}/_sandbox/locations/{review.location_id}#review-{review.id}",
    }
    if review.comment:  # a rating-only review has no comment
        out["comment"] = review.comment
    if review.reply is not None:
        out["reviewReply"] = reply_resource(review)
    return out


def reply_resource(review: Review) -> dict[str, Any]:
    reply: dict[str, Any] = {"comment": review.reply, "updateTime": rfc3339(review.reply_time)}
    reply["state"] = reply_state(review)
    if reply["state"] == "REJECTED" and review.violation:
        reply["policyViolation"] = {"policy": review.violation}
    return reply


def _ordered(reviews: list[Review], order: str) -> list[Review]:
    if order not in ORDERS:
        raise _fail(400, f"Invalid orderBy: {order!r}. Valid orders are {', '.join(ORDERS)}.")
    if order == "updateTime desc":
        return sorted(reviews, key=lambda r: (r.update_time, int(r.id)), reverse=True)
    return sorted(reviews, key=lambda r: (r.stars, r.update_time), reverse=order == "rating desc")


def _review(state: State, account: str, location: str, review_id: str, user: str) -> Review:
    _location(state, account, location, user)
    review = state.reviews.get(review_id)
    if review is None or review.deleted or review.location_id != location:
        raise _fail(404, "Requested entity was not found.")
    return review


def list_reviews(state: State, req: Request, account: str, location: str) -> Response:
    user = guard(state, req, "posts")
    with state.lock:
        loc = _location(state, account, location, user)
        if not loc.verified:
            raise _unverified(loc.id)
        reviews = [r for r in state.reviews.values() if r.location_id == location and not r.deleted]
        ordered = _ordered(reviews, req.query.get("orderBy") or "updateTime desc")
        page, token = _page(ordered, req, PAGE_SIZE, PAGE_SIZE)
        body: dict[str, Any] = {"reviews": [review_resource(r, req.base_url) for r in page]}
        if reviews:
            body["averageRating"] = round(sum(r.stars for r in reviews) / len(reviews), 2)
        body["totalReviewCount"] = len(reviews)
    if token:
        body["nextPageToken"] = token
    return json_response(200, body)


def batch_get_reviews(state: State, req: Request, account: str) -> Response:
    """POST accounts/{a}/locations:batchGetReviews: the reviews of many locations of one account,
    each as {name (the location), review}, in one paged list (newest first by default)."""
    user = guard(state, req, "posts")
    body = _json_object(req, {"locationNames", "pageSize", "pageToken", "orderBy", "ignoreRatingOnlyReviews"})
    names = body.get("locationNames") or []
    if not isinstance(names, list) or not names:
        raise _fail(400, "Request contains an invalid argument.", [_violation("location_names", "Field is required")])
    if len(names) > BATCH_LOCATIONS:
        raise _fail(
            400,
            "Request contains an invalid argument.",
            [_violation("location_names", f"At most {BATCH_LOCATIONS} locations per request")],
        )
    with state.lock:
        if account not in state.accounts:
            raise _fail(404, "Requested entity was not found.")
        wanted: set[str] = set()
        for name in names:
            parts = str(name).split("/")
            if len(parts) != 4 or parts[0] != "accounts" or parts[2] != "locations" or parts[1] != account:
                raise _fail(400, f"Invalid location name: {name!r} (accounts/{account}/locations/...).")
            loc = _location(state, account, parts[3], user)
            if not loc.verified:
                raise _unverified(loc.id)
            wanted.add(loc.id)
        reviews = [r for r in state.reviews.values() if r.location_id in wanted and not r.deleted]
        if body.get("ignoreRatingOnlyReviews"):
            reviews = [r for r in reviews if r.comment]
        ordered = _ordered(reviews, body.get("orderBy") or "updateTime desc")
        req.query = {"pageSize": str(body.get("pageSize") or PAGE_SIZE), "pageToken": body.get("pageToken") or ""}
        page, token = _page(ordered, req, PAGE_SIZE, PAGE_SIZE)
        out: dict[str, Any] = {
            "locationReviews": [
                {
                    "name": f"accounts/{r.account_id}/locations/{r.location_id}",
                    "review": review_resource(r, req.base_url),
                }
                for r in page
            ]
        }
    if token:
        out["nextPageToken"] = token
    return json_response(200, out)


def get_review(state: State, req: Request, account: str, location: str, review_id: str) -> Response:
    user = guard(state, req, "posts")
    with state.lock:
        return json_response(200, review_resource(_review(state, account, location, review_id, user), req.base_url))


def update_reply(state: State, req: Request, account: str, location: str, review_id: str) -> Response:
    """PUT .../reviews/{r}/reply {comment}: creates or replaces the reply (the same PUT twice is one
    reply). A new text goes back into moderation (PENDING) and clears a rejection."""
    user = guard(state, req, "posts")
    body = _json_object(req, {"comment", "updateTime", "state", "policyViolation"})
    comment = body.get("comment")
    if not isinstance(comment, str) or not comment.strip():
        raise _fail(400, "Request contains an invalid argument.", [_violation("comment", "Field is required")])
    if len(comment) > REPLY_MAX:
        raise _fail(
            400,
            "Request contains an invalid argument.",
            [_violation("comment", f"The reply is longer than {REPLY_MAX} characters")],
        )
    with state.lock:
        loc = _location(state, account, location, user)
        if not loc.verified:
            raise _unverified(loc.id)
        review = _review(state, account, location, review_id, user)
        if review.reply != comment:
            review.reply = comment
            review.reply_time = time.time()
            review.reply_state = ""
            review.violation = ""
            review.reply_review_until = time.time() + state.reply_review_seconds
        return json_response(200, reply_resource(review))


def delete_reply(state: State, req: Request, account: str, location: str, review_id: str) -> Response:
    user = guard(state, req, "posts")
    with state.lock:
        review = _review(state, account, location, review_id, user)
        if review.reply is None:
            raise _fail(404, "Requested entity was not found.")
        review.reply = None
        review.reply_state = ""
        review.violation = ""
    return json_response(200, {})


def _unverified(location_id: str):
    return _fail(400, f"Location locations/{location_id} is not verified: reviews need a verified location.")


def _violation(field: str, description: str) -> dict[str, Any]:
    return {
        "@type": "type.googleapis.com/google.rpc.BadRequest",
        "fieldViolations": [{"field": field, "description": description}],
    }
