"""Control API under /_sandbox/: reset, faults, grants, data set-up and inspection.

JSON in, JSON out, callable from any process (the benchmark's workers, a browser test).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from . import anthropic_batches, faults, google_oauth
from .gbp import SERVICES, post_state
from .reviews import reply_state
from .state import DEFAULT_CLIENT_ID, SANDBOX_USER, Account, Location, OAuthClient, Post, Review, State, rfc3339
from .wire import Request, Response, json_response

BUSINESS_SCOPE = "https://www.googleapis.com/auth/business.manage"


def _body(req: Request) -> dict[str, Any]:
    data = req.json()
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def health(state: State, req: Request) -> Response:
    return json_response(200, {"ok": True})


def reset(state: State, req: Request) -> Response:
    seed = _body(req).get("seed", "demo")
    if seed not in ("demo", "empty"):
        raise ValueError("seed must be 'demo' or 'empty'")
    state.reset(seed)
    return json_response(200, {"ok": True, "seed": seed})


def counters(state: State, req: Request) -> Response:
    return json_response(200, {"calls": state.counters()})


def posts(state: State, req: Request) -> Response:
    after = int(req.query.get("after_id") or 0)  # only the posts created since the one of this id
    with state.lock:
        chosen = [p for p in state.posts.values() if int(p.id) > after] if after else list(state.posts.values())
        items = [
            {
                "name": p.name,
                "id": p.id,
                "account_id": p.account_id,
                "location_id": p.location_id,
                "summary": p.body.get("summary", ""),
                "topic_type": p.body.get("topicType"),
                "deleted": p.deleted,
                "removed_by_owner": p.removed_by_owner,
                "state": post_state(p),
                "create_time": rfc3339(p.create_time),
                "body": p.body,
            }
            for p in sorted(chosen, key=lambda p: (p.create_time, int(p.id)))
        ]
    return json_response(200, {"posts": items})


# Google's review states a post can be put in by hand (LIVE and PROCESSING undo a rejection).
REVIEW_STATES = ("REJECTED", "PROCESSING", "LIVE")


def _post_of(state: State, post_id: str):
    post = state.posts.get(post_id.rsplit("/", 1)[-1])
    if post is None:
        raise ValueError(f"unknown post {post_id}")
    return post


def post_set_state(state: State, req: Request, post_id: str) -> Response:
    """Google's review decides: REJECTED (a policy violation), PROCESSING or LIVE."""
    wanted = _body(req).get("state")
    if wanted not in REVIEW_STATES:
        raise ValueError(f"state must be one of {REVIEW_STATES}")
    with state.lock:
        post = _post_of(state, post_id)
        post.state = wanted
        post.update_time = time.time()
        return json_response(200, {"name": post.name, "state": post_state(post)})


def post_remove(state: State, req: Request, post_id: str) -> Response:
    """The location's owner deletes the post in Google's own interface (no API call)."""
    with state.lock:
        post = _post_of(state, post_id)
        post.deleted = True
        post.removed_by_owner = True
        post.update_time = time.time()
        return json_response(200, {"name": post.name, "deleted": True})


def posts_config(state: State, req: Request) -> Response:
    """How long a new post stays PROCESSING (in review) before it is LIVE."""
    data = _body(req)
    with state.lock:
        if "review_seconds" in data:
            state.post_review_seconds = float(data["review_seconds"])
        return json_response(200, {"review_seconds": state.post_review_seconds})


def media_config(state: State, req: Request) -> Response:
    """Hosts (besides loopback) whose photos the sandbox fetches, and the fetch timeout."""
    data = _body(req)
    with state.lock:
        if "hosts" in data:
            state.media_hosts = {str(host).lower() for host in data["hosts"] or []}
        if "timeout" in data:
            state.media_fetch_timeout = float(data["timeout"])
        return json_response(200, {"hosts": sorted(state.media_hosts), "timeout": state.media_fetch_timeout})


