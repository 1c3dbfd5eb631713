"""The Google Business Profile API: the only module that speaks HTTP to it (httpx, timeouts).

Accounts (Account Management v1), locations (Business Information v1), local posts
(My Business v4) and each location's daily figures and monthly search keywords (Business
Profile Performance v1). With
`settings.GOOGLE_API_BASE_URL` set every path goes to that one base (the sandbox); otherwise to
Google's four hosts. Each call gets the franchise's access token from
`tokens` and, on a 401, refreshes once and retries once.

Google's answers become a few typed errors, each with a message a person can act on and
`permanent` (retrying cannot help) set. GoogleReauthorizationRequired and
GoogleTokenTransientError from the token layer pass through unchanged.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import html
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings

from ..models import Franchise, GoogleConnection
from . import oauth, quota
from .tokens import (
    GoogleReauthorizationRequired,
    GoogleTokenTransientError,
    connection_access_token_get,
    google_access_token_get,
)

if TYPE_CHECKING:
    import httpx

ACCOUNTS_HOST = "https://mybusinessaccountmanagement.googleapis.com"
LOCATIONS_HOST = "https://mybusinessbusinessinformation.googleapis.com"
POSTS_HOST = "https://mybusiness.googleapis.com"
PERFORMANCE_HOST = "https://businessprofileperformance.googleapis.com"
LOCATION_READ_MASK = "name,title,storefrontAddress,metadata"
# Held back after a 429 that names no Retry-After. Requests are paced under the quota, so a 429
# means another client of the Cloud project spent it, or a clock drifted: a short pause is enough.
QUOTA_PAUSE_SECONDS = 10.0
MAX_PAGES = 200  # a runaway nextPageToken must not loop forever
API_ACCESS_URL = "https://developers.google.com/my-business/content/prereqs#request-access"
_LOCATION_NAME = re.compile(r"accounts/[^/?#]+/locations/[^/?#]+")
_POST_NAME = re.compile(r"accounts/[^/?#]+/locations/[^/?#]+/localPosts/[^/?#]+")
_MUTATING = {"POST", "PATCH"}
# The writes this module sends (a post's create, patch and delete; a review's reply, PUT and DELETE)
# take quota slots ahead of the reads of the other jobs (quota.py): people wait on them.
_PUBLISHING = _MUTATING | {"DELETE", "PUT"}
_REVIEW_NAME = re.compile(r"accounts/[^/?#]+/locations/[^/?#]+/reviews/[^/?#]+")
REVIEWS_PAGE_SIZE = 50  # Google's most, for list and batchGetReviews
REVIEWS_BATCH_LOCATIONS = 50  # locations per batchGetReviews (sandbox/README.md: Google's limit is unclear)


class GbpError(Exception):
    """Base of the Business Profile errors. `permanent`: retrying the same request cannot help."""

    permanent = True


class GbpInvalidRequestError(GbpError):
    """400 (and other 4xx): Google refused the request as written; its message says why."""


class GbpSetupError(GbpError):
    """403 SERVICE_DISABLED / PERMISSION_DENIED / a zero quota: the Google Cloud project needs work."""


class GbpPermissionDeniedError(GbpSetupError):
    """403 PERMISSION_DENIED on a resource: the connected account does not manage it (any more)."""


class GbpNotFoundError(GbpError):
    """404: the location (or post) is gone, or the connected account lost access to it."""


class GbpRateLimitedError(GbpError):
    permanent = False

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class GbpTransientError(GbpError):
    """5xx, timeouts, connection errors.

    `maybe_applied`: a POST or PATCH was sent in full and no usable answer came: a read timeout,
    a connection dropped while waiting, any 5xx (a gateway or the backend gave up, perhaps after
    doing the work), or a 2xx without a readable body. Google's create has no idempotency key,
    so a caller must look for the post on Google before creating it again.
    """

    permanent = False

    def __init__(self, message: str, *, maybe_applied: bool = False) -> None:
        super().__init__(message)
        self.maybe_applied = maybe_applied


# What a call to Google may raise, the token layer's errors included.
GOOGLE_ERRORS = (GbpError, GoogleTokenTransientError, GoogleReauthorizationRequired)
# Of those, what a later try may not meet (Google's 5xx and timeouts, its rate limit, a token
# refresh that failed for now): a job leaves the item for its next run instead of failing it.
TRANSIENT = (GbpTransientError, GbpRateLimitedError, GoogleTokenTransientError)


@dataclass(frozen=True)
class PostingRights:
    """What Google's metadata says of a location: it may take local posts (canOperateLocalPost),
    it is verified (hasVoiceOfMerchant)."""

    can_post: bool
    verified: bool


def posting_rights(location: dict) -> PostingRights | None:
    """The rights a listed location's `metadata` gives (None when the answer has no metadata).
    Proto3 JSON leaves a false boolean out, so a flag that is not there is false."""
    metadata = location.get("metadata")
    if not isinstance(metadata, dict):
        return None
    return PostingRights(bool(metadata.get("canOperateLocalPost")), bool(metadata.get("hasVoiceOfMerchant")))


# ---- public calls -------------------------------------------------------------------------


def accounts_list(*, connection: GoogleConnection, deadline: float | None = None) -> list[dict]:
    """Every account the connection's Google user can manage (all pages)."""
    url = f"{_base(ACCOUNTS_HOST)}/v1/accounts"
    return list(
        _paged(connection, url, "accounts", {"pageSize": 20}, what="list of Google accounts", deadline=deadline)
    )


