"""A stateful property test of "Google mirrors the database" (docs/exactly-once.md).

Hypothesis' RuleBasedStateMachine drives random interleavings of what happens in production,
through the real service functions only, against the sandbox standing in for Google:

- headquarters: the brand rules changed (a word of the texts not allowed, or none), so that due
  posts break them;
- staff: create (drafts and scheduled posts, often the SAME text on the same location, as a
  repeating post's occurrences have: the same_text switch), edit, delete, unschedule, reschedule, publish now, retry,
  republish; an AI agent's preview and confirmed schedule over the MCP tools, someone's edit
  landing between the two or not; a series created (with one text, several in turn, or Claude's variation of each
  post), edited and ended; a variation written by Claude and approved; an announcement sent (its
  text locked or not), a franchise's own change to its post of it (refused where locked), edited
  (keeping or overwriting the franchises' own changes) and cancelled as one; a franchise moved to
  another location (of the same Google account or another), disconnected, reconnected through
  the consent page, deactivated and reactivated by the admin;
- the jobs: publish (with a time budget), sync, materialise-series, process-generation-queue (a
  repeating post's variations, from the sandbox's Anthropic);
- Google failing: answers lost after the work was done, 429 with Retry-After, 500, hangs past
  the HTTP timeout, the token endpoint down, a post rejected by Google's review or removed by the
  location's owner;
- a runner killed mid-attempt (what SIGKILL leaves: the claim, the outcome-unknown marker, a
  create that landed, no write-back), and an editor killed after its PATCH;
- time passing (backoffs and due times reached, locks going stale, a day's lateness);
- on PostgreSQL, overlapping runs and a run racing a staff action, on threads with connections
  of their own;
- reviews (reviews/services/replies.py): customers review the locations, staff reply (typed, or a
  draft approved), edit and delete replies, sync-reviews runs, Google rejects a reply or a review
  is taken down, a reply's sender is killed after its claim or after its PUT landed, and (on
  PostgreSQL) an edit races the send. A reply must end on Google exactly once with its latest text.

After every step `mirror_problems` checks the invariant, allowing only the differences that
pending work explains (a marker, a pending deletion, `google_needs_update`, Google's own action
not yet synced). Each example ends (teardown) by healing Google and the franchises, moving time
past every backoff and stale lock, running the jobs until nothing is pending, and asserting
testkit's assert_google_mirrors_database.

Known defects (issue 25) make some rules and checks fail on today's code: they are listed in
KNOWN_FAILING and off unless MIRROR_MACHINE_ALL=1 (or MIRROR_MACHINE_ON=name,name). To hunt by hand
with a few rules only, MIRROR_MACHINE_ONLY=rule,rule (the others do nothing). A new staff action
or job joins the machine as a rule here.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections import Counter
from functools import wraps

import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from hypothesis import HealthCheck, Verbosity, note
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from api.keys import api_key_create
from franchises.google import business_profile
from franchises.google.connect import (
    GoogleConnectError,
    google_connect_finish,
    google_connect_pending_pop,
    google_connect_start,
    google_disconnect,
    google_location_pick,
)
from franchises.google.quota import QuotaDeadline
from franchises.google.tokens import GoogleReauthorizationRequired, GoogleTokenTransientError
from franchises.holds import hold_key
from franchises.models import (
    ApprovalPolicy,
    Franchise,
    FranchiseEvent,
    GoogleConnection,
    GoogleQuota,
    GroupSettings,
    Membership,
)
from franchises.services import FranchiseError, franchise_active_set
from gbp_scheduler.events import EventType
from gbp_scheduler.jobs import TimeBudget
from generation.services import generation_queue_process
from generation.services.review import drafts_approve
from mcp_server import tools as mcp_tools
from posts.gbp_mapping import local_post_body
from posts.models import OFF_GOOGLE_STATES, Announcement, BrandRules, GoogleDeletion, Post, PostEvent, PostSeries
from posts.services import (
    PostActionError,
    announcement_cancel_all,
    announcement_edit_all,
    announcement_schedule,
    google_posts_sync,
    post_create,
    post_delete,
    post_publish_now,
    post_republish,
    post_retry,
    post_schedule,
    post_unschedule,
    post_update,
    posts_publish_due,
)
from posts.services.approvals import posts_approval_reject, posts_approve
from posts.services.brand import brand_rules_save
from posts.services.google_copy import PATCH_MASK, RECONCILE_CLOCK_SKEW, create_record, text_normalized
from posts.services.locks import post_lock_take
from posts.services.publishing import post_claim
from posts.services.series import series_create, series_end, series_materialise_due, series_rule_build, series_update
from posts.services.takedowns import takedown_ask, takedown_carry_out, takedown_decline
from reviews.models import REPLY_PENDING, Review, ReviewEvent, ReviewSync
from reviews.services.replies import (
    ReplyError,
    review_draft_save,
    review_drafts_approve,
    review_reply_delete,
    review_reply_set,
)
from reviews.services.sync import reviews_sync_due
from sandbox.state import SANDBOX_USER
from testkit.factories import make_user
from testkit.google import assert_google_mirrors_database, franchise_connected_to_sandbox, google_connection_to_sandbox
from testkit.oauth import consent, query_of
from testkit.threads import each_together, together
from testkit.webhooks import WebhookReceiver
from webhooks.delivery import webhooks_deliver_due
from webhooks.models import Delivery, Subscription
from webhooks.services import subscription_create

# --- what is switched off on today's code ---------------------------------------------------------

# Rules and checks switched off while a defect they find is open (each with a regression test in
# test_mirror_regressions.py): {switch: the defect}. Off by default so the suite stays green;
# MIRROR_MACHINE_ALL=1 turns everything on, MIRROR_MACHINE_ON=a,b some of them. Empty once the
# defects are fixed: the switches of issue 25 (run_within_budget, location_checked_before_connection,
# location_change, notices, same_text, cancellations) are all on.
KNOWN_FAILING: dict[str, str] = {}
# The failure a known defect gives a post, while its check is off: {switch: words of the message}.
KNOWN_FAILURE_MESSAGES: dict[str, str] = {}


def enabled(name: str) -> bool:
    if os.environ.get("MIRROR_MACHINE_ALL") == "1":
        return True
    return name not in KNOWN_FAILING or name in os.environ.get("MIRROR_MACHINE_ON", "").split(",")


# --- the world every example starts from ------------------------------------------------------------

# Two Google accounts: X (the group's headquarters, the user the sandbox's consent page signs in
# as) with three locations, Y (another owner) with two. F1 and F2 share X's connection.
ACCOUNTS = {"7001": ("7101", "7102", "7103"), "7002": ("7201", "7202")}
LOCATION_LABELS = {"7101": "X/L1", "7102": "X/L2", "7103": "X/L3", "7201": "Y/L4", "7202": "Y/L5"}
USER_OF_ACCOUNT = {"7001": SANDBOX_USER, "7002": "owner-y@sandbox.example"}
FRANCHISES = {"F1": ("7001", "7101"), "F2": ("7001", "7102"), "F3": ("7002", "7201")}

TEXTS = ["Fresh bread today.", "Weekend sale: 20% off.", "unique"]
WHEN = {"due": -60, "soon": 600, "later": 7200}
TRAVEL = {"a minute": 60, "past the lock timeout": None, "an hour": 3600, "a day": 86400 + 60}
# Failures a post's own attempt may end with: everything else is someone else's trouble.
OWN_FAILURES = ("missed its publishing window", "Gave up after", "breaks the brand rules")
REFUSALS = (
    PostActionError,
    ValidationError,
    GoogleConnectError,
    FranchiseError,
    business_profile.GbpError,
    GoogleTokenTransientError,
    GoogleReauthorizationRequired,
    QuotaDeadline,
    ReplyError,
    mcp_tools.Refused,
)


def _refusals_named(outcome: dict, *, detail: bool) -> dict:
    """Calls raced together (each_together): a refusal (REFUSALS) as words, with its message when
    `detail`; any other exception raised."""
    named = {}
    for name, value in outcome.items():
        if isinstance(value, REFUSALS):
            value = f"refused: {type(value).__name__}" + (f": {str(value)[:100]}" if detail else "")
        elif isinstance(value, BaseException):
            raise value
        named[name] = value
    return named


FAULTS = {
    "answer lost": {"action": "drop", "after_commit": True},
    "429": {"action": "status", "status": 429, "retry_after": 1},
    "500": {"action": "status", "status": 500},
    "hang": {"action": "hang", "seconds": 0.8},
    "hang after the work": {"action": "hang", "seconds": 0.8, "after_commit": True},
}
ROUTES = [
    "posts.create",
    "posts.list",
    "posts.patch",
    "posts.delete",
    "posts.get",
    "token",
    "reviews.reply",
    "reviews.delete_reply",
    "reviews.batch",
]
REPLIES = ["Thank you!", "Sorry about that, please call us.", "unique"]
HTTP_TIMEOUT = 0.3
# "spent": a run whose budget is gone before it starts (it releases stale locks and stops). A short
# budget that ends mid-run makes a sequence's outcome depend on the machine's speed, which
# Hypothesis cannot replay: it comes with the run_within_budget check only.
RUN_BUDGETS = {"ample": 30.0, "spent": 0.0, "short": 0.5}


def run_budgets() -> list[str]:
    return [name for name in RUN_BUDGETS if name != "short" or enabled("run_within_budget")]


def machine_settings(django_settings) -> None:
    """The settings the machine runs with: one worker per run (a run is deterministic; overlap is
    what the threaded rules are for), a short HTTP timeout so hangs cost little, the sync due at
    every run."""
    django_settings.PUBLISH_CONCURRENCY = 1
    django_settings.GOOGLE_HTTP_TIMEOUT_SECONDS = HTTP_TIMEOUT
    django_settings.GOOGLE_SYNC_MIN_INTERVAL_SECONDS = 0
    django_settings.PUBLISH_MAX_ATTEMPTS = 5
    django_settings.ANTHROPIC_USE_BATCHES = False  # a variation is written in the run that queues it
    django_settings.GENERATION_CONCURRENCY = 1


def database_empty() -> None:
    """Every row an example makes, gone: examples are independent."""
    Subscription.objects.all().delete()  # the outbox and its log with them
    ReviewEvent.objects.all().delete()
    Review.objects.all().delete()
    ReviewSync.objects.all().delete()
    PostEvent.objects.all().delete()
    GoogleDeletion.objects.all().delete()
    Post.objects.all().delete()
    PostSeries.objects.all().delete()
    Announcement.objects.all().delete()
    BrandRules.objects.all().delete()
    GroupSettings.objects.all().delete()
    FranchiseEvent.objects.all().delete()
    Membership.objects.all().delete()
    Franchise.objects.all().delete()
    GoogleConnection.objects.all().delete()
    GoogleQuota.objects.all().delete()
    get_user_model().objects.all().delete()


def reconnect_through_consent(franchise: Franchise) -> GoogleConnection:
    """What an admin's reconnect does: the consent page (signed in as X's user), then the callback."""
    session: dict = {}
    url = google_connect_start(session=session, franchise=franchise)
    answer = query_of(consent(url))
    pending = google_connect_pending_pop(session=session, state=answer["state"][0])
    return google_connect_finish(pending=pending, code=answer["code"][0], error="", franchise=franchise)


def clock_advance(traveller, seconds: float) -> None:
    """Time passes. The one place the machine moves the clock: with one clock (the database's
    now()), this must move that clock too."""
    traveller.shift(dt.timedelta(seconds=seconds))


# --- the invariant ----------------------------------------------------------------------------------


def own_failures() -> list[str]:
    """Messages a failed post may carry: its own failures, and those of known defects switched off."""
    known = [words for name, words in KNOWN_FAILURE_MESSAGES.items() if not enabled(name)]
    return [*OWN_FAILURES, *known]


def mirror_problems(live: list[dict], *, google_acted: set[str], killed_locks: dict) -> list[str]:
    """What breaks "Google mirrors the database" now, allowing only the differences that work still
    pending explains. `live`: the sandbox's posts not deleted; `google_acted`: names Google rejected
    or removed on its own (the sync has not necessarily seen it); `killed_locks`: {post id: lock}
    that killed runners left."""
    problems = []
    by_name = {item["name"]: item for item in live}
    posts = list(
        Post.objects.values(
            "pk",
            "status",
            "summary",
            "google_post_name",
            "google_state",
            "google_needs_update",
            "google_create_sent_at",
            "google_sent_body",
            "google_sent_location",
            "publishing_at",
            "last_error",
        )
    )
    deletions = list(
        GoogleDeletion.objects.values("google_post_name", "location", "sent_body", "sent_at", "claimed_at")
    )
    owners = Counter(p["google_post_name"] for p in posts if p["google_post_name"])
    owners.update(d["google_post_name"] for d in deletions if d["google_post_name"])
    for name, n in owners.items():
        if n > 1:
            problems.append(f"one copy on Google is claimed by {n} rows (posts or pending deletions): {name}")
    for p in posts:
        name = p["google_post_name"]
        if p["status"] != Post.Status.PUBLISHED:
            if name:
                problems.append(f"a {p['status']} post holds a Google name: {p['summary']!r}")
            continue
        if not name:
            problems.append(f"a published post has no Google name: {p['summary']!r}")
            continue
        item = by_name.get(name)
        if p["google_state"] == "REMOVED":
            if item is not None:
                problems.append(f"a post recorded as REMOVED is live on Google: {p['summary']!r} ({name})")
            continue
        if p["google_state"] in OFF_GOOGLE_STATES:
            continue
        if item is None:
            if name not in google_acted:
                problems.append(f"a published post is not on Google: {p['summary']!r} ({name})")
        elif p["google_needs_update"] or p["publishing_at"] is not None:
            continue  # Google is behind the row (or a dead editor's PATCH is ahead of it): an update is due
        elif text_normalized(item["summary"]) != text_normalized(p["summary"]):
            problems.append(f"Google shows {item['summary']!r} for the published {p['summary']!r}")
    # An unknown create explains one copy: of its text, at the location it was sent to, made since.
    markers = [
        (
            p["google_sent_location"],
            text_normalized((p["google_sent_body"] or {}).get("summary", p["summary"])),
            p["google_create_sent_at"],
        )
        for p in posts
        if p["google_create_sent_at"] is not None
    ]
    markers += [
        (d["location"], text_normalized((d["sent_body"] or {}).get("summary")), d["sent_at"])
        for d in deletions
        if not d["google_post_name"] and d["sent_at"] is not None
    ]
    for item in sorted(live, key=lambda item: item["create_time"]):
        if item["name"] in owners:
            continue
        created = dt.datetime.fromisoformat(item["create_time"].replace("Z", "+00:00"))
        where = f"accounts/{item['account_id']}/locations/{item['location_id']}"
        text = text_normalized(item["summary"])
        match = next((m for m in markers if m[:2] == (where, text) and m[2] - RECONCILE_CLOCK_SKEW <= created), None)
        if match is None:
            problems.append(f"a copy on Google belongs to no row: {item['summary']!r} ({item['name']})")
        else:
            markers.remove(match)  # one marker explains one copy
    for p in posts:
        if p["status"] == Post.Status.FAILED and not any(own in p["last_error"] for own in own_failures()):
            problems.append(f"a post failed for a reason not its own: {p['summary']!r}: {p['last_error'][:200]}")
        if p["publishing_at"] is not None and killed_locks.get(p["pk"]) != p["publishing_at"]:
            problems.append(f"a lock outlived its holder: {p['summary']!r} locked at {p['publishing_at']}")
    if any(d["claimed_at"] is not None for d in deletions):
        problems.append("a pending deletion is still claimed after the run")
    return problems


def reply_problems(on_google: list[dict], *, google_acted: set[str]) -> list[str]:
    """Each review whose reply people touched has on Google exactly the reply they want (its
    latest text, or none), unless a send is still pending or in flight, or Google refused that
    version for good (the person is told), or Google took the review down since the last sync."""
    google = {item["name"]: item for item in on_google}
    problems = []
    for review in Review.objects.filter(reply_version__gt=0, gone_at__isnull=True):
        item = google.get(review.google_name)
        if review.google_name in google_acted or item is None or item["deleted"]:
            continue
        if review.reply_pending or review.reply_sending_at is not None:
            continue
        if review.reply_failed_version == review.reply_version:
            if not review.reply_error:
                problems.append(f"{review.reviewer_name}: its reply failed and nobody is told why")
            continue
        wanted = review.reply_text if review.reply_wanted else None
        if item["reply"] != wanted:
            problems.append(
                f"{review.reviewer_name}: Google has the reply {item['reply']!r}, the database wants {wanted!r}"
            )
    return problems


def untold_rejections() -> list[str]:
    """Published posts Google rejected or removed whose history does not say so (no notice)."""
    problems = []
    for post in Post.objects.filter(status=Post.Status.PUBLISHED, google_state__in=OFF_GOOGLE_STATES):
        told = PostEvent.objects.filter(
            post=post, action__in=[PostEvent.Action.GOOGLE_REJECTED, PostEvent.Action.GOOGLE_REMOVED]
        )
        last_published = post.events.filter(action=PostEvent.Action.PUBLISHED).order_by("-created_at").first()
        if last_published is not None:
            told = told.filter(created_at__gte=last_published.created_at)
        if not told.exists():
            problems.append(f"Google {post.google_state} {post.summary!r} and nobody was told")
    return problems


# Each post event a webhook tells of: the history's action and the event's type.
TOLD = {
    PostEvent.Action.PUBLISHED: EventType.POST_PUBLISHED,
    PostEvent.Action.FAILED: EventType.POST_FAILED,
    PostEvent.Action.GOOGLE_REJECTED: EventType.POST_REJECTED,
    PostEvent.Action.GOOGLE_REMOVED: EventType.POST_REMOVED,
}


def webhook_problems(receiver: WebhookReceiver) -> list[str]:
    """Each of these post events in the history is in the webhook outbox once (headquarters'
    subscription takes every event), or still kept on its history entry for deliver-webhooks to
    fan out, and nothing else is: none lost, none a rollback left behind, none fanned out twice;
    what reached the receiver came once each, signed."""
    problems = []
    for action, event_type in TOLD.items():
        happened = PostEvent.objects.filter(action=action).count()
        kept = PostEvent.objects.filter(action=action, announced__type=event_type).count()
        queued = Delivery.objects.filter(event_type=event_type).count()
        if happened != kept + queued:
            problems.append(f"{happened} {action} in the history, {kept} kept + {queued} {event_type} webhooks")
    ids = receiver.ids
    if len(ids) != len(set(ids)):
        problems.append(f"a webhook came twice: {sorted(i for i in set(ids) if ids.count(i) > 1)}")
    if receiver.refused:
        problems.append(f"webhooks whose signature did not verify: {receiver.refused}")
    return problems


# --- the machine ------------------------------------------------------------------------------------


def unapproved_on_google() -> list[str]:
    """A post waiting for approval is never on Google, nor being sent there."""
    waiting = Post.objects.exclude(approval_waiting_for="").filter(
        Q(published_at__isnull=False)
        | ~Q(google_post_name="")
        | Q(google_create_sent_at__isnull=False)
        | Q(publishing_at__isnull=False)
        | ~Q(status=Post.Status.DRAFT)
    )
    return [f"post {post.pk} waits for approval yet went to Google ({post.status})" for post in waiting]


def step(function):
    """A rule: what it did goes into the notes Hypothesis prints with a failing sequence; an error
    marks the example failed, so the teardown only cleans up."""

    @wraps(function)
    def wrapper(self, *args, **kwargs):
        only = os.environ.get("MIRROR_MACHINE_ONLY")
        if only and function.__name__ not in only.split(",") and function.__name__ != "posts_to_start_with":
            return None  # a hunt by hand on a few rules: the others do nothing
        self.steps += 1
        try:
            return function(self, *args, **kwargs)
        except BaseException:
            self.failed = True
            raise
        finally:
            self._labels_update()

    return wrapper


class MirrorMachine(RuleBasedStateMachine):
    def __init__(self, sandbox):
        super().__init__()
        self.sandbox = sandbox
        self.client = sandbox.client
        self.postgres = connection.vendor == "postgresql"
        self.failed = False
        self.steps = 0
        self.labels: dict = {}  # post id -> "P1", "P2", ... in the order first seen
        self.unique = 0
        self.google_acted: set[str] = set()
        self.killed_locks: dict = {}
        self.cancelled: dict = {}  # post id -> what cancelled it while it was not published
        self.last_location: dict = {}  # franchise name -> (account, location) before a disconnect
        self.series: list = []
        self.announcements: list = []
        self.client.reset("empty")
        database_empty()
        self.travel = time_machine.travel(timezone.now(), tick=True)
        self.traveller = self.travel.start()
        self.hooks = WebhookReceiver().start()
        self._world_build()

    def _world_build(self) -> None:
        for account_id, locations in ACCOUNTS.items():
            specs = [{"location_id": loc, "title": LOCATION_LABELS[loc]} for loc in locations]
            self.client.add_account(f"Account {account_id}", locations=specs, account_id=account_id)
        self.connections = {
            account_id: google_connection_to_sandbox(self.client, user=user)
            for account_id, user in USER_OF_ACCOUNT.items()
        }
        for name, (account_id, location_id) in FRANCHISES.items():
            franchise_connected_to_sandbox(
                self.sandbox,
                location=(account_id, location_id, LOCATION_LABELS[location_id]),
                connection=self.connections[account_id],
                name=name,
            )
        self.hq = make_user(superuser=True, username="hq")
        # Headquarters' webhook takes every event of every franchise (webhook_problems).
        self.hooks.secret = subscription_create(user=None, url=self.hooks.url, event_types=EventType.values).secret

    @initialize()
    @step
    def posts_to_start_with(self):
        """Each franchise starts with a post live on Google and one due with the same text."""
        for name in sorted(FRANCHISES):
            live = post_create(franchise=self._franchise(name), summary=self._text(TEXTS[0]))
            post_publish_now(post=live)
            post_create(
                franchise=self._franchise(name),
                summary=self._text(TEXTS[0]),
                status=Post.Status.SCHEDULED,
                scheduled_at=self._at("due"),
            )
        note("start: F1, F2 (account X) and F3 (account Y) each have a live post and a due one, the same text")

    # -- picking what a step acts on ------------------------------------------------------------------

    def _labels_update(self) -> None:
        fresh = (
            Post.objects.exclude(pk__in=list(self.labels))
            .order_by("created_at", "franchise__name", "series_day", "scheduled_at")
            .values_list("pk", flat=True)
        )
        for pk in fresh:
            self.labels[pk] = f"P{len(self.labels) + 1}"

    def _label(self, post: Post) -> str:
        return f"{self.labels.get(post.pk, '?')} [{post.status}{'/' + post.google_state if post.google_state else ''}]"

    def _post(self, pick: int, *statuses: str, **conditions) -> Post | None:
        self._labels_update()
        rows = list(Post.objects.select_related("franchise").filter(**conditions))
        if statuses:
            rows = [row for row in rows if row.status in statuses]
        rows.sort(key=lambda row: int(self.labels[row.pk][1:]))
        if not rows:
            note("  (no such post: nothing done)")
            return None
        return rows[pick % len(rows)]

    def _franchise(self, name: str) -> Franchise:
        return Franchise.objects.get(name=name)

    def _text(self, text: str) -> str:
        """The text of a new post or edit: often the same as others' (as a repeating post's
        occurrences are), unless the same_text switch is off."""
        if text == "unique" or not enabled("same_text"):
            self.unique += 1
            return f"News number {self.unique}." if text == "unique" else f"{text} ({self.unique})"
        return text

    def _at(self, when: str) -> dt.datetime:
        return timezone.now() + dt.timedelta(seconds=WHEN[when])

    def _try(self, what: str, call):
        """Run a staff action; a refusal (the words a person would see) is an outcome, not a failure."""
        try:
            result = call()
        except REFUSALS as exc:
            note(f"  {what}: refused: {type(exc).__name__}: {str(exc)[:160]}")
            return None
        note(f"  {what}: done")
        return result

    # -- staff ------------------------------------------------------------------------------------------

    @rule(
        franchise=st.sampled_from(sorted(FRANCHISES)),
        text=st.sampled_from(TEXTS),
        when=st.sampled_from(["draft", *WHEN]),
    )
    @step
    def create(self, franchise, text, when):
        summary = self._text(text)
        if when == "draft":
            self._try(
                f"create a draft {summary!r}",
                lambda: post_create(franchise=self._franchise(franchise), summary=summary),
            )
        else:
            self._try(
                f"create {summary!r} scheduled {when}",
                lambda: post_create(
                    franchise=self._franchise(franchise),
                    summary=summary,
                    status=Post.Status.SCHEDULED,
                    scheduled_at=self._at(when),
                ),
            )

    @rule(pick=st.integers(0, 20), text=st.sampled_from(TEXTS))
    @step
    def edit(self, pick, text):
        post = self._post(pick)
        if post:
            summary = self._text(text)
            self._try(f"edit {self._label(post)} to {summary!r}", lambda: post_update(post=post, summary=summary))

    @rule(pick=st.integers(0, 20))
    @step
    def delete(self, pick):
        post = self._post(pick)
        if post:
            self._try(f"delete {self._label(post)}", lambda: post_delete(post=post))

    @rule(pick=st.integers(0, 20), carried_out=st.booleans())
    @step
    def takedown(self, pick, carried_out):
        """A member asks an admin to take a live post down; the admin takes it down or declines."""
        post = self._post(pick, Post.Status.PUBLISHED)
        if post is None:
            return
        label = self._label(post)

        def ask_and_answer():
            request = takedown_ask(post=post, user=self.hq, reason="The offer ended early.")
            if carried_out:
                return takedown_carry_out(request=request, user=self.hq)
            return takedown_decline(request=request, user=self.hq, answer="It stays until Sunday.")

        self._try(f"takedown of {label} {'carried out' if carried_out else 'declined'}", ask_and_answer)

    @rule(pick=st.integers(0, 20))
    @step
    def unschedule(self, pick):
        post = self._post(pick, Post.Status.SCHEDULED)
        if post:
            self._try(f"unschedule {self._label(post)}", lambda: post_unschedule(post=post))

    @rule(pick=st.integers(0, 20), when=st.sampled_from(list(WHEN)))
    @step
    def reschedule(self, pick, when):
        post = self._post(pick, Post.Status.DRAFT, Post.Status.SCHEDULED, Post.Status.FAILED)
        if post:
            self._try(f"schedule {self._label(post)} {when}", lambda: post_schedule(post=post, at=self._at(when)))

    @rule(pick=st.integers(0, 20))
    @step
    def publish_now(self, pick):
        post = self._post(pick, Post.Status.DRAFT, Post.Status.SCHEDULED, Post.Status.FAILED)
        if post:
            result = self._try(f"publish now {self._label(post)}", lambda: post_publish_now(post=post))
            if result is not None:
                note(f"    -> {result.outcome} {result.message[:120]}")

    @rule(pick=st.integers(0, 20))
    @step
    def retry(self, pick):
        post = self._post(pick, Post.Status.FAILED)
        if post:
            self._try(f"retry {self._label(post)}", lambda: post_retry(post=post))

    @rule(pick=st.integers(0, 20))
    @step
    def republish(self, pick):
        post = self._post(pick, Post.Status.PUBLISHED, google_state__in=OFF_GOOGLE_STATES)
        if post:
            result = self._try(f"republish {self._label(post)}", lambda: post_republish(post=post))
            if result is not None:
                note(f"    -> {result.outcome} {result.message[:120]}")

    @rule(pick=st.integers(0, 20), when=st.sampled_from(list(WHEN)), edited_between=st.booleans())
    @step
    def agent_schedule(self, pick, when, edited_between):
        """An AI agent (the MCP server's tools, headquarters' key) previews a post at a time and then
        confirms it; someone's edit may land between the two, and then the confirmation is refused."""
        post = self._post(pick, Post.Status.DRAFT, Post.Status.SCHEDULED, Post.Status.FAILED)
        if not post:
            return
        if not hasattr(self, "agent_key"):
            self.agent_key, _ = api_key_create(user=self.hq, name="Agent", scope="write")
        at, label = self._at(when), self._label(post)
        preview = self._try(
            f"agent previews {label} {when}",
            lambda: mcp_tools.preview_post(
                key=self.agent_key, franchise_id=None, fields=None, post_id=post.pk, scheduled_at=at
            ),
        )
        if preview is None:
            return
        if edited_between:
            self._try(f"edit {label} meanwhile", lambda: post_update(post=post, summary=self._text("unique")))
        self._try(
            f"agent schedules {label} {when}",
            lambda: mcp_tools.schedule_post(
                key=self.agent_key,
                franchise_id=None,
                fields=None,
                post_id=post.pk,
                scheduled_at=at,
                preview_token=preview["preview_token"],
            ),
        )

    # -- series -----------------------------------------------------------------------------------------

    @rule(
        franchise=st.sampled_from(sorted(FRANCHISES)),
        text=st.sampled_from(TEXTS),
        times=st.sampled_from([3, None]),
        varied=st.sampled_from(["one text", "texts in turn", "claude"]),
    )
    @step
    def series_start(self, franchise, text, times, varied="one text"):
        """A daily repeating post, its first occurrence ten minutes from now (`times`: how many),
        with one text, three in turn, or Claude's variation of each post (drafts until approved)."""
        owner = self._franchise(franchise)
        first = timezone.localtime(timezone.now() + dt.timedelta(minutes=10), owner.zone)
        rule_text = series_rule_build(
            frequency="weekly", weekdays=["MO", "TU", "WE", "TH", "FR", "SA", "SU"], count=times
        )
        summary = self._text(text)
        more = [self._text(other) for other in TEXTS if other != text] if varied == "texts in turn" else []
        series = self._try(
            f"start a daily series {summary!r} on {franchise} ({times or 'no end'} times, {varied})",
            lambda: series_create(
                franchise=owner,
                user=self.hq,
                rule=rule_text,
                starts_on=first.date(),
                local_time=first.time().replace(microsecond=0),
                summary=summary,
                more_texts=more,
                vary_with_claude=varied == "claude",
            ),
        )
        if series is not None:
            self.series.append(series.pk)

    def _series(self, pick: int) -> PostSeries | None:
        rows = [s for s in PostSeries.objects.select_related("franchise").filter(pk__in=self.series, ended_at=None)]
        rows.sort(key=lambda s: self.series.index(s.pk))
        if not rows:
            note("  (no series running: nothing done)")
            return None
        return rows[pick % len(rows)]

    @rule(pick=st.integers(0, 5), text=st.sampled_from(TEXTS), drop_a_text=st.booleans())
    @step
    def series_edit(self, pick, text, drop_a_text=False):
        """A new main text; `drop_a_text`: the series' second text goes, so posts made with it take
        their turn in the shorter list."""
        series = self._series(pick)
        if series:
            summary = self._text(text)
            more = series.more_texts[1:] if drop_a_text else series.more_texts
            self._try(
                f"edit series {self.series.index(series.pk) + 1} to {summary!r} ({len(more) + 1} texts)",
                lambda: series_update(
                    series=series,
                    user=self.hq,
                    version=series.version,
                    rule=series.rule,
                    starts_on=series.starts_on,
                    local_time=series.local_time,
                    summary=summary,
                    more_texts=more,
                ),
            )

    @rule(approve=st.booleans())
    @step
    def job_variations(self, approve):
        """process-generation-queue writes the variations repeating posts wait for (the sandbox's
        Anthropic); `approve`: headquarters approves every variation waiting in the drafts review,
        each to go out at its own time."""
        counts = generation_queue_process(budget=TimeBudget(seconds=30))
        note(f"  process-generation-queue: {counts}")
        if approve:
            waiting = Post.objects.filter(series__isnull=False, source=Post.Source.AI, status=Post.Status.DRAFT)
            outcome = drafts_approve(user=self.hq, post_ids=list(waiting.values_list("pk", flat=True)))
            note(f"  approved {outcome.done} variation(s); refused {len(outcome.refused)}")

    @rule(pick=st.integers(0, 5))
    @step
    def series_stop(self, pick):
        series = self._series(pick)
        if series:
            what = f"series {self.series.index(series.pk) + 1}"
            if self._try(f"end {what}", lambda: series_end(series=series, user=self.hq)) is not None:
                self._remember_cancelled(Post.objects.filter(series=series), f"ended {what}", future_only=True)

    def _remember_cancelled(self, posts, why: str, *, future_only: bool = False) -> None:
        """Posts a cancellation meant to delete and left (busy at that moment): they must never go
        out. Ending a series deletes its future occurrences only."""
        left = posts.exclude(status=Post.Status.PUBLISHED)
        if future_only:
            left = left.filter(scheduled_at__gt=timezone.now())
        for pk in left.values_list("pk", flat=True):
            self.cancelled.setdefault(pk, why)

    @rule()
    @step
    def job_materialise(self):
        counts = series_materialise_due(budget=TimeBudget(seconds=30))
        note(f"  materialise-series: {counts}")

    # -- announcements ----------------------------------------------------------------------------------

    @rule(
        text=st.sampled_from(TEXTS),
        when=st.sampled_from(["due", "soon"]),
        to=st.sampled_from(["all", "F1+F2"]),
        locked=st.sampled_from([(), ("text",)]),
    )
    @step
    def announcement_send(self, text, when, to, locked):
        franchises = list(Franchise.objects.filter(name__in=sorted(FRANCHISES) if to == "all" else ["F1", "F2"]))
        at = timezone.localtime(self._at(when), franchises[0].zone)
        template = self._text(text)
        posts = self._try(
            f"send announcement {template!r} to {to} ({when}){' text locked' if locked else ''}",
            lambda: announcement_schedule(
                franchises=franchises,
                template=template,
                date=at.date(),
                local_time=at.time().replace(microsecond=0),
                user=self.hq,
                locked=list(locked),
            ),
        )
        if posts:
            self.announcements.append(posts[0].announcement_id)

    def _announcement(self, pick: int) -> Announcement | None:
        rows = list(Announcement.objects.filter(pk__in=self.announcements))
        rows.sort(key=lambda a: self.announcements.index(a.pk))
        if not rows:
            note("  (no announcement: nothing done)")
            return None
        return rows[pick % len(rows)]

    @rule(pick=st.integers(0, 20), text=st.sampled_from(TEXTS))
    @step
    def announcement_local_change(self, pick, text):
        """A franchise changes the text of its own post of an announcement: refused where
        headquarters locked the text, else its own (which "edit all" keeps unless overwriting)."""
        post = self._post(pick, announcement__isnull=False)
        if post:
            summary = self._text(text)
            self._try(
                f"franchise's own text on {self._label(post)}: {summary!r}",
                lambda: post_update(post=post, summary=summary),
            )

    @rule(pick=st.integers(0, 5), text=st.sampled_from(TEXTS), overwrite=st.booleans())
    @step
    def announcement_edit(self, pick, text, overwrite):
        announcement = self._announcement(pick)
        if announcement:
            template = self._text(text)
            what = f"announcement {self.announcements.index(announcement.pk) + 1}"
            outcome = self._try(
                f"edit all of {what} to {template!r}{', overwriting' if overwrite else ''}",
                lambda: announcement_edit_all(
                    announcement=announcement, user=self.hq, template=template, overwrite=overwrite
                ),
            )
            if outcome:
                note(f"    -> {outcome}")

    @rule(pick=st.integers(0, 5))
    @step
    def announcement_cancel(self, pick):
        announcement = self._announcement(pick)
        if announcement:
            what = f"announcement {self.announcements.index(announcement.pk) + 1}"
            counts = self._try(
                f"cancel all of {what}", lambda: announcement_cancel_all(announcement=announcement, user=self.hq)
            )
            if counts is not None:
                note(f"    -> {counts}")
                self._remember_cancelled(Post.objects.filter(announcement=announcement), f"cancelled {what}")

    # -- the franchise's Google connection --------------------------------------------------------------

    @precondition(lambda self: enabled("location_change"))
    @rule(franchise=st.sampled_from(sorted(FRANCHISES)), location=st.sampled_from(sorted(LOCATION_LABELS)))
    @step
    def location_change(self, franchise, location):
        account_id = next(a for a, locations in ACCOUNTS.items() if location in locations)
        user = USER_OF_ACCOUNT[account_id]
        owner = self._franchise(franchise)
        connection_ = GoogleConnection.objects.filter(google_email=user).first()
        if connection_ is None:
            note(f"  {franchise} to {LOCATION_LABELS[location]}: no connection to account {account_id}: nothing done")
            return
        self._try(
            f"move {franchise} to {LOCATION_LABELS[location]}",
            lambda: google_location_pick(
                franchise=owner, account_id=account_id, location_id=location, connection=connection_
            ),
        )

    @precondition(lambda self: enabled("disconnect"))
    @rule(franchise=st.sampled_from(sorted(FRANCHISES)))
    @step
    def disconnect(self, franchise):
        owner = self._franchise(franchise)
        if owner.google_location_id:
            self.last_location[franchise] = (owner.google_account_id, owner.google_location_id)
        self._try(f"disconnect {franchise}", lambda: google_disconnect(franchise=owner))

    @precondition(lambda self: enabled("reconnect"))
    @rule(franchise=st.sampled_from(sorted(FRANCHISES)))
    @step
    def reconnect(self, franchise):
        """Through the consent page (account X's user): a franchise that was disconnected has a
        connection and no location until someone picks one."""
        self._try(
            f"reconnect {franchise} through the consent page",
            lambda: reconnect_through_consent(self._franchise(franchise)),
        )

    @rule(franchise=st.sampled_from(sorted(FRANCHISES)), active=st.booleans())
    @step
    def activate(self, franchise, active):
        """Headquarters deactivates or reactivates the franchise, in the dashboard or the Django
        admin (one service; refused when another active franchise publishes to its location now)."""
        what = f"{'reactivate' if active else 'deactivate'} {franchise}"
        self._try(what, lambda: franchise_active_set(franchise=self._franchise(franchise), active=active))

    @rule(word=st.sampled_from(["", "sale", "bread"]))
    @step
    def brand_rules_change(self, word):
        """Headquarters changes the words not allowed: a due post that now breaks the rule fails with
        its words instead of going out (posts/brand.py); an edit or schedule using it is refused."""
        brand_rules_save(user=self.hq, banned_phrases=word)
        note(f"  brand rules: words not allowed {word!r}")

    # -- approvals (posts/services/approvals.py) --------------------------------------------------------

    def _member(self, franchise: str, role: str):
        """The franchise's one staff member or admin, made when first needed."""
        username = f"{franchise}-{role}".lower()
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            user = make_user(username=username)
            Membership.objects.create(user=user, franchise=self._franchise(franchise), role=role)
        return user

    @rule(franchise=st.sampled_from(sorted(FRANCHISES)), policy=st.sampled_from(["", *ApprovalPolicy.values]))
    @step
    def approval_policy_set(self, franchise, policy):
        """Headquarters sets a franchise's approval policy (blank: the group's default, direct)."""
        Franchise.objects.filter(name=franchise).update(approval_policy=policy)
        note(f"  {franchise}: approval policy {policy or 'the group default'!r}")

    @rule(franchise=st.sampled_from(sorted(FRANCHISES)), text=st.sampled_from(TEXTS), when=st.sampled_from(list(WHEN)))
    @step
    def submit(self, franchise, text, when):
        """A staff member writes a post and schedules it: under a policy, it waits for an approver."""
        staff = self._member(franchise, Membership.Role.STAFF)
        summary = self._text(text)

        def write_and_schedule():
            post = post_create(franchise=self._franchise(franchise), user=staff, summary=summary)
            return post_schedule(post=post, at=self._at(when), user=staff)

        self._try(f"{franchise} staff schedules {summary!r} {when}", write_and_schedule)

    @rule(pick=st.integers(0, 20), by=st.sampled_from(["admin", "headquarters", "staff"]))
    @step
    def approve(self, pick, by):
        post = self._post(pick, Post.Status.DRAFT, approval_waiting_for__in=ApprovalPolicy.values)
        if post:
            user = self.hq if by == "headquarters" else self._member(post.franchise.name, by)
            outcome = posts_approve(user=user, post_ids=[post.pk])
            note(f"  {by} approves {self._label(post)}: {'done' if outcome.done else outcome.refused}")

    @rule(pick=st.integers(0, 20))
    @step
    def reject(self, pick):
        post = self._post(pick, Post.Status.DRAFT, approval_waiting_for__in=ApprovalPolicy.values)
        if post:
            posts_approval_reject(user=self.hq, post_ids=[post.pk], reason="Not our tone.")
            note(f"  headquarters rejects {self._label(post)}")

    @rule(pick=st.integers(0, 20), text=st.sampled_from(TEXTS))
    @step
    def edit_after_approval(self, pick, text):
        """A staff member changes an approved post: under a policy it waits for approval again (a
        live one is refused)."""
        post = self._post(pick, Post.Status.SCHEDULED, Post.Status.PUBLISHED)
        if post:
            staff = self._member(post.franchise.name, Membership.Role.STAFF)
            summary = self._text(text)
            self._try(
                f"staff edits {self._label(post)} to {summary!r}",
                lambda: post_update(post=post, user=staff, summary=summary),
            )

    # -- the jobs ---------------------------------------------------------------------------------------

    def _publish_run(self, budget: str) -> dict:
        seconds = RUN_BUDGETS[budget]
        started = time.monotonic()
        counts = posts_publish_due(budget=TimeBudget(seconds=seconds))
        took = time.monotonic() - started
        note(f"  publish run ({budget} budget): {counts} in {took:.2f} s")
        if enabled("run_within_budget"):
            # A run may finish the call in flight when its budget ends, no more.
            limit = seconds + 2 * HTTP_TIMEOUT + 1.5
            assert took <= limit, f"a publish run with a {seconds} s budget took {took:.1f} s"
        return counts

    @rule(budget=st.sampled_from(run_budgets()))
    @step
    def job_publish(self, budget):
        self._publish_run(budget)

    @rule()
    @step
    def job_sync(self):
        counts = google_posts_sync(budget=TimeBudget(seconds=30))
        note(f"  sync: {counts}")

    @rule()
    @step
    def job_deliver_webhooks(self):
        note(f"  deliver-webhooks: {webhooks_deliver_due(budget=TimeBudget(seconds=30))}")

    # -- Google -----------------------------------------------------------------------------------------

    @rule(route=st.sampled_from(ROUTES), fault=st.sampled_from(list(FAULTS)), times=st.integers(1, 3))
    @step
    def google_fails(self, route, fault, times):
        spec = dict(FAULTS[fault])
        if route == "token" and spec["action"] == "hang":
            spec = dict(FAULTS["500"])  # the token endpoint's hang is a long refresh: its own test
        action = spec.pop("action")
        if action == "status":
            self.client.fail(route, spec["status"], times=times, retry_after=spec.get("retry_after"))
        elif action == "drop":
            self.client.drop(route, after_commit=spec["after_commit"], times=times)
        else:
            self.client.hang(route, seconds=spec["seconds"], times=times, after_commit=spec.get("after_commit", False))
        note(f"  Google will answer the next {times} {route} with: {fault}")

    @rule(how=st.sampled_from(["dropped", "timed out"]))
    @step
    def google_loses_the_next_create_answer(self, how):
        """The commonest trouble of all, so a rule of its own: the next create lands on Google and
        its answer never arrives."""
        if how == "dropped":
            self.client.drop("posts.create", after_commit=True)
        else:
            self.client.hang("posts.create", seconds=FAULTS["hang"]["seconds"], after_commit=True)
        note(f"  Google will create the next post and its answer will be {how}")

    @rule(pick=st.integers(0, 20), what=st.sampled_from(["rejects", "removes"]))
    @step
    def google_acts(self, pick, what):
        """Google's review rejects a published post, or the location's owner deletes it on Google."""
        post = self._post(pick, Post.Status.PUBLISHED)
        if post is None or not post.google_post_name:
            return
        live = {item["name"] for item in self.client.posts(include_deleted=False)}
        if post.google_post_name not in live:
            note(f"  {self._label(post)} is not live on Google: nothing done")
            return
        if what == "rejects":
            self.client.reject_post(post.google_post_name)
        else:
            self.client.remove_post(post.google_post_name)
        self.google_acted.add(post.google_post_name)
        note(f"  Google {what} {self._label(post)}")

    # -- a runner killed mid-attempt, and an editor killed after its PATCH -------------------------------

    @rule(pick=st.integers(0, 20), stage=st.sampled_from(["claimed", "marker written", "create landed"]))
    @step
    def runner_killed(self, pick, stage):
        """The real steps of an attempt, stopped between two of them as SIGKILL would stop it."""
        # A real attempt on a post that carries a marker first looks at Google for the earlier
        # copy; the stages below are those of a post without one.
        unmarked = {} if stage == "claimed" else {"google_create_sent_at__isnull": True}
        post = self._post(
            pick,
            Post.Status.SCHEDULED,
            scheduled_at__lte=timezone.now(),
            franchise__google_refresh_token__isnull=False,
            **unmarked,
        )
        if post is None:
            return
        claim = post_claim(post=post, now=timezone.now())
        if claim is None:
            note(f"  a runner could not claim {self._label(post)}")
            return
        self.killed_locks[post.pk] = claim
        note(f"  a runner claims {self._label(post)} and is killed after: {stage}")
        if stage == "claimed":
            return
        row = Post.objects.select_related("franchise").get(pk=post.pk)
        if hold_key(row.franchise) is not None:
            # A real runner releases a held franchise's post before any create: killed now, the
            # claim is all it leaves.
            note(f"    (its franchise is held ({hold_key(row.franchise)}): no create would be sent)")
            return
        body = local_post_body(row)
        if not create_record(post_id=post.pk, lock=claim, location=row.franchise.google_location_name, body=body):
            note("    (another create of its text is unsettled there: it would have waited)")
            return
        if stage == "create landed":
            try:
                business_profile.local_post_create(franchise=row.franchise, body=body)
            except REFUSALS as exc:
                note(f"    (its create failed: {type(exc).__name__})")

    @rule(pick=st.integers(0, 20), text=st.sampled_from(TEXTS))
    @step
    def editor_killed(self, pick, text):
        """An editor of a published post takes its lock, sends the PATCH, and dies before saving."""
        post = self._post(pick, Post.Status.PUBLISHED, google_state__in=["", "LIVE", "PROCESSING"])
        if post is None:
            return
        lock = post_lock_take(post_id=post.pk, status=Post.Status.PUBLISHED)
        if lock is None:
            note(f"  an editor could not lock {self._label(post)}")
            return
        self.killed_locks[post.pk] = lock
        post.summary = self._text(text)
        note(f"  an editor locks {self._label(post)}, patches it to {post.summary!r} and is killed")
        try:
            business_profile.local_post_patch(
                franchise=post.franchise, name=post.google_post_name, body=local_post_body(post), update_mask=PATCH_MASK
            )
        except REFUSALS as exc:
            note(f"    (its patch failed: {type(exc).__name__})")

    # -- time -------------------------------------------------------------------------------------------

    @rule(how_long=st.sampled_from(list(TRAVEL)))
    @step
    def time_passes(self, how_long):
        seconds = TRAVEL[how_long] or settings.PUBLISH_LOCK_TIMEOUT_SECONDS + 1
        clock_advance(self.traveller, seconds)
        note(f"  {how_long} passes")

    # -- reviews and their replies ------------------------------------------------------------------------

    @rule(franchise=st.sampled_from(sorted(FRANCHISES)), stars=st.integers(1, 5))
    @step
    def review_arrives(self, franchise, stars):
        """A customer reviews the franchise's location on Google (sync-reviews reads it)."""
        location = self._franchise(franchise).google_location_id
        if not location:
            return
        self.unique += 1
        self.client.add_review(location, stars=stars, comment=f"Review {self.unique}", reviewer=f"R{self.unique}")
        note(f"  a {stars}-star review R{self.unique} of {franchise}'s location")

    def _review(self, pick: int) -> Review | None:
        rows = list(Review.objects.select_related("franchise").filter(gone_at__isnull=True).order_by("reviewer_name"))
        if not rows:
            note("  (no review: nothing done)")
            return None
        return rows[pick % len(rows)]

    def _reply(self, text: str) -> str:
        self.unique += 1
        return f"Reply number {self.unique}." if text == "unique" else text

    @rule(pick=st.integers(0, 20), text=st.sampled_from(REPLIES), how=st.sampled_from(["typed", "draft approved"]))
    @step
    def reply_send(self, pick, text, how):
        review = self._review(pick)
        if review is None:
            return
        text = self._reply(text)
        if how == "typed":
            self._try(
                f"reply {text!r} to {review.reviewer_name}",
                lambda: review_reply_set(review=review, text=text, user=self.hq),
            )
            return

        def draft_and_approve():
            review_draft_save(review=review, text=text, user=self.hq)
            return review_drafts_approve(reviews=[Review.objects.get(pk=review.pk)], user=self.hq)

        self._try(f"draft {text!r} approved for {review.reviewer_name}", draft_and_approve)

    @rule(pick=st.integers(0, 20))
    @step
    def reply_delete(self, pick):
        review = self._review(pick)
        if review is not None:
            self._try(
                f"delete the reply to {review.reviewer_name}", lambda: review_reply_delete(review=review, user=self.hq)
            )

    @rule()
    @step
    def job_sync_reviews(self):
        note(f"  sync-reviews: {reviews_sync_due(budget=TimeBudget(seconds=30))}")

    @rule(pick=st.integers(0, 20), what=st.sampled_from(["rejects the reply", "takes the review down"]))
    @step
    def google_acts_on_a_review(self, pick, what):
        review = self._review(pick)
        if review is None:
            return
        on_google = {r["name"]: r for r in self.client.reviews()}.get(review.google_name)
        if what == "rejects the reply" and on_google and on_google["reply"] is not None:
            self.client.reject_reply(review.google_name, "Contains personal information")
        elif what == "takes the review down":
            self.client.remove_review(review.google_name)
            self.google_acted.add(review.google_name)
        else:
            return
        note(f"  Google {what} of {review.reviewer_name}")

    @rule(pick=st.integers(0, 20), text=st.sampled_from(REPLIES), stage=st.sampled_from(["claimed", "PUT landed"]))
    @step
    def reply_sender_killed(self, pick, text, stage):
        """A person's reply whose sender dies (SIGKILL) after its claim, or after its PUT reached
        Google, before writing back: the claim goes stale and a later send finishes the work."""
        review = self._review(pick)
        if review is None or not review.franchise.google_location_id:
            return
        text = self._reply(text)
        now = timezone.now()
        Review.objects.filter(pk=review.pk).update(
            reply_text=text, reply_wanted=True, reply_version=F("reply_version") + 1, reply_error=""
        )
        version = Review.objects.get(pk=review.pk).reply_version
        claimed = Review.objects.filter(pk=review.pk, reply_version=version, reply_sending_at__isnull=True).update(
            reply_sending_at=now
        )
        if claimed and stage == "PUT landed":
            try:
                business_profile.review_reply_put(franchise=review.franchise, name=review.google_name, comment=text)
            except REFUSALS as exc:
                note(f"  (the PUT failed: {type(exc).__name__})")
        note(f"  the sender of {text!r} to {review.reviewer_name} killed ({stage}; claimed: {bool(claimed)})")

    @precondition(lambda self: self.postgres)
    @rule(pick=st.integers(0, 20), first=st.sampled_from(REPLIES), second=st.sampled_from(REPLIES))
    @step
    def reply_edit_racing_its_send(self, pick, first, second):
        """A reply is sent while someone changes it (Google slow to answer the PUT): the later text
        must end on Google."""
        review = self._review(pick)
        if review is None:
            return
        first, second = self._reply(first), self._reply(second)
        self.client.latency(0.2, route="reviews.reply")

        def typed(text, delay):
            def call():
                time.sleep(delay)
                review_reply_set(review=Review.objects.get(pk=review.pk), text=text, user=self.hq)
                return "done"

            return call

        try:
            outcome = each_together({"first": typed(first, 0), "second": typed(second, 0.1)}, timeout=60)
        finally:
            self.client.latency(0, route="reviews.reply")
        outcome = _refusals_named(outcome, detail=False)
        note(f"  {first!r} sent while {second!r} was typed over it: {outcome}")

    # -- overlapping, on PostgreSQL only ------------------------------------------------------------------

    @precondition(lambda self: self.postgres)
    @rule(slow_list=st.booleans())
    @step
    def job_publish_twice_at_once(self, slow_list):
        """Two publish runs at once (Vercel started one while the last still works); with a slow
        posts.list one run's look at Google waits while the other creates."""
        if slow_list:
            self.client.latency(0.3, route="posts.list")
        try:
            results, errors = together(2, lambda: posts_publish_due(budget=TimeBudget(seconds=30)))
        finally:
            self.client.latency(0, route="posts.list")
        note(f"  two runs at once{' (slow list)' if slow_list else ''}: {results}")
        assert not errors, errors

    @precondition(lambda self: self.postgres)
    @rule(pick=st.integers(0, 20), action=st.sampled_from(["edit", "delete", "unschedule", "cancel all", "end series"]))
    @step
    def job_publish_racing_staff(self, pick, action):
        """A publish run and a staff action at the same moment, each on its own connection."""
        post = self._post(pick)
        if post is None:
            return
        self.client.latency(0.2, route="posts.create")
        what = f"{action} {self._label(post)} during a run"

        def staff():
            if action == "edit":
                post_update(post=post, summary=post.summary + " (edited)")
            elif action == "delete":
                post_delete(post=post)
            elif action == "unschedule":
                post_unschedule(post=post)
            elif action == "cancel all" and post.announcement_id:
                announcement_cancel_all(announcement=Announcement.objects.get(pk=post.announcement_id), user=self.hq)
            elif action == "end series" and post.series_id:
                series_end(series=PostSeries.objects.get(pk=post.series_id), user=self.hq)

        def run():
            return posts_publish_due(budget=TimeBudget(seconds=30))

        try:
            outcome = each_together({"run": run, "staff": staff}, timeout=120)
        finally:
            self.client.latency(0, route="posts.create")
        outcome = _refusals_named(outcome, detail=True)
        note(f"  {what}: {outcome}")
        if action == "cancel all" and post.announcement_id:
            self._remember_cancelled(
                Post.objects.filter(announcement_id=post.announcement_id), "cancelled during a run"
            )
        if action == "end series" and post.series_id:
            self._remember_cancelled(
                Post.objects.filter(series_id=post.series_id), "ended during a run", future_only=True
            )

    # -- the invariant --------------------------------------------------------------------------------

    @invariant()
    def google_mirrors_the_database_but_for_pending_work(self):
        self._forget_released_locks()
        problems = mirror_problems(
            self.client.posts(include_deleted=False), google_acted=self.google_acted, killed_locks=self.killed_locks
        )
        if enabled("notices"):
            problems += untold_rejections()
        problems += unapproved_on_google()
        if enabled("cancellations"):
            went_out = Post.objects.filter(pk__in=list(self.cancelled), status=Post.Status.PUBLISHED)
            problems += [f"{self._label(p)} went out after {self.cancelled[p.pk]}" for p in went_out]
        problems += reply_problems(self.client.reviews(), google_acted=self.google_acted)
        problems += webhook_problems(self.hooks)
        if problems:
            self.failed = True
        assert not problems, "\n".join(problems)

    def _forget_released_locks(self) -> None:
        held = dict(Post.objects.filter(pk__in=list(self.killed_locks)).values_list("pk", "publishing_at"))
        self.killed_locks = {pk: lock for pk, lock in self.killed_locks.items() if held.get(pk) == lock}

    # -- the end of an example ------------------------------------------------------------------------

    def teardown(self):
        try:
            if not self.failed:
                self._heal_and_settle()
        finally:
            self.client.clear_faults()
            self.hooks.stop()
            self.travel.stop()

    def _heal_and_settle(self) -> None:
        """Google answers again and every franchise can publish; time moves past every backoff and
        stale lock and the jobs run until nothing is pending; then Google mirrors the database."""
        self.client.clear_faults()
        note("end: Google heals; franchises reactivated, reconnected and given a location where needed")
        for franchise in Franchise.objects.order_by("name"):
            try:
                with transaction.atomic():
                    Franchise.objects.filter(pk=franchise.pk).update(is_active=True)
            except IntegrityError:
                franchise.google_location_id = ""  # another franchise publishes there now: pick another
            if franchise.google_location_id and franchise.google_auth_valid:
                continue
            # Back where it was (a move is the location_change rule's business), through a
            # connection of that location's account, as its admin would reconnect.
            taken = set(Franchise.objects.exclude(pk=franchise.pk).values_list("google_location_id", flat=True))
            wanted = [self.last_location.get(franchise.name), FRANCHISES[franchise.name]]
            wanted += [(a, loc) for a, locations in ACCOUNTS.items() for loc in locations]
            account_id, location_id = next(w for w in wanted if w is not None and w[1] not in taken)
            user = USER_OF_ACCOUNT[account_id]
            grant = GoogleConnection.objects.filter(google_email=user, auth_valid=True).first()
            grant = grant or google_connection_to_sandbox(self.client, user=user)
            google_location_pick(franchise=franchise, account_id=account_id, location_id=location_id, connection=grant)
            Franchise.objects.filter(pk=franchise.pk).update(is_active=True)
        for round_ in range(12):
            google_posts_sync(budget=TimeBudget(seconds=60))
            ReviewSync.objects.update(synced_at=None)
            reviews_sync_due(budget=TimeBudget(seconds=60))
            counts = posts_publish_due(budget=TimeBudget(seconds=60))
            pending = self._pending()
            note(f"end: run {round_ + 1}: {counts}; pending {pending}")
            if not any(pending.values()):
                break
            clock_advance(self.traveller, self._wait_for_pending())
        else:
            raise AssertionError(f"work still pending after 12 undisturbed runs: {self._pending()}")
        google_posts_sync(budget=TimeBudget(seconds=60))
        problems = mirror_problems(self.client.posts(include_deleted=False), google_acted=set(), killed_locks={})
        problems += reply_problems(self.client.reviews(), google_acted=set())
        webhooks_deliver_due(budget=TimeBudget(seconds=60))
        if PostEvent.objects.filter(announced__isnull=False).exists():
            problems.append("deliver-webhooks left post events kept on their history entries")
        problems += webhook_problems(self.hooks)
        if sorted(self.hooks.ids) != sorted(Delivery.objects.values_list("event_id", flat=True)):
            problems.append("once the receiver answered, not every webhook reached it")
        assert not problems, "\n".join(problems)
        assert_google_mirrors_database(self.sandbox)

    def _pending(self) -> dict:
        now = timezone.now()
        scheduled = Post.objects.filter(status=Post.Status.SCHEDULED)
        return {
            "due": scheduled.filter(scheduled_at__lte=now).count(),
            "markers": Post.objects.filter(google_create_sent_at__isnull=False).count(),
            "updates": Post.objects.filter(google_needs_update=True).count(),
            "deletions": GoogleDeletion.objects.count(),
            "locks": Post.objects.filter(publishing_at__isnull=False).count(),
            "replies": Review.objects.filter(REPLY_PENDING, gone_at__isnull=True).count(),
            "reply sends": Review.objects.filter(reply_sending_at__isnull=False).count(),
        }

    def _wait_for_pending(self) -> float:
        """Seconds until every backoff, stale lock and marked post's time has come."""
        now = timezone.now()
        times = [now]
        times += Post.objects.filter(next_attempt_at__isnull=False).values_list("next_attempt_at", flat=True)
        times += GoogleDeletion.objects.filter(next_attempt_at__isnull=False).values_list("next_attempt_at", flat=True)
        times += Post.objects.filter(status=Post.Status.SCHEDULED, google_create_sent_at__isnull=False).values_list(
            "scheduled_at", flat=True
        )
        return (max(times) - now).total_seconds() + settings.PUBLISH_LOCK_TIMEOUT_SECONDS + 1


def run_mirror_machine(sandbox, django_settings, *, examples: int, steps: int) -> None:
    """Run the machine for `examples` sequences of up to `steps` steps, as a test. Derandomized
    (the same sequences every run) unless MIRROR_MACHINE_RANDOM=1; pytest's --hypothesis-seed
    picks another fixed seed."""
    machine_settings(django_settings)  # once: each change through pytest-django's wrapper stacks a layer
    run_state_machine_as_test(
        lambda: MirrorMachine(sandbox),
        settings=hypothesis_settings(
            max_examples=examples,
            stateful_step_count=steps,
            deadline=None,
            derandomize=os.environ.get("MIRROR_MACHINE_RANDOM") != "1",
            database=None,
            suppress_health_check=list(HealthCheck),
            print_blob=True,
            verbosity=Verbosity.verbose if os.environ.get("MIRROR_MACHINE_VERBOSE") == "1" else Verbosity.normal,
        ),
    )


def budget_from_env(examples: int, steps: int) -> dict:
    return {
        "examples": int(os.environ.get("MIRROR_MACHINE_EXAMPLES", examples)),
        "steps": int(os.environ.get("MIRROR_MACHINE_STEPS", steps)),
    }