def media_fetches(state: State, req: Request) -> Response:
    with state.lock:
        return json_response(200, {"fetches": list(state.media_fetches)})


def add_fault(state: State, req: Request) -> Response:
    data = _body(req)
    fault = faults.fault_from_dict(data)
    faults.queue_faults(state, data["route"], fault, int(data.get("times", 1)))
    return json_response(200, {"ok": True, "fault": fault.to_dict()})


def clear_faults(state: State, req: Request) -> Response:
    with state.lock:
        state.faults.clear()
        state.chaos.clear()
        state.latency.clear()
    return json_response(200, {"ok": True})


def chaos(state: State, req: Request) -> Response:
    data = _body(req)
    mix = [faults.fault_from_dict(m) for m in data["mix"]] if data.get("mix") else None
    faults.set_chaos(state, data["route"], float(data.get("p", 0.0)), int(data.get("seed", 0)), mix)
    return json_response(200, {"ok": True})


def latency(state: State, req: Request) -> Response:
    data = _body(req)
    route = data.get("route") or "*"
    if route != "*":
        faults.check_kind(route)
    with state.lock:
        state.latency[route] = float(data.get("seconds", 0.0))
    return json_response(200, {"ok": True})


def oauth_client(state: State, req: Request) -> Response:
    data = _body(req)
    client = OAuthClient(data["client_id"], data["client_secret"], list(data.get("redirect_uris", [])))
    with state.lock:
        state.clients[client.client_id] = client
    return json_response(200, {"ok": True})


def oauth_grant(state: State, req: Request) -> Response:
    data = _body(req)
    client_id, scope = data.get("client_id", DEFAULT_CLIENT_ID), data.get("scope", BUSINESS_SCOPE)
    return json_response(200, google_oauth.grant(state, client_id, scope, data.get("user") or SANDBOX_USER))


def oauth_revoke(state: State, req: Request) -> Response:
    data = _body(req)
    revoked = 0
    with state.lock:
        if data.get("token"):
            revoked = int(google_oauth.revoke_token(state, data["token"]))
        elif data.get("client_id"):
            for rt in state.refresh_tokens.values():
                if rt.client_id == data["client_id"] and not rt.revoked:
                    state.revoke_refresh(rt)
                    revoked += 1
            for access in state.access_tokens.values():
                if access.client_id == data["client_id"] and not access.revoked:
                    access.revoked = True
                    revoked += 1
        else:
            raise ValueError("give 'token' or 'client_id'")
    return json_response(200, {"revoked": revoked})


def oauth_expire(state: State, req: Request) -> Response:
    """Make an access token (or every one, without 'token') expire now."""
    token = _body(req).get("token")
    with state.lock:
        targets = [state.access_tokens[token]] if token in state.access_tokens else []
        if token is None:
            targets = list(state.access_tokens.values())
        for access in targets:
            access.expires_at = time.time() - 1
    return json_response(200, {"expired": len(targets)})


def oauth_config(state: State, req: Request) -> Response:
    data = _body(req)
    with state.lock:
        if "access_token_lifetime" in data:
            state.token_lifetime = int(data["access_token_lifetime"])
        return json_response(200, {"access_token_lifetime": state.token_lifetime})


def add_account(state: State, req: Request) -> Response:
    data = _body(req)
    with state.lock:
        account_id = str(data.get("account_id") or state.new_id())
        account = Account(
            account_id,
            data.get("name", f"Account {account_id}"),
            data.get("type", "LOCATION_GROUP"),
            managers=list(data.get("managers") or []),
        )
        state.accounts[account_id] = account
        spec = data.get("locations", 0)
        specs = [{} for _ in range(spec)] if isinstance(spec, int) else list(spec)
        created = []
        for i, loc in enumerate(specs, start=1):
            loc_id = str(loc.get("location_id") or state.new_id())
            state.locations[loc_id] = Location(
                loc_id,
                account_id,
                loc.get("title", f"{account.account_name} #{i}"),
                loc.get("website", "https://example.com"),
                loc.get("phone", "+1 555-0100"),
                loc.get("city", "Springfield"),
                loc.get("store_code", f"S{loc_id}"),
                can_post=bool(loc.get("can_post", True)),
                verified=bool(loc.get("verified", True)),
                keywords=[str(k) for k in loc.get("keywords", [])],
            )
            created.append(loc_id)
    return json_response(200, {"account_id": account_id, "location_ids": created})