def locations_page(
    *, connection: GoogleConnection, account_id: str, page_token: str | None = None, deadline: float | None = None
) -> tuple[list[dict], str | None]:
    """One page (up to 100) of an account's locations: name ("locations/{id}"), title,
    storefrontAddress, metadata; and the next page's token (None at the end)."""
    account_id = _bare_id(account_id, "accounts/")
    url = f"{_base(LOCATIONS_HOST)}/v1/accounts/{account_id}/locations"
    params: dict[str, Any] = {"pageSize": 100, "readMask": LOCATION_READ_MASK}
    if page_token:
        params["pageToken"] = page_token
    data = _call(connection, "GET", url, params=params, what=f"locations of account {account_id}", deadline=deadline)
    return data.get("locations", []), data.get("nextPageToken") or None


def locations_list(*, connection: GoogleConnection, account_id: str, deadline: float | None = None) -> list[dict]:
    """Every location of one account (all pages)."""
    account_id = _bare_id(account_id, "accounts/")
    url = f"{_base(LOCATIONS_HOST)}/v1/accounts/{account_id}/locations"
    params = {"pageSize": 100, "readMask": LOCATION_READ_MASK}
    what = f"locations of account {account_id}"
    return list(_paged(connection, url, "locations", params, what=what, deadline=deadline))


def local_post_create(
    *,
    franchise: Franchise,
    body: dict,
    before_send: Callable[[], None] | None = None,
    deadline: float | None = None,
    just_read: bool = False,
) -> dict:
    """Create the post. `before_send` runs right before each send (the first, and the one after a
    401 and a token refresh) and may raise to stop it: the publisher checks there that sending is
    still safe. `deadline` (a time.monotonic() value): raise QuotaDeadline rather than wait for a
    quota slot past it. `just_read`: the franchise and its connection were read a moment ago, its
    flag checked (tokens.google_access_token_get)."""
    url = _posts_url(franchise)
    what = f"new post for {franchise.google_location_name}"
    return _call(
        franchise, "POST", url, json=body, what=what, before_send=before_send, deadline=deadline, just_read=just_read
    )


def local_posts_list(
    *,
    franchise: Franchise,
    location: str = "",
    page_size: int = 100,
    page_token: str | None = None,
    deadline: float | None = None,
    publishing: bool = False,
) -> tuple[list[dict], str | None]:
    """One page of the posts of `location` ("accounts/{a}/locations/{l}"; default the franchise's
    current one), newest first, and the next page's token (None at the end). The franchise's
    connection asks: a location it cannot reach answers 403 or 404. `publishing`: the list serves
    a write of a post in progress, and takes its quota slot as one."""
    params: dict[str, Any] = {"pageSize": page_size}
    if page_token:
        params["pageToken"] = page_token
    url = _location_posts_url(location) if location else _posts_url(franchise)
    what = f"list of posts of {location or franchise.google_location_name}"
    data = _call(franchise, "GET", url, params=params, what=what, deadline=deadline, publishing=publishing)
    return data.get("localPosts", []), data.get("nextPageToken") or None


