"""Python client for the sandbox's control API (stdlib only, usable from any process).

from sandbox.client import SandboxClient
sb = SandboxClient("http://127.0.0.1:8765")
tokens = sb.grant()                       # {"refresh_token", "access_token", ...}
sb.fail("posts.create", status=503, times=2)
sb.hang("messages", seconds=5)
sb.drop("posts.create", after_commit=True)
sb.counters()["posts.create"]["total"]
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from .state import DEFAULT_ANTHROPIC_KEY, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET


class SandboxError(RuntimeError):
    pass


class SandboxClient:
    client_id = DEFAULT_CLIENT_ID
    client_secret = DEFAULT_CLIENT_SECRET
    anthropic_key = DEFAULT_ANTHROPIC_KEY

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        # No proxies: the sandbox is on loopback, and an HTTP_PROXY in the environment must not reroute it.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body or {}).encode() if method != "GET" else None
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise SandboxError(f"{method} {path}: {exc.code} {exc.read().decode(errors='replace')}") from exc

    # ---- state -------------------------------------------------------------------------
    def health(self) -> bool:
        return bool(self._call("GET", "/_sandbox/health").get("ok"))

    def reset(self, seed: str = "demo") -> None:
        """Forget everything (posts, tokens, faults, counters) and load the seed ('demo' or 'empty')."""
        self._call("POST", "/_sandbox/reset", {"seed": seed})

    def counters(self) -> dict[str, Any]:
        """{route kind: {"total": n, "by_status": {"200": n, "429": n, "hang": n, "drop": n}}}."""
        return self._call("GET", "/_sandbox/counters")["calls"]

    def max_in_flight(self, kind: str) -> int:
        """The most requests of `kind` the sandbox was answering at once."""
        return self.counters().get(kind, {}).get("max_in_flight", 0)

    def calls(self, kind: str, status: int | str | None = None) -> int:
        entry = self.counters().get(kind, {"total": 0, "by_status": {}})
        return entry["total"] if status is None else entry["by_status"].get(str(status), 0)

    def posts(self, *, include_deleted: bool = True, after_id: int = 0) -> list[dict[str, Any]]:
        """Every post ever created (`after_id`: only those created after the post of that id): name,
        id, account_id, location_id, summary, topic_type, deleted, removed_by_owner, state (Google's),
        body."""
        items = self._call("GET", "/_sandbox/posts" + (f"?after_id={after_id}" if after_id else ""))["posts"]
        return items if include_deleted else [p for p in items if not p["deleted"]]

    # ---- Google's side of a post ---------------------------------------------------------
    def set_post_state(self, post: str, state: str) -> dict[str, Any]:
        """Google's review puts the post (its name, or bare id) in `state`: REJECTED, PROCESSING
        or LIVE. `list` and `get` report it from then on."""
        return self._call("POST", f"/_sandbox/posts/{post.rsplit('/', 1)[-1]}/state", {"state": state})

    def reject_post(self, post: str) -> dict[str, Any]:
        """Google rejects the post (a content policy violation): its state becomes REJECTED."""
        return self.set_post_state(post, "REJECTED")

    def remove_post(self, post: str) -> dict[str, Any]:
        """The location's owner deletes the post in Google's own interface: the API no longer has it."""
        return self._call("POST", f"/_sandbox/posts/{post.rsplit('/', 1)[-1]}/remove")

    def set_post_review(self, seconds: float) -> None:
        """New posts are PROCESSING (in Google's review) for `seconds`, then LIVE (0: LIVE at once)."""
        self._call("POST", "/_sandbox/posts/config", {"review_seconds": seconds})

    def set_media_hosts(self, hosts: list[str], *, timeout: float | None = None) -> None:
        """Hosts besides loopback whose photos the sandbox fetches at create time (others are
        taken on trust); `timeout`: seconds a fetch may take."""
        body: dict[str, Any] = {"hosts": hosts}
        if timeout is not None:
            body["timeout"] = timeout
        self._call("POST", "/_sandbox/media/config", body)

    def media_fetches(self) -> list[dict[str, Any]]:
        """The photos fetched at create time, oldest first (the latest 200): url, status,
        content_type, bytes, image ("image/jpeg" | "image/png" | None), ok."""
        return self._call("GET", "/_sandbox/media/fetches")["fetches"]

    # ---- faults ------------------------------------------------------------------------
    def fail(
        self,
        route: str,
        status: int = 500,
        *,
        times: int = 1,
        retry_after: int | None = None,
        message: str | None = None,
        after_commit: bool = False,
    ) -> None:
        """The next `times` calls to `route` answer `status` in the service's error shape
        (with `message` instead of the usual text, when given); with after_commit the work
        (e.g. the create) is done first, as by a backend that failed only its answer."""
        self._call(
            "POST",
            "/_sandbox/faults",
            {
                "route": route,
                "action": "status",
                "status": status,
                "retry_after": retry_after,
                "times": times,
                "message": message,
                "after_commit": after_commit,
            },
        )

    def garble(self, route: str, *, times: int = 1) -> None:
        """The next calls do their work, then answer 200 with an HTML page instead of JSON."""
        self._call("POST", "/_sandbox/faults", {"route": route, "action": "garble", "times": times})

    def hang(self, route: str, seconds: float = 30.0, *, times: int = 1, after_commit: bool = False) -> None:
        """The next calls hold the connection `seconds` without answering, then close it; with
        after_commit the work (e.g. the create) happens first, as when an answer is lost."""
        self._call(
            "POST",
            "/_sandbox/faults",
            {"route": route, "action": "hang", "seconds": seconds, "times": times, "after_commit": after_commit},
        )

    def drop(self, route: str, *, after_commit: bool = True, times: int = 1) -> None:
        """Close the connection without answering; with after_commit the work (e.g. the create) happens first."""
        self._call(
            "POST", "/_sandbox/faults", {"route": route, "action": "drop", "after_commit": after_commit, "times": times}
        )

    def chaos(self, route: str, p: float, *, seed: int = 0, mix: list[dict[str, Any]] | None = None) -> None:
        """Fail a share `p` of calls with a seeded mix (default: 429, 500, 503, 30 s hang, drop after commit)."""
        self._call("POST", "/_sandbox/chaos", {"route": route, "p": p, "seed": seed, "mix": mix})

    def latency(self, seconds: float, route: str | None = None) -> None:
        self._call("POST", "/_sandbox/latency", {"seconds": seconds, "route": route})

    def clear_faults(self) -> None:
        """Drop queued faults, chaos and latency (state and counters stay)."""
        self._call("DELETE", "/_sandbox/faults")

    # ---- Google OAuth ------------------------------------------------------------------
    def grant(
        self, client_id: str | None = None, scope: str | None = None, *, user: str | None = None
    ) -> dict[str, Any]:
        """A connected grant without the browser: refresh_token, access_token, expires_in, scope,
        token_type, and who granted it (google_user_id, email). `user`: a Google account other
        than the sandbox's default one."""
        body: dict[str, Any] = {"client_id": client_id or self.client_id, "user": user}
        if scope:
            body["scope"] = scope
        return self._call("POST", "/_sandbox/oauth/grant", body)

    def revoke(self, token: str | None = None, *, client_id: str | None = None) -> int:
        """Revoke one token (a refresh token takes its access tokens along) or every token of a client."""
        return self._call("POST", "/_sandbox/oauth/revoke", {"token": token, "client_id": client_id})["revoked"]

    def expire_access_tokens(self, token: str | None = None) -> int:
        return self._call("POST", "/_sandbox/oauth/expire", {"token": token})["expired"]

    def set_access_token_lifetime(self, seconds: int) -> None:
        self._call("POST", "/_sandbox/oauth/config", {"access_token_lifetime": seconds})

    def add_oauth_client(self, client_id: str, client_secret: str, redirect_uris: list[str] | None = None) -> None:
        self._call(
            "POST",
            "/_sandbox/oauth/clients",
            {"client_id": client_id, "client_secret": client_secret, "redirect_uris": redirect_uris or []},
        )

    # ---- GBP data ----------------------------------------------------------------------
    def add_account(
        self,
        name: str = "Test Account",
        *,
        locations: int | list[dict[str, Any]] = 0,
        account_id: str | None = None,
        type: str = "LOCATION_GROUP",
        managers: list[str] | None = None,
    ) -> dict[str, Any]:
        """Create an account with N generated locations (or the given specs: location_id, title,
        website, phone, city, store_code, can_post, verified, keywords), managed by the Google users
        `managers` (None: by everyone). Returns {"account_id", "location_ids"}."""
        return self._call(
            "POST",
            "/_sandbox/accounts",
            {"name": name, "locations": locations, "account_id": account_id, "type": type, "managers": managers},
        )

    def set_account_managers(self, account_id: str, users: list[str]) -> None:
        """From now on only these Google users manage the account (empty: everyone); the others
        get 403 PERMISSION_DENIED for its locations and posts, as from Google."""
        self._call("POST", f"/_sandbox/accounts/{account_id}/managers", {"users": users})

    def disable_location(self, location_id: str, disabled: bool = True) -> None:
        """Posts calls for this location answer 403 SERVICE_DISABLED."""
        self._call("POST", f"/_sandbox/locations/{location_id}/disabled", {"disabled": disabled})

    def set_location_rights(
        self, location_id: str, *, can_post: bool | None = None, verified: bool | None = None
    ) -> None:
        """Google's metadata of the location: canOperateLocalPost and hasVoiceOfMerchant. A location
        that cannot post answers a new post with 400 FAILED_PRECONDITION."""
        body = {key: value for key, value in (("can_post", can_post), ("verified", verified)) if value is not None}
        self._call("POST", f"/_sandbox/locations/{location_id}/rights", body)

    def deprecations(self) -> list[dict[str, Any]]:
        """The latest uses of deprecated values Google still takes: {"api", "enum", "value",
        "deprecated", "removed"}."""
        return self._call("GET", "/_sandbox/deprecations")["deprecations"]

    def set_post_days(self, location_id: str, days: list) -> None:
        """Days (dates or ISO strings) the location posted before the sandbox knew it: its
        Performance figures rise in the week after each."""
        self._call("POST", f"/_sandbox/locations/{location_id}/post-days", {"days": [str(day) for day in days]})

    def add_past_post(self, location_id: str, summary: str, created) -> str:
        """A LIVE post the location made at `created` (an aware datetime), before the sandbox
        started; its name. Figures rise in the week after it like after any post."""
        body = {"summary": summary, "created": created.isoformat()}
        return self._call("POST", f"/_sandbox/locations/{location_id}/past-posts", body)["name"]

    def set_figure(self, location_id: str, metric: str, day, value: int) -> None:
        """One daily Performance figure set outright (as when Google revises a day)."""
        self._call(
            "POST", f"/_sandbox/locations/{location_id}/figures", {"metric": metric, "day": str(day), "value": value}
        )

    def performance_requests(self) -> list[dict[str, Any]]:
        """The latest Performance requests: {"location_id", "start", "end", "metrics"}."""
        return self._call("GET", "/_sandbox/performance/requests")["requests"]

    def keyword_requests(self) -> list[dict[str, Any]]:
        """The latest search keyword requests: {"location_id", "start", "end"} (months, ISO)."""
        return self._call("GET", "/_sandbox/performance/keyword-requests")["requests"]

    def quota_refusals(self) -> list[dict[str, Any]]:
        """What the window held at each 429 of the quota (sandbox/gbp.py: quota_count)."""
        return self._call("GET", "/_sandbox/quota/refusals")["refusals"]

    def set_quota(self, per_minute: int | None, service: str | None = None, *, window_seconds: float = 60) -> None:
        """Requests/minute for one Google service (or all); 0 = never granted, None = unlimited.
        `window_seconds`: count over a shorter window (the limit scaled to it), so a test sees a
        burst above the rate within seconds."""
        self._call(
            "POST",
            "/_sandbox/quota",
            {"per_minute": per_minute, "service": service, "window_seconds": window_seconds},
        )

    # ---- Anthropic ---------------------------------------------------------------------
    def script_messages(self, *replies: dict[str, Any]) -> None:
        """Queue the next replies of /v1/messages (and of batch requests): {"text": s} | {"json": obj}
        | {"content": [blocks]}, each optionally with "stop_reason" and "usage" (the token counts
        to report instead of the counted ones)."""
        self._call("POST", "/_sandbox/anthropic/script", {"replies": list(replies)})

    def set_anthropic_key(self, api_key: str | None) -> None:
        """Accept only this key (None: any key starting with 'sk-ant-')."""
        self._call("POST", "/_sandbox/anthropic/config", {"api_key": api_key})

    def anthropic_requests(self) -> list[dict[str, Any]]:
        """The last 200 /v1/messages bodies received, each with '_auth': 'bearer' | 'x-api-key'."""
        return self._call("GET", "/_sandbox/anthropic/requests")["requests"]

    def anthropic_usage(self) -> dict[str, dict[str, int]]:
        """Token totals the Anthropic endpoints reported, per tier: {"standard"|"batch": {"requests",
        "input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"}}."""
        return self._call("GET", "/_sandbox/anthropic/usage")["usage"]

    # ---- Anthropic Message Batches -----------------------------------------------------
    def batch_config(
        self, *, delay_seconds: float | None = None, error_rate: float | None = None, seed: int = 0
    ) -> None:
        """Seconds from creation until a batch has ended (0: at once); a seeded share of requests
        that end `errored` (api_error)."""
        body: dict[str, Any] = {"seed": seed}
        if delay_seconds is not None:
            body["delay_seconds"] = delay_seconds
        if error_rate is not None:
            body["error_rate"] = error_rate
        self._call("POST", "/_sandbox/anthropic/batches/config", body)

    def script_batch_outcomes(self, *outcomes: dict[str, Any]) -> None:
        """What the next batch requests (in order) end as: {"type": "succeeded"} (a normal or
        scripted reply), {"type": "errored", "error_type": "api_error", "message": ...},
        {"type": "expired"} or {"type": "canceled"}."""
        self._call("POST", "/_sandbox/anthropic/batches/outcomes", {"outcomes": list(outcomes)})

    def expire_batches(self, batch_id: str | None = None) -> int:
        """End a batch (every unfinished one) now, as at the 24-hour limit: its requests `expired`."""
        return self._call("POST", "/_sandbox/anthropic/batches/expire", {"batch_id": batch_id})["expired"]

    def finish_batches(self, batch_id: str | None = None) -> int:
        """Let a batch (every unfinished one) end now, as if its delay had passed."""
        return self._call("POST", "/_sandbox/anthropic/batches/finish", {"batch_id": batch_id})["finished"]

    def forget_batches(self, batch_id: str | None = None) -> int:
        """Lose a batch (every one): the API answers 404 for it from now on."""
        return self._call("POST", "/_sandbox/anthropic/batches/forget", {"batch_id": batch_id})["forgotten"]

    def batches(self) -> list[dict[str, Any]]:
        """Every batch: {"id", "custom_ids", "ended", "results": {custom_id: result type}}."""
        return self._call("GET", "/_sandbox/anthropic/batches")["batches"]

    # ---- reviews -----------------------------------------------------------------------
    def add_review(
        self,
        location_id: str,
        *,
        stars: int = 5,
        comment: str = "",
        reviewer: str = "A customer",
        anonymous: bool = False,
        create_time: Any = None,
        reply: str | None = None,
    ) -> dict[str, Any]:
        """A customer reviews the location; the review as `reviews()` lists it (`name`, `id`, ...)."""
        body = {"location_id": location_id, "stars": stars, "comment": comment, "reviewer": reviewer}
        body.update(anonymous=anonymous, create_time=create_time, reply=reply)
        return self._call("POST", "/_sandbox/reviews", body)

    def add_reviews(self, locations: list[str], per_location: int) -> int:
        """`per_location` made-up reviews on each location, spread over the last year."""
        return self._call("POST", "/_sandbox/reviews", {"locations": locations, "per_location": per_location})["added"]

    def reviews(self) -> list[dict[str, Any]]:
        """Every review: name, id, location_id, reviewer, stars, comment, deleted, reply, reply_state,
        violation, update_time."""
        return self._call("GET", "/_sandbox/reviews")["reviews"]

    def edit_review(self, review: str, *, stars: int | None = None, comment: str | None = None) -> dict[str, Any]:
        body = {k: v for k, v in {"stars": stars, "comment": comment}.items() if v is not None}
        return self._call("POST", f"/_sandbox/reviews/{review.rsplit('/', 1)[-1]}/edit", body)

    def remove_review(self, review: str) -> dict[str, Any]:
        return self._call("POST", f"/_sandbox/reviews/{review.rsplit('/', 1)[-1]}/remove")

    def reject_reply(self, review: str, violation: str = "Off-topic or irrelevant content") -> dict[str, Any]:
        """Google's moderation rejects the review's reply for breaking `violation`."""
        return self.set_reply_state(review, "REJECTED", violation=violation)

    def set_reply_state(self, review: str, state: str, *, violation: str = "") -> dict[str, Any]:
        body = {"state": state, "violation": violation}
        return self._call("POST", f"/_sandbox/reviews/{review.rsplit('/', 1)[-1]}/reply-state", body)

    def set_reply_review(self, seconds: float) -> None:
        """New replies stay PENDING (in Google's moderation) this long, then APPROVED."""
        self._call("POST", "/_sandbox/reviews/config", {"reply_review_seconds": seconds})