def set_account_managers(state: State, req: Request, account: str) -> Response:
    users = list(_body(req).get("users") or [])
    with state.lock:
        if account not in state.accounts:
            return json_response(404, {"error": f"no account {account}"})
        state.accounts[account].managers = users
    return json_response(200, {"account_id": account, "managers": users})


def location_rights(state: State, req: Request, location: str) -> Response:
    """Google's metadata of the location: whether it can take posts, whether it is verified."""
    data = _body(req)
    with state.lock:
        if location not in state.locations:
            raise ValueError(f"unknown location {location}")
        loc = state.locations[location]
        if "can_post" in data:
            loc.can_post = bool(data["can_post"])
        if "verified" in data:
            loc.verified = bool(data["verified"])
        return json_response(200, {"location_id": location, "can_post": loc.can_post, "verified": loc.verified})


def deprecations(state: State, req: Request) -> Response:
    with state.lock:
        return json_response(200, {"deprecations": list(state.deprecations)})


def disable_location(state: State, req: Request, location: str) -> Response:
    disabled = bool(_body(req).get("disabled", True))
    with state.lock:
        if location not in state.locations:
            raise ValueError(f"unknown location {location}")
        state.locations[location].disabled = disabled
    return json_response(200, {"location_id": location, "disabled": disabled})


def location_post_days(state: State, req: Request, location: str) -> Response:
    """Days (ISO dates) the location posted before the sandbox knew it: its figures rise after them."""
    days = [dt.date.fromisoformat(day).isoformat() for day in _body(req).get("days", [])]
    with state.lock:
        if location not in state.locations:
            raise ValueError(f"unknown location {location}")
        state.locations[location].post_days = sorted(set(state.locations[location].post_days) | set(days))
    return json_response(200, {"location_id": location, "post_days": len(state.locations[location].post_days)})


def location_past_post(state: State, req: Request, location: str) -> Response:
    """A post the location made before the sandbox started ({"summary", "created": ISO time}),
    LIVE, as if created then: the demo's history of published posts. Answers its name."""
    data = _body(req)
    created = dt.datetime.fromisoformat(data["created"].replace("Z", "+00:00")).timestamp()
    body = {"languageCode": "en", "summary": str(data["summary"]), "topicType": "STANDARD"}
    with state.lock:
        loc = state.locations.get(location)
        if loc is None:
            raise ValueError(f"unknown location {location}")
        post = Post(state.new_id(), loc.account_id, location, body, created, created)
        state.posts[post.id] = post
    return json_response(200, {"name": post.name})


def location_figure(state: State, req: Request, location: str) -> Response:
    """Set one daily figure outright (Google revising a day, say): {"metric", "day", "value"}."""
    data = _body(req)
    day = dt.date.fromisoformat(data["day"]).isoformat()
    with state.lock:
        if location not in state.locations:
            raise ValueError(f"unknown location {location}")
        state.figures[location][f"{data['metric']}|{day}"] = int(data["value"])
    return json_response(200, {"ok": True})


def performance_requests(state: State, req: Request) -> Response:
    with state.lock:
        return json_response(200, {"requests": list(state.performance_requests)})


def keyword_requests(state: State, req: Request) -> Response:
    with state.lock:
        return json_response(200, {"requests": list(state.keyword_requests)})