def local_post_get(*, franchise: Franchise, name: str, deadline: float | None = None) -> dict:
    return _call(franchise, "GET", _post_url(name), what=f"post {name}", deadline=deadline)


def local_post_patch(
    *,
    franchise: Franchise,
    name: str,
    body: dict,
    update_mask: list[str],
    before_send: Callable[[], None] | None = None,
    deadline: float | None = None,
) -> dict:
    params = {"updateMask": ",".join(update_mask)}
    return _call(
        franchise,
        "PATCH",
        _post_url(name),
        params=params,
        json=body,
        what=f"post {name}",
        before_send=before_send,
        deadline=deadline,
    )


def local_post_delete(
    *,
    franchise: Franchise,
    name: str,
    before_send: Callable[[], None] | None = None,
    deadline: float | None = None,
) -> None:
    _call(franchise, "DELETE", _post_url(name), what=f"post {name}", before_send=before_send, deadline=deadline)


def daily_metrics_fetch(
    *, franchise: Franchise, metrics: list[str], first_day: dt.date, last_day: dt.date, deadline: float | None = None
) -> dict[str, dict[dt.date, int]]:
    """The location's daily figures of `metrics` on days first_day..last_day, in one request
    (Performance API `locations.fetchMultiDailyMetricsTimeSeries`): {metric: {day: value}}. Google
    sends values as strings, a day with nothing to count without a value (0 here), and leaves
    out the days it has no figures for yet (they are missing here too)."""
    if not franchise.google_location_id:
        _posts_url(franchise)  # raises the "no location picked" GbpSetupError
    location_id = _bare_id(franchise.google_location_id, "locations/")
    url = f"{_base(PERFORMANCE_HOST)}/v1/locations/{location_id}:fetchMultiDailyMetricsTimeSeries"
    params: dict[str, Any] = {"dailyMetrics": list(metrics)}
    for end, day in (("startDate", first_day), ("endDate", last_day)):
        params.update(
            {f"dailyRange.{end}.year": day.year, f"dailyRange.{end}.month": day.month, f"dailyRange.{end}.day": day.day}
        )
    data = _call(
        franchise, "GET", url, params=params, what=f"figures of {franchise.google_location_name}", deadline=deadline
    )
    figures: dict[str, dict[dt.date, int]] = {metric: {} for metric in metrics}
    for group in data.get("multiDailyMetricTimeSeries") or []:
        for series in group.get("dailyMetricTimeSeries") or []:
            metric = series.get("dailyMetric")
            if metric not in figures:
                continue
            for item in (series.get("timeSeries") or {}).get("datedValues") or []:
                date = item.get("date") or {}
                try:
                    day = dt.date(int(date["year"]), int(date["month"]), int(date["day"]))
                    value = int(item.get("value") or 0)  # a day with nothing to count has no value
                except (KeyError, TypeError, ValueError):
                    continue  # not one day's figure
                if first_day <= day <= last_day:
                    figures[metric][day] = value
    return figures


def reviews_page(
    *, franchise: Franchise, page_token: str | None = None, deadline: float | None = None
) -> tuple[list[dict], str | None]:
    """One page of the location's reviews, newest first by updateTime (v4 `reviews.list`), and the
    next page's token (None at the end)."""
    params: dict[str, Any] = {"pageSize": REVIEWS_PAGE_SIZE, "orderBy": "updateTime desc"}
    if page_token:
        params["pageToken"] = page_token
    url = _posts_url(franchise).removesuffix("/localPosts") + "/reviews"
    data = _call(franchise, "GET", url, params=params, what=f"reviews of {franchise.name}", deadline=deadline)
    return data.get("reviews", []), data.get("nextPageToken") or None


