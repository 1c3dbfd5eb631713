"""In-memory state of the sandbox, guarded by one lock.

Every handler thread reads and writes through a single `State` under `state.lock`; the
server never holds the lock while sleeping (latency, hangs), so slow faults do not serialise
other clients. Only durable data (accounts, locations, posts, OAuth grants) is persisted to
the optional JSON state file; faults, counters and scripted replies are per-run.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import threading
import time
from collections import Counter, defaultdict, deque
from dataclasses import asdict, dataclass, field
from typing import Any

DEFAULT_CLIENT_ID = "sandbox-client.apps.googleusercontent.com"
DEFAULT_CLIENT_SECRET = "sandbox-client-secret"
DEFAULT_ANTHROPIC_KEY = "sk-ant-sandbox-key"
SANDBOX_USER = "owner@sandbox.example"
DEFAULT_TOKEN_LIFETIME = 3600
# Google keeps at most 100 live refresh tokens per client and user; the 101st kills the oldest.
MAX_REFRESH_TOKENS_PER_GRANT = 100


def rfc3339(ts: float) -> str:
    """Google's output format: UTC, 'Z', fractional seconds only when present."""
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts))
    micros = int(ts * 1_000_000) % 1_000_000  # truncate: rounding could carry into the seconds
    if micros:
        text += f".{micros:06d}"
    return text + "Z"


@dataclass
class Account:
    id: str
    account_name: str
    type: str = "LOCATION_GROUP"
    # The Google users who manage it. Empty: everyone (the demo's and most tests' accounts). Real
    # Google shows a user only the accounts they manage and answers 403 PERMISSION_DENIED for the
    # locations and posts of any other: after a franchise moves to another Google account, the
    # old account's posts are out of its reach.
    managers: list[str] = field(default_factory=list)

    def managed_by(self, user: str) -> bool:
        return not self.managers or user in self.managers


@dataclass
class Location:
    id: str
    account_id: str
    title: str
    website: str = ""
    phone: str = ""
    city: str = ""
    store_code: str = ""
    disabled: bool = False
    # Days (ISO) the location posted before the sandbox knew it (the demo's history, a test's):
    # its Performance figures rise after them as after its posts here (sandbox/performance.py).
    post_days: list[str] = field(default_factory=list)
    # Google's metadata: whether the location may take local posts (canOperateLocalPost) and is
    # verified (hasVoiceOfMerchant). A location that cannot post refuses a new one.
    can_post: bool = True
    verified: bool = True
    # What people search for that finds it (the search keywords' topics); empty: from its title.
    keywords: list[str] = field(default_factory=list)


@dataclass
class Post:
    id: str
    account_id: str
    location_id: str
    body: dict[str, Any]
    create_time: float
    update_time: float
    deleted: bool = False
    # Google's review: "" follows the post's schedule (LIVE, or SCHEDULED before its
    # scheduledTime); otherwise the state the control API set (REJECTED, PROCESSING, LIVE).
    state: str = ""
    # Until this time (seconds since the epoch) a new post is PROCESSING, in review.
    review_until: float = 0.0
    # Deleted by the location's owner in Google's own interface, not through the API.
    removed_by_owner: bool = False

    @property
    def name(self) -> str:
        return f"accounts/{self.account_id}/locations/{self.location_id}/localPosts/{self.id}"


@dataclass
class Review:
    """A customer's review of a location, and the owner's reply with Google's moderation of it."""

    id: str
    account_id: str
    location_id: str
    reviewer: str
    stars: int  # 1..5
    comment: str
    create_time: float
    update_time: float
    anonymous: bool = False
    deleted: bool = False  # taken down (by its author or by Google): gone from the API
    reply: str | None = None
    reply_time: float = 0.0
    # Google's moderation of the reply: "" follows reply_review_seconds (PENDING, then APPROVED);
    # otherwise what the control API set (REJECTED with `violation`, PENDING, APPROVED).
    reply_state: str = ""
    reply_review_until: float = 0.0
    violation: str = ""

    @property
    def name(self) -> str:
        return f"accounts/{self.account_id}/locations/{self.location_id}/reviews/{self.id}"


@dataclass
class OAuthClient:
    client_id: str
    client_secret: str
    # Empty means "any http(s) redirect URI": apps under test run on random ports.
    redirect_uris: list[str] = field(default_factory=list)


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: str
    challenge: str
    challenge_method: str
    issue_refresh: bool
    expires_at: float


@dataclass
class RefreshToken:
    token: str
    client_id: str
    user: str
    scope: str
    created_at: float
    revoked: bool = False


@dataclass
class AccessToken:
    token: str
    client_id: str
    user: str
    scope: str
    expires_at: float
    refresh_token: str | None = None
    revoked: bool = False