def quota(state: State, req: Request) -> Response:
    data = _body(req)
    service = data.get("service")
    known = [s for s, _ in SERVICES.values()]
    if service is not None and service not in known:
        raise ValueError(f"unknown service {service!r}; expected one of {known}")
    limit = data.get("per_minute")
    window = float(data.get("window_seconds") or 60.0)
    with state.lock:
        for name in [service] if service else known:
            state.quota[name] = None if limit is None else int(limit)
            state.quota_seconds[name] = window
            state.quota_window[name].clear()
    return json_response(200, {"ok": True})


def quota_refusals(state: State, req: Request) -> Response:
    with state.lock:
        return json_response(200, {"refusals": list(state.quota_refusals)})


def anthropic_script(state: State, req: Request) -> Response:
    replies = _body(req).get("replies", [])
    with state.lock:
        state.scripted.extend(replies)
        return json_response(200, {"queued": len(state.scripted)})


def anthropic_config(state: State, req: Request) -> Response:
    data = _body(req)
    with state.lock:
        if "api_key" in data:
            state.anthropic_key = data["api_key"]
    return json_response(200, {"ok": True})


def anthropic_requests(state: State, req: Request) -> Response:
    with state.lock:
        return json_response(200, {"requests": list(state.anthropic_requests)})


def anthropic_usage(state: State, req: Request) -> Response:
    """Every token the Anthropic endpoints reported, per tier ("standard", "batch")."""
    with state.lock:
        return json_response(200, {"usage": {tier: dict(totals) for tier, totals in state.anthropic_usage.items()}})


def batch_config(state: State, req: Request) -> Response:
    data = _body(req)
    with state.lock:
        if "delay_seconds" in data:
            state.batch_delay = float(data["delay_seconds"])
        if "error_rate" in data:
            state.batch_error_rate = float(data["error_rate"])
            state.batch_rng.seed(int(data.get("seed", 0)))
        return json_response(200, {"delay_seconds": state.batch_delay, "error_rate": state.batch_error_rate})


def batch_outcomes(state: State, req: Request) -> Response:
    outcomes = _body(req).get("outcomes", [])
    for outcome in outcomes:
        if outcome.get("type") not in anthropic_batches.RESULT_TYPES:
            raise ValueError(f"outcome type must be one of {anthropic_batches.RESULT_TYPES}")
    with state.lock:
        state.batch_outcomes.extend(outcomes)
        return json_response(200, {"queued": len(state.batch_outcomes)})


def batch_expire(state: State, req: Request) -> Response:
    return json_response(200, {"expired": anthropic_batches.expire(state, _body(req).get("batch_id"))})


def batch_finish(state: State, req: Request) -> Response:
    return json_response(200, {"finished": anthropic_batches.finish(state, _body(req).get("batch_id"))})


def batch_forget(state: State, req: Request) -> Response:
    return json_response(200, {"forgotten": anthropic_batches.forget(state, _body(req).get("batch_id"))})


def batches(state: State, req: Request) -> Response:
    return json_response(200, {"batches": anthropic_batches.summaries(state)})


# ---- reviews ---------------------------------------------------------------------------


def _when(value: Any, default: float) -> float:
    """A time given as seconds since the epoch or an ISO 8601 string."""
    if value in (None, ""):
        return default
    if isinstance(value, (int, float)):
        return float(value)
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def _review_item(review: Review) -> dict[str, Any]:
    return {
        "name": review.name,
        "id": review.id,
        "location_id": review.location_id,
        "reviewer": review.reviewer,
        "stars": review.stars,
        "comment": review.comment,
        "deleted": review.deleted,
        "reply": review.reply,
        "reply_state": reply_state(review) if review.reply is not None else None,
        "violation": review.violation,
        "update_time": rfc3339(review.update_time),
    }


def reviews(state: State, req: Request) -> Response:
    with state.lock:
        items = [_review_item(r) for r in sorted(state.reviews.values(), key=lambda r: (r.create_time, int(r.id)))]
    return json_response(200, {"reviews": items})