def reviews_batch_page(
    *, franchise: Franchise, locations: list[str], page_token: str | None = None, deadline: float | None = None
) -> tuple[list[tuple[str, dict]], str | None]:
    """One page of the reviews of several locations ("accounts/{a}/locations/{l}", all of the
    account of `franchise`, whose connection asks) in one request (v4 `batchGetReviews`), newest
    first by updateTime: [(location, review)], and the next page's token."""
    if not franchise.google_account_id:
        _posts_url(franchise)  # raises the "no location picked" GbpSetupError
    account_id = _bare_id(franchise.google_account_id, "accounts/")
    url = f"{_base(POSTS_HOST)}/v4/accounts/{account_id}/locations:batchGetReviews"
    body: dict[str, Any] = {"locationNames": locations, "pageSize": REVIEWS_PAGE_SIZE, "orderBy": "updateTime desc"}
    if page_token:
        body["pageToken"] = page_token
    what = f"reviews of {len(locations)} locations of account {account_id}"
    data = _call(franchise, "POST", url, json=body, what=what, deadline=deadline, reading=True)
    items = [
        (item.get("name", ""), item["review"])
        for item in data.get("locationReviews") or []
        if isinstance(item, dict) and isinstance(item.get("review"), dict)
    ]
    return items, data.get("nextPageToken") or None


def review_get(*, franchise: Franchise, name: str, deadline: float | None = None) -> dict:
    return _call(franchise, "GET", _review_url(name), what=f"review {name}", deadline=deadline)


def review_reply_put(
    *,
    franchise: Franchise,
    name: str,
    comment: str,
    before_send: Callable[[], None] | None = None,
    deadline: float | None = None,
) -> dict:
    """Create or replace the review's reply (v4 `updateReply`, a PUT: sending it twice leaves one
    reply); Google's `ReviewReply` back (comment, updateTime, state, policyViolation)."""
    return _call(
        franchise,
        "PUT",
        _review_url(name) + "/reply",
        json={"comment": comment},
        what=f"reply to review {name}",
        before_send=before_send,
        deadline=deadline,
    )


def review_reply_delete(
    *, franchise: Franchise, name: str, before_send: Callable[[], None] | None = None, deadline: float | None = None
) -> None:
    """Delete the review's reply (v4 `deleteReply`). A reply already gone (404) is what was wanted."""
    try:
        _call(
            franchise,
            "DELETE",
            _review_url(name) + "/reply",
            what=f"reply to review {name}",
            before_send=before_send,
            deadline=deadline,
        )
    except GbpNotFoundError:
        return


def _review_url(name: str) -> str:
    if not _REVIEW_NAME.fullmatch(name or ""):
        raise GbpInvalidRequestError(f"{name!r} is not a review name (accounts/../locations/../reviews/..).")
    return f"{_base(POSTS_HOST)}/v4/{name}"


KEYWORD_PAGE_SIZE = 100  # Google's most
# At most this many pages (2,000 keywords) of one month: past them lies a long tail of keywords
# under Google's threshold, not worth a request each.
KEYWORD_MAX_PAGES = 20


@dataclass
class KeywordCount:
    """One search keyword's count in a month: `value`, or (Google hides a small count) None with
    `threshold`, the number the count is below."""

    keyword: str
    value: int | None
    threshold: int | None


@dataclass
class KeywordMonth:
    counts: list[KeywordCount]
    requests: int  # pages asked for, each a request of the quota


