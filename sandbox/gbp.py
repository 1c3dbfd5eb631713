"""Google Business Profile REST endpoints: accounts (v1), locations (v1), localPosts (v4)."""

from __future__ import annotations

import base64
import bisect
import itertools
import time
from collections import Counter
from typing import Any

from . import gbp_schema, reference
from .faults import google_error
from .media import media_problems
from .state import Location, Post, State, rfc3339
from .wire import HTTPError, Request, Response, json_response

SCOPES = {"https://www.googleapis.com/auth/business.manage", "https://www.googleapis.com/auth/plus.business.manage"}
SERVICES = {
    "accounts": ("mybusinessaccountmanagement.googleapis.com", "My Business Account Management API"),
    "locations": ("mybusinessbusinessinformation.googleapis.com", "My Business Business Information API"),
    "posts": ("mybusiness.googleapis.com", "Google My Business API"),
    "performance": ("businessprofileperformance.googleapis.com", "Business Profile Performance API"),
}
PROJECT_NUMBER = "0"
LOCATION_FIELDS = {
    "name",
    "title",
    "storeCode",
    "websiteUri",
    "phoneNumbers",
    "storefrontAddress",
    "categories",
    "metadata",
    "languageCode",
    "profile",
}


def _fail(code: int, message: str | None = None, details: list[Any] | None = None) -> HTTPError:
    return HTTPError(json_response(code, google_error(code, message, details)))


def _error_info(reason: str, service: str, extra: dict[str, str]) -> dict[str, Any]:
    return {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": "googleapis.com",
        "metadata": {"service": service, "consumer": f"projects/{PROJECT_NUMBER}", **extra},
    }


def guard(state: State, req: Request, api: str) -> str:
    """Authentication, then scope, then the per-project quota: the order Google applies them.
    Returns the Google user the access token speaks for."""
    token = req.bearer() or req.query.get("access_token")
    service, _title = SERVICES[api]
    with state.lock:
        access = state.valid_access_token(token) if token else None
        if access is None:
            if not token:
                reason = "CREDENTIALS_MISSING"
            elif token in state.access_tokens and not state.access_tokens[token].revoked:
                reason = "ACCESS_TOKEN_EXPIRED"
            else:
                reason = "ACCESS_TOKEN_TYPE_UNSUPPORTED"
            error = _fail(
                401,
                "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie "
                "or other valid authentication credential. "
                "See https://developers.google.com/identity/sign-in/web/devconsole-project.",
                [_error_info(reason, service, {"method": api})],
            )
            error.response.headers["WWW-Authenticate"] = (
                'Bearer realm="https://accounts.google.com/", error="invalid_token"'
            )
            raise error
        if not SCOPES & set(access.scope.split()):
            raise _fail(
                403,
                "Request had insufficient authentication scopes.",
                [_error_info("ACCESS_TOKEN_SCOPE_INSUFFICIENT", service, {})],
            )
        limit = state.quota.get(service)
        if limit is not None:
            seconds = state.quota_seconds.get(service, 60.0)
            in_window = limit if seconds == 60.0 else max(1, int(limit * seconds / 60))
            refusal = quota_count(state, service, req, seconds=seconds, limit=in_window)
            if refusal is not None:
                state.quota_refusals.append(refusal)
                raise _fail(
                    429,
                    f"Quota exceeded for quota metric 'Requests' and limit 'Requests per minute' of service "
                    f"'{service}' for consumer 'project_number:{PROJECT_NUMBER}'.",
                    [
                        _error_info(
                            "RATE_LIMIT_EXCEEDED",
                            service,
                            {
                                "quota_metric": f"{service}/default_requests",
                                "quota_limit": "DefaultRequestsPerMinutePerProject",
                                "quota_limit_value": str(limit),
                            },
                        )
                    ],
                )
        return access.user