@dataclass
class Fault:
    """One queued fault: action is 'status', 'hang', or 'drop'."""

    action: str
    status: int = 500
    retry_after: int | None = None
    seconds: float = 0.0
    # drop and hang: do the work (e.g. create the post) and then withhold the answer.
    after_commit: bool = False
    # status only: the error message to answer with (else the service's usual one).
    message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class MessageBatch:
    """One Message Batch: its requests until it ends, then one result per request."""

    id: str
    requests: list[dict[str, Any]]
    created_at: float
    ready_at: float  # processing ends at this time (created_at + the configured delay)
    ended_at: float | None = None
    cancel_initiated_at: float | None = None
    results: list[dict[str, Any]] | None = None  # {"custom_id", "result"} once ended


@dataclass
class Chaos:
    p: float
    mix: list[Fault]
    rng: Any  # random.Random, seeded so a chaos run is reproducible


class State:
    def __init__(self, state_file: str | None = None, seed: str = "demo") -> None:
        self.lock = threading.RLock()
        self.state_file = state_file
        self.reset(seed)
        if state_file and os.path.exists(state_file):
            self.load(state_file)

    # ---- lifecycle -------------------------------------------------------------------
    def reset(self, seed: str = "demo") -> None:
        with self.lock:
            self.accounts: dict[str, Account] = {}
            self.locations: dict[str, Location] = {}
            self.posts: dict[str, Post] = {}
            self.reviews: dict[str, Review] = {}
            self.reply_review_seconds = 0.0  # how long a new reply stays PENDING (moderation)
            self.clients: dict[str, OAuthClient] = {
                DEFAULT_CLIENT_ID: OAuthClient(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
            }
            self.codes: dict[str, AuthCode] = {}
            self.refresh_tokens: dict[str, RefreshToken] = {}
            self.access_tokens: dict[str, AccessToken] = {}
            self.consented: set[tuple[str, str]] = set()
            self.token_lifetime = DEFAULT_TOKEN_LIFETIME
            # Requests-per-minute quota per Google service; None = unlimited, 0 = never granted.
            self.quota: dict[str, int | None] = {}
            self.quota_window: dict[str, list[tuple[float, str]]] = defaultdict(list)
            self.quota_refusals: list[dict] = []  # what each 429's window held (gbp.quota_count)
            # The quota is counted over this many seconds (60: Google's per-minute window); a
            # shorter window (the limit scaled down to it) lets a test see a burst in seconds.
            self.quota_seconds: dict[str, float] = {}
            self.anthropic_key: str | None = None  # None: any key starting with "sk-ant-"
            self.scripted: deque[dict[str, Any]] = deque()
            self.prompt_cache: dict[str, float] = {}
            self.anthropic_requests: deque[dict[str, Any]] = deque(maxlen=200)
            # {"standard"|"batch": {"requests", "input_tokens", "output_tokens", "cache_...": n}}
            self.anthropic_usage: defaultdict[str, Counter[str]] = defaultdict(Counter)
            # Message Batches (not persisted: a restarted sandbox has lost them, as a test may want).
            self.batches: dict[str, MessageBatch] = {}
            self.batch_delay = 0.0  # seconds from creation until a batch has ended
            self.batch_outcomes: deque[dict[str, Any]] = deque()  # scripted per-request outcomes
            self.batch_error_rate = 0.0  # share of requests that end `errored` (api_error), seeded
            self.batch_rng = random.Random(0)
            self.faults: dict[str, deque[Fault]] = defaultdict(deque)
            self.chaos: dict[str, Chaos] = {}
            self.latency: dict[str, float] = {}  # route kind (or "*") -> seconds
            self.calls: Counter[tuple[str, str]] = Counter()
            # Requests being answered right now, and the most at once, per route kind.
            self.in_flight: Counter[str] = Counter()
            self.max_in_flight: Counter[str] = Counter()
            # Photos Google fetches from a new post's media sourceUrl: which hosts the sandbox may
            # fetch from besides loopback (the network guard of the tests allows only 127.0.0.1),
            # how long it waits, what it fetched (the latest 200), and how long a new post stays
            # PROCESSING (in review) before it is LIVE.
            self.media_hosts: set[str] = set()
            self.media_fetch_timeout = 3.0
            self.media_fetches: deque[dict[str, Any]] = deque(maxlen=200)
            self.post_review_seconds = 0.0
            # Performance API: figures set by the control API ({location: {"METRIC|day": value}})
            # and the latest requests' ranges (what a test asks about the job's fetching).
            self.figures: dict[str, dict[str, int]] = defaultdict(dict)
            self.performance_requests: deque[dict[str, Any]] = deque(maxlen=5000)
            self.keyword_requests: deque[dict[str, Any]] = deque(maxlen=5000)
            # Uses of deprecated enum values Google still takes (sandbox/reference.py), the latest 200.
            self.deprecations: deque[dict[str, Any]] = deque(maxlen=200)
            self.next_id = 1000
            if seed == "demo":
                self._seed_demo()

    def new_id(self) -> str:
        with self.lock:
            self.next_id += 1
            return str(self.next_id)

    def _seed_demo(self) -> None:
        demo = [
            (
                "1001",
                "Sunrise Bakery Group",
                [
                    ("2001", "Sunrise Bakery Downtown", "https://sunrise-bakery.example", "Portland"),
                    ("2002", "Sunrise Bakery Eastside", "https://sunrise-bakery.example", "Portland"),
                    ("2003", "Sunrise Bakery Riverside", "https://sunrise-bakery.example", "Salem"),
                ],
            ),
            (
                "1002",
                "Harbor Fitness",
                [
                    ("2101", "Harbor Fitness Marina", "https://harbor-fitness.example", "Seattle"),
                    ("2102", "Harbor Fitness Uptown", "https://harbor-fitness.example", "Seattle"),
                ],
            ),
            (
                "1003",
                "Green Leaf Cafe",
                [("2201", "Green Leaf Cafe", "https://greenleaf-cafe.example", "Eugene")],
            ),
        ]
        for account_id, account_name, locations in demo:
            self.accounts[account_id] = Account(account_id, account_name)
            for loc_id, title, website, city in locations:
                self.locations[loc_id] = Location(
                    loc_id, account_id, title, website, "+1 503-555-0100", city, f"S{loc_id}"
                )
        self.next_id = 5000

    # ---- tokens ----------------------------------------------------------------------
    def issue_access_token(self, client_id: str, user: str, scope: str, refresh: str | None) -> AccessToken:
        token = AccessToken(
            "ya29.sandbox-" + secrets.token_urlsafe(24),
            client_id,
            user,
            scope,
            time.time() + self.token_lifetime,
            refresh,
        )
        self.access_tokens[token.token] = token
        return token

    def issue_refresh_token(self, client_id: str, user: str, scope: str) -> RefreshToken:
        token = RefreshToken("1//sandbox-" + secrets.token_urlsafe(32), client_id, user, scope, time.time())
        self.refresh_tokens[token.token] = token
        live = [
            t for t in self.refresh_tokens.values() if t.client_id == client_id and t.user == user and not t.revoked
        ]
        for old in sorted(live, key=lambda t: t.created_at)[:-MAX_REFRESH_TOKENS_PER_GRANT]:
            self.revoke_refresh(old)
        return token

    def revoke_refresh(self, token: RefreshToken) -> None:
        token.revoked = True
        for access in self.access_tokens.values():
            if access.refresh_token == token.token:
                access.revoked = True

    def valid_access_token(self, token: str) -> AccessToken | None:
        access = self.access_tokens.get(token)
        if access is None or access.revoked or access.expires_at <= time.time():
            return None
        return access

    # ---- counters --------------------------------------------------------------------
    def count(self, kind: str, status: int | str) -> None:
        with self.lock:
            self.calls[(kind, str(status))] += 1

    def counters(self) -> dict[str, Any]:
        with self.lock:
            out: dict[str, dict[str, Any]] = {}
            for (kind, status), n in sorted(self.calls.items()):
                entry = out.setdefault(kind, {"total": 0, "by_status": {}})
                entry["total"] += n
                entry["by_status"][status] = n
            for kind, most in self.max_in_flight.items():
                out.setdefault(kind, {"total": 0, "by_status": {}})["max_in_flight"] = most
            return out

    def enter(self, kind: str) -> None:
        with self.lock:
            self.in_flight[kind] += 1
            self.max_in_flight[kind] = max(self.max_in_flight[kind], self.in_flight[kind])

    def leave(self, kind: str) -> None:
        with self.lock:
            self.in_flight[kind] -= 1

    # ---- persistence -----------------------------------------------------------------
    _DURABLE = {
        "accounts": Account,
        "locations": Location,
        "posts": Post,
        "reviews": Review,
        "clients": OAuthClient,
        "refresh_tokens": RefreshToken,
        "access_tokens": AccessToken,
    }

    def to_dict(self) -> dict[str, Any]:
        with self.lock:
            data: dict[str, Any] = {
                name: {k: asdict(v) for k, v in getattr(self, name).items()} for name in self._DURABLE
            }
            data["consented"] = sorted(list(pair) for pair in self.consented)
            data["next_id"] = self.next_id
            data["token_lifetime"] = self.token_lifetime
            return data

    def save(self) -> None:
        if not self.state_file:
            return
        # Under the lock for the whole write: concurrent saves would race on the temp file.
        with self.lock:
            data = self.to_dict()
            tmp = f"{self.state_file}.tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=1)
            os.replace(tmp, self.state_file)  # atomic, so a crash never leaves half a file

    def load(self, path: str) -> None:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        with self.lock:
            for name, cls in self._DURABLE.items():
                setattr(self, name, {k: cls(**v) for k, v in data.get(name, {}).items()})
            self.consented = {tuple(pair) for pair in data.get("consented", [])}  # type: ignore[misc]
            self.next_id = data.get("next_id", self.next_id)
            self.token_lifetime = data.get("token_lifetime", self.token_lifetime)