def search_keywords_fetch(*, franchise: Franchise, month: dt.date, deadline: float | None = None) -> KeywordMonth:
    """The location's search keywords of one month (Performance API
    `locations.searchkeywords.impressions.monthly.list`), every page up to KEYWORD_MAX_PAGES.
    Google sends counts as strings, either `value` or `threshold`; a month it has nothing for
    answers no keywords."""
    if not franchise.google_location_id:
        _posts_url(franchise)  # raises the "no location picked" GbpSetupError
    location_id = _bare_id(franchise.google_location_id, "locations/")
    url = f"{_base(PERFORMANCE_HOST)}/v1/locations/{location_id}/searchkeywords/impressions/monthly"
    params: dict[str, Any] = {"pageSize": KEYWORD_PAGE_SIZE}
    for end in ("startMonth", "endMonth"):
        params.update({f"monthlyRange.{end}.year": month.year, f"monthlyRange.{end}.month": month.month})
    what = f"search keywords of {franchise.google_location_name} in {month:%B %Y}"
    counts: list[KeywordCount] = []
    page_token, requests = None, 0
    while requests < KEYWORD_MAX_PAGES:
        query = dict(params, pageToken=page_token) if page_token else params
        data = _call(franchise, "GET", url, params=query, what=what, deadline=deadline)
        requests += 1
        for item in data.get("searchKeywordsCounts") or []:
            insight = item.get("insightsValue") or {}
            try:
                value = int(insight["value"]) if insight.get("value") is not None else None
                threshold = int(insight["threshold"]) if insight.get("threshold") is not None else None
            except (TypeError, ValueError):
                continue  # not a count
            if item.get("searchKeyword") and (value is not None or threshold is not None):
                counts.append(
                    KeywordCount(str(item["searchKeyword"])[:300], value, None if value is not None else threshold)
                )
        page_token = data.get("nextPageToken")
        if not page_token:
            break
    return KeywordMonth(counts, requests)


# ---- URLs ---------------------------------------------------------------------------------


def _base(real_host: str) -> str:
    return settings.GOOGLE_API_BASE_URL or real_host


def _bare_id(value: str, prefix: str) -> str:
    value = value.removeprefix(prefix)
    if not value or "/" in value or "?" in value or "#" in value:
        raise GbpInvalidRequestError(f"{value!r} is not a Google {prefix.rstrip('/')[:-1]} id.")
    return value


def _posts_url(franchise: Franchise) -> str:
    if not franchise.google_account_id or not franchise.google_location_id:
        raise GbpSetupError(
            f'"{franchise.name}" has no Google location picked yet: a franchise admin must pick one on the '
            "franchise page."
        )
    return f"{_base(POSTS_HOST)}/v4/{franchise.google_location_name}/localPosts"


def _location_posts_url(location: str) -> str:
    if not _LOCATION_NAME.fullmatch(location or ""):
        raise GbpInvalidRequestError(f"{location!r} is not a location name (accounts/../locations/..).")
    return f"{_base(POSTS_HOST)}/v4/{location}/localPosts"


def location_of(name: str) -> str:
    """The location ("accounts/{a}/locations/{l}") a post's name ("…/localPosts/{p}") is on."""
    return name.split("/localPosts/", 1)[0]


def _post_url(name: str) -> str:
    if not _POST_NAME.fullmatch(name or ""):
        raise GbpInvalidRequestError(f"{name!r} is not a post name (accounts/../locations/../localPosts/..).")
    return f"{_base(POSTS_HOST)}/v4/{name}"


# ---- HTTP ---------------------------------------------------------------------------------

_client_lock = threading.Lock()
_client: httpx.Client | None = None


def _http() -> httpx.Client:
    """One pooled client per process (httpx.Client is thread-safe); timeouts are set per request.
    httpx is imported here, on the first call to Google, not when the app starts."""
    import httpx

    global _client
    with _client_lock:
        if _client is None:
            _client = httpx.Client(limits=httpx.Limits(max_connections=32, max_keepalive_connections=16))
        return _client


def _timeout() -> httpx.Timeout:
    import httpx

    seconds = oauth.timeout_seconds()
    return httpx.Timeout(seconds, connect=min(seconds, 5.0))


def _paged(
    source: Franchise | GoogleConnection,
    url: str,
    key: str,
    params: dict[str, Any],
    *,
    what: str,
    deadline: float | None = None,
) -> Iterator[dict]:
    page_token = None
    for _ in range(MAX_PAGES):
        query = dict(params, pageToken=page_token) if page_token else params
        data = _call(source, "GET", url, params=query, what=what, deadline=deadline)
        yield from data.get(key, [])
        page_token = data.get("nextPageToken")
        if not page_token:
            return
    raise GbpTransientError(f"Google kept returning pages for the {what}; stopped after {MAX_PAGES}.")


def _token(source: Franchise | GoogleConnection, **kwargs) -> str:
    if isinstance(source, GoogleConnection):
        return connection_access_token_get(connection=source, **kwargs)
    return google_access_token_get(franchise=source, **kwargs)