def quota_count(state: State, service: str, req: Request, *, seconds: float, limit: int) -> dict | None:
    """Count the request in its service's window (any `seconds` before it arrived, by arrival time:
    one that waited for the state's lock is counted when it reached Google, not later). None when
    it fits; else, not counted, what the window held (the refusal's record, for a benchmark to tell
    a burst of the app's from one of the machine's)."""
    window = state.quota_window[service]  # (arrived, kind), by arrival
    now = req.arrived or time.monotonic()

    def at(moment: float) -> int:
        return bisect.bisect_right(window, moment, key=lambda entry: entry[0])

    held = window[at(now - seconds) : at(now)]
    if len(held) < limit:
        window.insert(at(now), (now, req.kind))
        del window[: bisect.bisect_left(window, now - 2 * seconds, key=lambda entry: entry[0])]
        return None
    tick = seconds / 60  # a simulated second when the window is a simulated minute
    times = [at for at, _ in held]
    densest = max((bisect.bisect_right(times, at + tick) - i for i, at in enumerate(times)), default=0)
    return {
        "arrived": now,
        "kind": req.kind,
        "waited": time.monotonic() - now,  # from arrival to the count (the lock, the latency)
        "held": len(held),
        "limit": limit,
        "window_seconds": seconds,
        "kinds": dict(Counter(kind for _, kind in held)),
        "densest_tick": densest,
        "first_tick": bisect.bisect_right(times, times[0] + tick) if times else 0,
        "last_tick": len(times) - bisect.bisect_left(times, now - tick),
        "largest_gap": max((b - a for a, b in itertools.pairwise(times)), default=0.0),
    }


def service_disabled(api: str) -> HTTPError:
    service, title = SERVICES[api]
    url = f"https://console.developers.google.com/apis/api/{service}/overview?project={PROJECT_NUMBER}"
    return _fail(
        403,
        f"{title} has not been used in project {PROJECT_NUMBER} before or it is disabled. Enable it by visiting "
        f"{url} then retry. If you enabled this API recently, wait a few minutes for the action to propagate "
        "to our systems and retry.",
        [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "SERVICE_DISABLED",
                "domain": "googleapis.com",
                "metadata": {
                    "service": service,
                    "serviceTitle": title,
                    "consumer": f"projects/{PROJECT_NUMBER}",
                    "containerInfo": PROJECT_NUMBER,
                    "activationUrl": url,
                },
            },
            {
                "@type": "type.googleapis.com/google.rpc.Help",
                "links": [{"description": "Google developers console API activation", "url": url}],
            },
        ],
    )


def _page(items: list[Any], req: Request, default: int, maximum: int) -> tuple[list[Any], str | None]:
    try:
        size = int(req.query.get("pageSize") or default)
        token = req.query.get("pageToken")
        start = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
    except ValueError as exc:
        raise _fail(400, "Request contains an invalid argument.") from exc
    size = min(max(size, 1), maximum) if size > 0 else default
    page = items[start : start + size]
    end = start + size
    return page, base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None


# ---- accounts & locations -------------------------------------------------------------


def list_accounts(state: State, req: Request) -> Response:
    user = guard(state, req, "accounts")
    with state.lock:
        accounts = sorted(
            (a for a in state.accounts.values() if a.managed_by(user)),
            key=lambda a: int(a.id) if a.id.isdigit() else a.id,
        )
        page, token = _page(accounts, req, 20, 20)
        body: dict[str, Any] = {
            "accounts": [
                {
                    "name": f"accounts/{a.id}",
                    "accountName": a.account_name,
                    "type": a.type,
                    "role": "PRIMARY_OWNER",
                    "verificationState": "VERIFIED",
                    "vettedState": "NOT_VETTED",
                    "permissionLevel": "OWNER_LEVEL",
                }
                for a in page
            ]
        }
    if token:
        body["nextPageToken"] = token
    return json_response(200, body)


def location_resource(loc: Location, base_url: str) -> dict[str, Any]:
    return {
        "name": f"locations/{loc.id}",
        "title": loc.title,
        "storeCode": loc.store_code,
        "websiteUri": loc.website,
        "languageCode": "en",
        "phoneNumbers": {"primaryPhone": loc.phone},
        "storefrontAddress": {
            "regionCode": "US",
            "languageCode": "en",
            "locality": loc.city,
            "addressLines": [f"{100 + int(loc.id) % 900} Main Street"] if loc.id.isdigit() else ["1 Main Street"],
        },
        "categories": {"primaryCategory": {"name": "categories/gcid:store", "displayName": "Store"}},
        "profile": {"description": f"{loc.title} in {loc.city}."},
        "metadata": location_metadata(loc, base_url),
    }


def location_metadata(loc: Location, base_url: str) -> dict[str, Any]:
    """Business Information's `Metadata`. Proto3 JSON leaves out a false boolean, so a location
    that cannot take posts (or is not verified) has no `canOperateLocalPost` (`hasVoiceOfMerchant`)."""
    metadata: dict[str, Any] = {
        "mapsUri": f"{base_url}/_sandbox/locations/{loc.id}",
        "newReviewUri": f"{base_url}/_sandbox/locations/{loc.id}#review",
        "placeId": f"ChIJsandbox{loc.id}",
    }
    if loc.can_post:
        metadata["canOperateLocalPost"] = True
    if loc.verified:
        metadata["hasVoiceOfMerchant"] = True
    return metadata