def reviews_add(state: State, req: Request) -> Response:
    """Customers review locations: one review ({location_id, stars, comment, reviewer, anonymous,
    create_time, reply}) or, with `per_location`, that many made-up reviews on each of `locations`
    (stars and words from the review's number, times spread over the last year)."""
    data = _body(req)
    now = time.time()
    made: list[dict[str, Any]] = []
    with state.lock:
        if "per_location" in data:
            count = int(data["per_location"])
            for location_id in data.get("locations") or []:
                loc = state.locations.get(str(location_id))
                if loc is None:
                    raise ValueError(f"unknown location {location_id}")
                for i in range(count):
                    at = now - (count - i) * 86400 * 365 / max(count, 1)
                    review = Review(
                        state.new_id(),
                        loc.account_id,
                        loc.id,
                        f"Customer {i + 1}",
                        1 + (i * 7 + int(loc.id)) % 5,
                        SAMPLE_COMMENTS[i % len(SAMPLE_COMMENTS)],
                        at,
                        at,
                    )
                    state.reviews[review.id] = review
            return json_response(200, {"added": count * len(data.get("locations") or [])})
        loc = state.locations.get(str(data.get("location_id")))
        if loc is None:
            raise ValueError(f"unknown location {data.get('location_id')}")
        stars = int(data.get("stars", 5))
        if stars not in range(1, 6):
            raise ValueError("stars must be 1 to 5")
        at = _when(data.get("create_time"), now)
        review = Review(
            state.new_id(),
            loc.account_id,
            loc.id,
            str(data.get("reviewer") or "A customer"),
            stars,
            str(data.get("comment") or ""),
            at,
            at,
            anonymous=bool(data.get("anonymous")),
        )
        if data.get("reply"):
            review.reply, review.reply_time = str(data["reply"]), at
        state.reviews[review.id] = review
        made.append(_review_item(review))
    return json_response(200, made[0])


SAMPLE_COMMENTS = [
    "Friendly staff and quick service. Will come back!",
    "Good, but the wait was longer than I expected.",
    "Not great: my order was wrong and nobody apologised.",
    "",
    "Lovely place, spotless and welcoming.",
]


def _review_of(state: State, review_id: str) -> Review:
    review = state.reviews.get(review_id.rsplit("/", 1)[-1])
    if review is None:
        raise ValueError(f"unknown review {review_id}")
    return review


def review_edit(state: State, req: Request, review_id: str) -> Response:
    """The customer edits the review (stars, comment): its updateTime moves on."""
    data = _body(req)
    with state.lock:
        review = _review_of(state, review_id)
        if "stars" in data:
            review.stars = int(data["stars"])
        if "comment" in data:
            review.comment = str(data["comment"])
        review.update_time = max(time.time(), review.update_time + 0.001)
        return json_response(200, _review_item(review))


def review_remove(state: State, req: Request, review_id: str) -> Response:
    """The customer (or Google) takes the review down: gone from the API."""
    with state.lock:
        review = _review_of(state, review_id)
        review.deleted = True
        return json_response(200, _review_item(review))


REPLY_STATES = ("PENDING", "APPROVED", "REJECTED")


def review_reply_state(state: State, req: Request, review_id: str) -> Response:
    """Google's moderation decides on the reply: REJECTED (with `violation`, the policy it broke),
    PENDING or APPROVED."""
    data = _body(req)
    wanted = data.get("state")
    if wanted not in REPLY_STATES:
        raise ValueError(f"state must be one of {REPLY_STATES}")
    with state.lock:
        review = _review_of(state, review_id)
        if review.reply is None:
            raise ValueError(f"review {review_id} has no reply")
        review.reply_state = wanted
        review.violation = str(data.get("violation") or "") if wanted == "REJECTED" else ""
        return json_response(200, _review_item(review))


def reviews_config(state: State, req: Request) -> Response:
    """How long a new reply stays PENDING (in moderation) before it is APPROVED."""
    data = _body(req)
    with state.lock:
        state.reply_review_seconds = float(data.get("reply_review_seconds", 0))
    return json_response(200, {"reply_review_seconds": state.reply_review_seconds})