def _call(
    source: Franchise | GoogleConnection,
    method: str,
    url: str,
    *,
    what: str,
    params: dict | None = None,
    json: Any = None,
    before_send: Callable[[], None] | None = None,
    deadline: float | None = None,
    publishing: bool = False,
    reading: bool = False,
    just_read: bool = False,
) -> dict:
    """One request to the API: a slot of the shared quota first (ahead of the other callers for
    a write of a post or a reply, or a read that serves one: `publishing`), the token of `source`
    (a franchise's connection, or a connection itself), one refresh and retry on a 401.
    `reading`: a POST that only reads (batchGetReviews), not a write."""
    writing = method in _MUTATING and not reading

    def send(token: str) -> httpx.Response:
        if not quota.shared().acquire(
            deadline=deadline, publishing=publishing or (method in _PUBLISHING and not reading)
        ):
            raise quota.QuotaDeadline
        if before_send is not None:
            before_send()
        return _send(method, url, token, params=params, json=json, what=what)

    token = _token(source, deadline=deadline, **({"just_read": True} if just_read else {}))
    answer = send(token)
    if answer.status_code == 401:
        # The token died early (revoked access token, clock skew): refresh once and retry once.
        token = _token(source, force_refresh=True, rejected_token=token, deadline=deadline)
        answer = send(token)
        if answer.status_code == 401:
            raise GbpTransientError(f"Google refused a freshly refreshed access token for the {what} (401).")
    if answer.status_code == 429:
        # Past the project's quota: every process holds back until Google's Retry-After.
        error = error_from_response(answer, method=method, what=what)
        if isinstance(error, GbpRateLimitedError):
            quota.shared().pause(error.retry_after or QUOTA_PAUSE_SECONDS)
        raise error
    if answer.is_success:
        # A create or patch that succeeded says what Google made of it; one that answers nothing
        # readable may have been applied all the same.
        if not answer.content:
            if writing:
                raise GbpTransientError(
                    f"Google answered the {what} with HTTP {answer.status_code} and no body; it may have been applied.",
                    maybe_applied=True,
                )
            return {}
        try:
            data = answer.json()
        except ValueError:
            raise GbpTransientError(
                f"Google answered the {what} with HTTP {answer.status_code} but not JSON: {_page_text(answer)}",
                maybe_applied=writing,
            ) from None
        if not isinstance(data, dict) or (method == "POST" and writing and not data.get("name")):
            raise GbpTransientError(
                f"Google answered the {what} with HTTP {answer.status_code} but no resource name; it may have been "
                "applied.",
                maybe_applied=writing,
            )
        return data
    raise error_from_response(answer, method=method, what=what)


def _send(method: str, url: str, token: str, *, params: dict | None, json: Any, what: str) -> httpx.Response:
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    try:
        return _http().request(method, url, params=params, json=json, headers=headers, timeout=_timeout())
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise GbpTransientError(f"Could not reach Google for the {what} ({type(exc).__name__}).") from None
    except (httpx.WriteError, httpx.WriteTimeout) as exc:
        # The request never left in full, so Google cannot have acted on it.
        raise GbpTransientError(f"Sending the {what} to Google failed ({type(exc).__name__}).") from None
    except (httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError) as exc:
        raise GbpTransientError(
            f"Google did not answer the {what} ({type(exc).__name__} after "
            f"{oauth.timeout_seconds():g} s); it may or may not have been applied.",
            maybe_applied=True,
        ) from None
    except httpx.HTTPError as exc:
        raise GbpTransientError(f"HTTP error talking to Google for the {what} ({type(exc).__name__}).") from None


# ---- errors -------------------------------------------------------------------------------