def list_locations(state: State, req: Request, account: str) -> Response:
    user = guard(state, req, "locations")
    mask = [f.strip() for f in req.query.get("readMask", "").split(",") if f.strip()]
    if not mask:
        raise _fail(
            400,
            "Request contains an invalid argument.",
            [
                {
                    "@type": "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations": [{"field": "read_mask", "description": "Field is required"}],
                }
            ],
        )
    unknown = [f for f in mask if gbp_schema.camel(f.split(".")[0]) not in LOCATION_FIELDS]
    if unknown:
        raise _fail(
            400,
            "Request contains an invalid argument.",
            [
                {
                    "@type": "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations": [
                        {"field": "read_mask", "description": f"Invalid field mask provided: {unknown[0]}"}
                    ],
                }
            ],
        )
    wanted = {gbp_schema.camel(f.split(".")[0]) for f in mask}
    with state.lock:
        if account not in state.accounts:
            raise _fail(404)
        _managed(state, account, user)
        locations = sorted(
            (loc for loc in state.locations.values() if loc.account_id == account),
            key=lambda loc: int(loc.id) if loc.id.isdigit() else loc.id,
        )
        page, token = _page(locations, req, 10, 100)
        items = [{k: v for k, v in location_resource(loc, req.base_url).items() if k in wanted} for loc in page]
    body: dict[str, Any] = {"locations": items}
    if token:
        body["nextPageToken"] = token
    return json_response(200, body)


# ---- local posts ----------------------------------------------------------------------


def post_resource(post: Post, base_url: str) -> dict[str, Any]:
    out = {k: v for k, v in post.body.items() if k not in gbp_schema.OUTPUT_ONLY}
    out.update(
        name=post.name,
        createTime=rfc3339(post.create_time),
        updateTime=rfc3339(post.update_time),
        searchUrl=f"{base_url}/_sandbox/locations/{post.location_id}#post-{post.id}",
        state=post_state(post),
    )
    return out


def post_state(post: Post) -> str:
    """Google's `state` of a post: what the control API set (a review's REJECTED, say), else
    PROCESSING while in review, SCHEDULED before its scheduledTime, LIVE after."""
    if post.state:
        return post.state
    if time.time() < post.review_until:
        return "PROCESSING"
    when = post.body.get("scheduledTime")
    scheduled = gbp_schema.parse_time(when) if when else None
    return "SCHEDULED" if scheduled is not None and scheduled.timestamp() > time.time() else "LIVE"


def _managed(state: State, account: str, user: str) -> None:
    """Google's answer to a user who does not manage the account: 403, whatever they ask of it."""
    if not state.accounts[account].managed_by(user):
        raise _fail(403, "The caller does not have permission")


def _location(state: State, account: str, location: str, user: str) -> Location:
    if account in state.accounts:
        _managed(state, account, user)
    loc = state.locations.get(location)
    if account not in state.accounts or loc is None or loc.account_id != account:
        raise _fail(404)
    if loc.disabled:
        raise service_disabled("posts")
    return loc


def _post(state: State, account: str, location: str, post_id: str, user: str) -> Post:
    _location(state, account, location, user)
    post = state.posts.get(post_id)
    if post is None or post.deleted or post.location_id != location:
        raise _fail(404)
    return post


def _validate(body: Any, *, semantic: bool = True) -> None:
    parse = gbp_schema.parse_errors(body)
    if parse:
        raise _fail(
            400,
            "\n".join(message for _, message in parse),
            [
                {
                    "@type": "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations": [{"field": path, "description": message} for path, message in parse],
                }
            ],
        )
    if semantic:
        problems = gbp_schema.semantic_errors(body)
        if problems:
            raise _fail(
                400,
                "Request contains an invalid argument.",
                [{"@type": "type.googleapis.com/google.mybusiness.v4.ValidationError", "errorDetails": problems}],
            )


def _json_body(req: Request) -> Any:
    try:
        return req.json()
    except ValueError as exc:
        raise _fail(400, f"Invalid JSON payload received. {exc}") from exc