def error_from_response(answer: httpx.Response, *, method: str, what: str) -> GbpError:
    """Google's error answer as one of our typed errors, with a message a person can act on."""
    status = answer.status_code
    error = _google_error(answer)
    message = error.get("message") or ""
    if not message or message.rstrip(".").lower() == "unknown error":
        message = f"HTTP {status} {answer.reason_phrase}".strip()
    details = error.get("details") or []
    reasons = {d.get("reason") for d in details if isinstance(d, dict)}
    metadata: dict[str, Any] = {}
    for d in details:
        if isinstance(d, dict) and isinstance(d.get("metadata"), dict):
            metadata.update(d["metadata"])
    google_status = error.get("status") or ""
    label = f"{status} {google_status}".strip()

    if status == 400:
        extra = _violations(details)
        return GbpInvalidRequestError(f"Google rejected the {what} ({label}): {message}{extra}")
    if status in (403, 429) and metadata.get("quota_limit_value") == "0":
        return GbpSetupError(
            f"Google's quota for {metadata.get('service', 'the Business Profile API')} is 0 requests: this Google "
            f"Cloud project was never granted Business Profile API access. Request access at {API_ACCESS_URL} "
            f"({label}: {message})"
        )
    if status == 403:
        return _forbidden(reasons, metadata, message, label, what)
    if status == 404:
        target = f"{what} or its location" if what.startswith("post ") else "location"
        return GbpNotFoundError(
            f"Google could not find the {target} ({label}: {message}). The location may have been removed or the "
            "connected Google account lost access to it: pick the location again on the franchise page."
        )
    if status == 429:
        return GbpRateLimitedError(
            f"Google's rate limit was hit for the {what} ({label}: {message}).",
            retry_after=_retry_after(answer.headers.get("Retry-After")),
        )
    if status >= 500 or status in (408, 425):
        return GbpTransientError(
            f"Google failed the {what} for now ({label}: {message}).",
            maybe_applied=status >= 500 and method in _MUTATING,
        )
    return GbpInvalidRequestError(f"Google refused the {what} ({label}: {message}).")


def _forbidden(reasons: set, metadata: dict, message: str, label: str, what: str) -> GbpError:
    if "SERVICE_DISABLED" in reasons or "has not been used in project" in message:
        title = metadata.get("serviceTitle") or metadata.get("service") or "A Business Profile API"
        where = metadata.get("activationUrl") or "the Google Cloud console (APIs & Services)"
        return GbpSetupError(
            f"{title} is disabled for this site's Google Cloud project: enable it at {where}, wait a few "
            f"minutes, then retry ({label})."
        )
    if "ACCESS_TOKEN_SCOPE_INSUFFICIENT" in reasons:
        return GbpSetupError(
            "The Google connection lacks permission to manage the Business Profile: connect again and allow "
            f"'manage your business listings' on Google's consent screen ({label})."
        )
    return GbpPermissionDeniedError(
        f"Google denied permission for the {what} ({label}: {message}). Check that the connected Google "
        "account manages this location, that the Business Profile APIs are enabled for the Google Cloud "
        f"project, and that the project was granted API access ({API_ACCESS_URL})."
    )


def _google_error(answer: httpx.Response) -> dict[str, Any]:
    try:
        data = answer.json()
    except ValueError:
        return {"message": f"HTTP {answer.status_code} {answer.reason_phrase}, {_page_text(answer)}".strip(", ")}
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return error
    if isinstance(error, str):  # OAuth-style {"error": "...", "error_description": "..."}
        return {"message": f"{error}: {data.get('error_description', '')}".rstrip(": ")}
    return {}


def _page_text(answer: httpx.Response) -> str:
    """A readable line from a non-JSON (HTML) error page: its title, else its first words."""
    text = answer.text or ""
    title = re.search(r"<title[^>]*>(.*?)</title>", text, re.I | re.S)
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", text, re.I | re.S)
    raw = (title or heading).group(1) if (title or heading) else re.sub(r"<[^>]+>", " ", text)
    line = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())[:200]
    content_type = answer.headers.get("Content-Type", "").split(";")[0] or "no content type"
    return f'a non-JSON page ({content_type}): "{line}"' if line else f"an empty {content_type} body"


def _violations(details: list) -> str:
    found: list[str] = []
    for d in details:
        if not isinstance(d, dict):
            continue
        for v in d.get("fieldViolations") or []:
            found.append(f"{v.get('field')}: {v.get('description')}")
        for e in d.get("errorDetails") or []:
            found.append(f"{e.get('field', '')}: {e.get('message', '')}".strip(": "))
    return (" — " + "; ".join(found)) if found else ""


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