def _as_google_keeps_it(body: dict[str, Any]) -> dict[str, Any]:
    """Google stores a post's text with plain line feeds and no surrounding blanks."""
    if isinstance(body.get("summary"), str):
        body = {**body, "summary": body["summary"].replace("\r\n", "\n").replace("\r", "\n").strip()}
    return body


def _cannot_post(loc: Location) -> HTTPError:
    """A location whose metadata says it cannot operate local posts refuses them (the words are the
    sandbox's own; FAILED_PRECONDITION is Google's code for a resource not in a state to do it)."""
    message = (
        f"Location locations/{loc.id} cannot operate local posts (Metadata.canOperateLocalPost is false): "
        "it must be verified and in good standing on Google."
    )
    return HTTPError(json_response(400, {"error": {"code": 400, "message": message, "status": "FAILED_PRECONDITION"}}))


def create_post(state: State, req: Request, account: str, location: str) -> Response:
    user = guard(state, req, "posts")
    body = _json_body(req)
    with state.lock:
        loc = _location(state, account, location, user)
    _validate(body)
    if not loc.can_post:
        raise _cannot_post(loc)
    if isinstance(body, dict) and isinstance(body.get("topicType"), str):
        reference.note_use(state, "mybusiness.v4.localPosts", "LocalPost.topicType", body["topicType"])
    # Google fetches the photo itself while it creates the post: one it cannot fetch, or that is
    # not a JPG or PNG, fails the create (sandbox/media.py).
    problems = media_problems(state, body)
    if problems:
        raise _fail(
            400,
            "Request contains an invalid argument.",
            [{"@type": "type.googleapis.com/google.mybusiness.v4.ValidationError", "errorDetails": problems}],
        )
    clean = _as_google_keeps_it({k: v for k, v in body.items() if k not in gbp_schema.OUTPUT_ONLY})
    now = time.time()
    with state.lock:
        post = Post(state.new_id(), account, location, clean, now, now)
        post.review_until = now + state.post_review_seconds
        state.posts[post.id] = post
        return json_response(200, post_resource(post, req.base_url))


def list_posts(state: State, req: Request, account: str, location: str) -> Response:
    user = guard(state, req, "posts")
    with state.lock:
        _location(state, account, location, user)
        posts = [p for p in state.posts.values() if p.location_id == location and not p.deleted]
        posts.sort(key=lambda p: (p.create_time, int(p.id)), reverse=True)  # newest first, like Google
        page, token = _page(posts, req, 20, 100)
        body: dict[str, Any] = {"localPosts": [post_resource(p, req.base_url) for p in page]}
    if token:
        body["nextPageToken"] = token
    return json_response(200, body)


def get_post(state: State, req: Request, account: str, location: str, post_id: str) -> Response:
    user = guard(state, req, "posts")
    with state.lock:
        return json_response(200, post_resource(_post(state, account, location, post_id, user), req.base_url))


def patch_post(state: State, req: Request, account: str, location: str, post_id: str) -> Response:
    user = guard(state, req, "posts")
    mask = [gbp_schema.camel(f.strip().split(".")[0]) for f in req.query.get("updateMask", "").split(",") if f.strip()]
    if not mask:
        raise _fail(400, "Request contains an invalid argument.", [_violation("update_mask", "Field is required")])
    props = gbp_schema.schemas()["LocalPost"]["properties"]
    bad = [f for f in mask if f not in props or f in gbp_schema.OUTPUT_ONLY]
    if bad:
        raise _fail(
            400, "Request contains an invalid argument.", [_violation("update_mask", f"Invalid field: {bad[0]}")]
        )
    body = _json_body(req)
    _validate(body, semantic=False)
    with state.lock:
        post = _post(state, account, location, post_id, user)
        merged = dict(post.body)
        for field in mask:  # a masked field absent from the body is cleared, per FieldMask rules
            if field in body:
                merged[field] = _as_google_keeps_it(body)[field]
            else:
                merged.pop(field, None)
        _validate(merged)
        post.body = merged
        post.update_time = time.time()
        return json_response(200, post_resource(post, req.base_url))


def _violation(field: str, description: str) -> dict[str, Any]:
    return {
        "@type": "type.googleapis.com/google.rpc.BadRequest",
        "fieldViolations": [{"field": field, "description": description}],
    }


def delete_post(state: State, req: Request, account: str, location: str, post_id: str) -> Response:
    user = guard(state, req, "posts")
    with state.lock:
        post = _post(state, account, location, post_id, user)
        post.deleted = True
        post.update_time = time.time()
    return json_response(200, {})
