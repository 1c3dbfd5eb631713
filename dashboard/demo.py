"""Demo data for `make run`, created once on an empty database.

Logins for each kind of user; a group of twelve franchises, eleven of them connected through
headquarters' one Google account at the local sandbox (which manages a few dozen locations, some
not mapped yet, for trying connect-many) and Columbus through its owner's account, whose grant
was revoked so the reconnect warning shows; posts in every state, among them one Google's review
rejected (published, rejected at the sandbox, noticed by the sync job); three months of posts
published before (each franchise at its own pace, some posting more lately, some less) and the
figures Google (the sandbox) has for those months, read by the fetch-insights job, so the
Results pages have charts, and the search keywords of the last two months; repeating posts in
Cincinnati and Dayton; Zanesville's location not verified by Google, so its due post waits with
the reason instead of failing; a filled generation queue; Google reviews of the franchises with
posts in every state (unanswered, a rating without words, a Claude draft to approve, a reply
published, one waiting for Google's check, one rejected for a policy violation); the group's
brand rules (words not allowed, required offer terms, links to the group's sites only, tagged
for Google) and its own fields every franchise fills in (a coupon code, the manager's name),
Marietta's manager missing; an announcement whose text headquarters locked, Dayton's post of it
with its own button, and a team note on Cincinnati's that mentions its admin; approval policies:
Cincinnati's staff posts wait for a franchise admin, Dayton's posts for headquarters, one waiting
in each.
The crons that `make run` starts then publish the due posts and write the AI drafts, so the
first minute of a demo shows the whole flow moving.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from franchises.google.tokens import auth_refused_reason, connection_mirror
from franchises.models import ApprovalPolicy, Franchise, FranchiseVariable, GoogleConnection, GroupSettings, Membership
from franchises.services import franchise_create, franchise_variables_set, membership_set
from gbp_scheduler.jobs import TimeBudget, job_get, job_run
from posts.models import Post
from posts.services import (
    announcement_schedule,
    google_posts_sync,
    post_create,
    post_publish,
    post_schedule,
    post_update,
)
from posts.services.brand import brand_rules_save
from posts.services.notes import post_note_add
from posts.services.series import series_create, series_rule_build

from .demo_logins import DEMO_LOGINS, DEMO_PASSWORD, DEMO_USERNAME

logger = logging.getLogger(__name__)

FRANCHISES = [
    ("Cincinnati", "Lawn care\nSnow removal\nLandscaping"),
    ("Dayton", "Tree trimming\nMulching\nIrrigation repair"),
    ("Columbus", "Patios\nRetaining walls\nOutdoor lighting"),
]
# The rest of the group: connected through headquarters' Google account like Cincinnati and
# Dayton. Columbus is run by its owner's own Google account, whose grant was revoked.
GROUP = ["Akron", "Toledo", "Canton", "Youngstown", "Mansfield", "Springfield", "Lima", "Zanesville", "Marietta"]
# Locations headquarters' account manages that no franchise uses yet: for trying connect-many.
UNMAPPED = ["Athens", "Sandusky", "Findlay", "Newark", "Lancaster", "Delaware", "Wooster", "Chillicothe"]
BRAND = "Buckeye Lawn & Garden"
REVOKED = "Columbus"
# Its post that Google's review rejects (promises Google's content policies do not allow).
REJECTED_IN = "Cincinnati"
REJECTED_TEXT = "{name}: the greenest lawn in Ohio in 7 days, guaranteed, or we pay you double!"
# Posts a week each franchise published in the 60 days before the last 30, and in the last 30:
# the Results pages rank them by the change in their views beside this pace.
HISTORY = {
    "Cincinnati": (2, 2),
    "Dayton": (0.5, 2),
    "Akron": (1, 1),
    "Toledo": (0, 0.5),
    "Canton": (1, 0),
    "Youngstown": (0.5, 0.5),
    "Springfield": (2, 1),
    "Lima": (0, 1),
    "Zanesville": (1, 1),
    "Marietta": (0.5, 0),
}
HISTORY_DAYS = 90
RECENT_DAYS = 30
# Its location is not verified on Google, so Google takes no posts from it: its due post waits.
NOT_VERIFIED = "Zanesville"
# What people search for that finds the group's locations (the sandbox's search keywords).
KEYWORDS = ["lawn care", "landscaping", "lawn mowing", "snow removal", "tree trimming", "mulch", "patio"]
# Headquarters' brand rules: what no location's post may say, what an offer's terms must say, where
# links may go (each franchise's site is a subdomain) and the UTM tag on them.
BRAND_RULES = {
    "banned_phrases": "cheapest\nbest in Ohio\nrisk-free",
    "offer_terms_required": "Not valid with other offers",
    "link_domains": "example.com",
    "utm_tagging": True,
}
# Headquarters' fields every franchise fills in ({coupon_code}, {manager} in announcements); Marietta
# has no manager yet, so an announcement naming {manager} is refused there, by name.
VARIABLES = [
    ("coupon_code", "Coupon code", "A code customers show for this month's offer."),
    ("manager", "Manager's name", ""),
]
MANAGERS = {"Cincinnati": "Dana", "Dayton": "Luis", "Columbus": "Priya", "Akron": "Sam", "Toledo": "Grace"}
NO_MANAGER = "Marietta"
# Approval policies (franchises/approval_policy.py): the group publishes directly, but Cincinnati's
# staff posts wait for a franchise admin and Dayton's for headquarters; one of each waits.
APPROVAL_POLICIES = {"Cincinnati": ApprovalPolicy.ADMIN, "Dayton": ApprovalPolicy.HEADQUARTERS}
HQ_GOOGLE_ACCOUNT = "hq@buckeye-lawn.example"
COLUMBUS_GOOGLE_ACCOUNT = "owner@columbus-lawn.example"


@dataclass
class DemoLogin:
    username: str
    password: str
    created: bool
    logins: list[tuple[str, str, str]] = field(default_factory=lambda: list(DEMO_LOGINS))


def _sandbox():
    """The sandbox's control client when GOOGLE_API_BASE_URL points at a running sandbox."""
    if not settings.GOOGLE_API_BASE_URL:
        return None
    from sandbox.client import SandboxClient

    client = SandboxClient(settings.GOOGLE_API_BASE_URL, timeout=5)
    try:
        return client if client.health() else None
    except OSError:
        return None


def _location_spec(city: str) -> dict:
    spec = {"title": f"{BRAND} — {city}", "city": city, "website": f"https://{city.lower()}.example.com"}
    if city == NOT_VERIFIED:
        spec.update(can_post=False, verified=False)
    return {**spec, "keywords": KEYWORDS}


def _sandbox_locations(sandbox) -> dict[str, tuple[str, str]]:
    """The group's Google accounts at the sandbox: headquarters' with a location for every city
    (mapped or not), Columbus's owner's with one. {city: (account id, location id)}."""
    cities = [name for name, _ in FRANCHISES if name != REVOKED] + GROUP + UNMAPPED
    account = sandbox.add_account(BRAND, locations=[_location_spec(city) for city in cities])
    found = {
        city: (account["account_id"], location) for city, location in zip(cities, account["location_ids"], strict=True)
    }
    own = sandbox.add_account(f"{BRAND} — {REVOKED}", locations=[_location_spec(REVOKED)])
    found[REVOKED] = (own["account_id"], own["location_ids"][0])
    return found


def _connection(sandbox, google_account: str, *, by, revoked: bool = False) -> GoogleConnection:
    """A connection as a finished consent through `google_account` by the user `by` leaves it
    (who connected an account may map its locations)."""
    grant = sandbox.grant(user=google_account)
    connection = GoogleConnection.objects.create(
        connected_by=by,
        google_user_id=grant["google_user_id"],
        google_email=grant["email"],
        oauth_client_id=settings.GOOGLE_CLIENT_ID,
        refresh_token=grant["refresh_token"],
        access_token=grant["access_token"],
        token_expires_at=timezone.now() + dt.timedelta(seconds=grant["expires_in"]),
        connected_at=timezone.now(),
    )
    if revoked:
        # Revoked at Google (as when someone removes the app's access); the app has noticed.
        sandbox.revoke(grant["refresh_token"])
        connection.auth_valid = False
        connection.auth_error = auth_refused_reason(detail="Token has been expired or revoked.", at=timezone.now())
        connection.access_token = None
        connection.save()
    return connection


def _connect(franchise: Franchise, connection: GoogleConnection, account_id: str, location_id: str) -> None:
    Franchise.objects.filter(pk=franchise.pk).update(
        google_connection=connection,
        google_account_id=account_id,
        google_location_id=location_id,
        google_location_title=f"{BRAND} — {franchise.name}",
        google_connected_at=timezone.now(),
    )
    connection_mirror(connection)


def _posts(franchise: Franchise, user) -> None:
    now = timezone.now()
    name = franchise.name

    def post(**fields) -> Post:
        return Post.objects.create(franchise=franchise, created_by=user, **fields)

    post(
        summary=f"{name}: our spring schedule is filling up. Book your first mow of the season today!",
        status=Post.Status.SCHEDULED,
        scheduled_at=now - dt.timedelta(minutes=2),
        cta_action_type=Post.ActionType.BOOK,
        cta_url=f"https://{name.lower()}.example.com/book",
    )
    post(
        summary=f"Thank you, {name}! We just passed 500 happy customers this year.",
        status=Post.Status.SCHEDULED,
        scheduled_at=now + dt.timedelta(minutes=3),
    )
    post(
        summary=f"Free estimates all week in {name}: call or book online.",
        status=Post.Status.SCHEDULED,
        scheduled_at=now + dt.timedelta(days=2, hours=1),
    )
    post(summary=f"Draft: a note about holiday hours in {name}.", status=Post.Status.DRAFT)
    post(
        summary=f"Tips from our {name} crew: water deeply and less often.",
        status=Post.Status.DRAFT,
        source=Post.Source.AI,
        scheduled_at=now + dt.timedelta(days=3),
    )
    # An event without its dates: Google would refuse it, so publishing fails with the reason.
    post(
        summary=f"Open house at our {name} yard!",
        status=Post.Status.SCHEDULED,
        scheduled_at=now - dt.timedelta(minutes=1),
        topic_type=Post.TopicType.EVENT,
    )


def _history(sandbox, franchise: Franchise, user) -> None:
    """The posts the franchise published in the last three months (HISTORY's pace), on Google
    (the sandbox) since then as well, so its figures there rose after each."""
    before, recent = HISTORY.get(franchise.name, (0, 0))
    today = timezone.localtime(timezone.now(), franchise.zone).date()
    days: list[dt.date] = []
    for per_week, first, last in ((before, HISTORY_DAYS, RECENT_DAYS + 1), (recent, RECENT_DAYS, 1)):
        if per_week:
            gap = 7 / per_week
            count = int((first - last + 1) / gap)
            days += [today - dt.timedelta(days=round(first - n * gap)) for n in range(count)]
    for n, day in enumerate(days):
        at = dt.datetime.combine(day, dt.time(10, 0), tzinfo=franchise.zone)
        summary = f"{franchise.name} tip #{n + 1}: mow high, water deep, and leave the clippings on the lawn."
        name = sandbox.add_past_post(franchise.google_location_id, summary, at)
        Post.objects.create(
            franchise=franchise,
            created_by=user,
            status=Post.Status.PUBLISHED,
            scheduled_at=at,
            published_at=at,
            summary=summary,
            google_post_name=name,
            google_state="LIVE",
        )


def _waiting_post(franchise: Franchise, user) -> None:
    """A post due now at a location Google will not take posts from: it waits, with the reason."""
    Post.objects.create(
        franchise=franchise,
        created_by=user,
        summary=f"{franchise.name}: leaf cleanup season is here. Book your fall visit!",
        status=Post.Status.SCHEDULED,
        scheduled_at=timezone.now() - dt.timedelta(minutes=2),
    )


def _waiting_for_approval(franchise: Franchise, user) -> None:
    """A post `user` scheduled that waits for an approver under the franchise's policy."""
    post = post_create(
        franchise=franchise,
        user=user,
        summary=f"{franchise.name}: aeration slots open next week. Call us to book yours!",
    )
    post_schedule(post=post, at=timezone.now() + dt.timedelta(days=2, hours=3), user=user)


def _series(franchises: dict[str, Franchise], user) -> None:
    """Repeating posts: Cincinnati's Monday tip (four texts taking turns, so the editor warns it
    has fewer than ten) and first-Monday offer, Dayton's Tuesday and Friday news."""
    today = timezone.localdate()
    series_create(
        franchise=franchises["Cincinnati"],
        user=user,
        rule=series_rule_build(frequency="weekly", weekdays=["MO"]),
        starts_on=today,
        local_time=dt.time(9, 0),
        summary="Monday lawn tip from the Cincinnati crew: sharpen your mower blades; a clean cut keeps grass green.",
        more_texts=[
            "Monday lawn tip from {name}: water early in the morning, deeply and less often, for deeper roots.",
            "Monday lawn tip from the Cincinnati crew: leave the clippings on the lawn; they feed it for free.",
            "Monday lawn tip: mow high. Taller grass shades out weeds and holds water through the summer.",
        ],
    )
    series_create(
        franchise=franchises["Cincinnati"],
        user=user,
        rule=series_rule_build(frequency="monthly", nth=1, nth_weekday="MO", count=12),
        starts_on=today,
        local_time=dt.time(8, 0),
        summary="This month's offer in Cincinnati: 10 % off your first landscaping visit. Book online.",
        cta_action_type=Post.ActionType.BOOK,
        cta_url="https://cincinnati.example.com/book",
    )
    series_create(
        franchise=franchises["Dayton"],
        user=user,
        rule=series_rule_build(frequency="weekly", weekdays=["TU", "FR"], until=today + dt.timedelta(days=180)),
        starts_on=today,
        local_time=dt.time(12, 30),
        summary="Dayton yard of the week: send us a photo of yours and we may feature it!",
    )


def _locked_announcement(franchises: list[Franchise], users: dict) -> None:
    """Headquarters' spring announcement to the Ohio franchises, its text locked: Dayton's admin
    gave Dayton's post its own button (not locked), and Cincinnati's staff left a note on theirs
    for their admin (emailed to the console)."""
    posts = announcement_schedule(
        franchises=franchises,
        template="Spring aeration at {name}: book before April and get a free soil test.",
        date=timezone.localdate() + dt.timedelta(days=5),
        local_time=dt.time(10, 0),
        user=users[DEMO_USERNAME],
        locked=["text"],
        cta_action_type=Post.ActionType.BOOK,
        cta_url="https://www.example.com/spring",
    )
    by_name = {post.franchise.name: post for post in posts}
    post_update(post=by_name["Dayton"], user=users["ohio-admin"], cta_url="https://dayton.example.com/spring")
    post_note_add(
        post=by_name["Cincinnati"],
        user=users["cincy-staff"],
        text="@ohio-admin can we add our own photo of the Clifton crew to this one? The text is locked.",
    )


def _rejected_post(sandbox, franchise: Franchise, user) -> None:
    """A post published the usual way, then rejected by Google's review (the sandbox's control
    API), then noticed by a run of the sync job: its notice shows on the home card and the post."""
    post = Post.objects.create(
        franchise=franchise,
        created_by=user,
        status=Post.Status.SCHEDULED,
        scheduled_at=timezone.now(),
        summary=REJECTED_TEXT.format(name=franchise.name),
    )
    if post_publish(post=post).outcome != "published":
        logger.warning("The demo's rejected post could not be published; it stays scheduled.")
        return
    post.refresh_from_db()
    sandbox.reject_post(post.google_post_name)
    google_posts_sync(budget=TimeBudget(seconds=60))


# (stars, reviewer, words, where its reply stands): every state the inbox shows.
REVIEWS = [
    (5, "Maria K.", "The crew was on time and the lawn has never looked better.", "published"),
    (1, "Tom B.", "Nobody showed up for the appointment and nobody called.", "draft"),
    (4, "Priya S.", "Good work on the hedges, if a bit pricey.", "pending"),
    (2, "Dan R.", "They left clippings all over the driveway.", "rejected"),
    (3, "", "", "none"),
    (5, "Lee W.", "Best landscapers in town!", "none"),
]


def _reviews(sandbox, franchises: list[Franchise], user) -> None:
    """Customers' reviews of each franchise at the sandbox, read by a run of sync-reviews, then
    answered as REVIEWS says (through the same services as the pages)."""
    from reviews.models import DraftSource, Review
    from reviews.services.replies import review_draft_save, review_reply_set
    from reviews.services.sync import reviews_sync_due

    plan = {}
    for franchise in franchises:
        for n, (stars, who, words, state) in enumerate(REVIEWS):
            written = timezone.now() - dt.timedelta(days=3 * n + 1, hours=n)
            made = sandbox.add_review(
                franchise.google_location_id,
                stars=stars,
                comment=words,
                reviewer=who or "A Google user",
                anonymous=not who,
                create_time=written.timestamp(),
            )
            plan[made["name"]] = state
    job_run(job_get("sync-reviews"))
    for review in Review.objects.filter(google_name__in=list(plan)).select_related("franchise"):
        state = plan[review.google_name]
        first = (review.reviewer_name or "there").split()[0]
        if state == "draft":
            text = f"{first}, we are sorry we missed you. Please call the office so we can set this right."
            review_draft_save(review=review, text=text, user=None, source=DraftSource.AI)
        elif state in ("pending", "rejected"):
            sandbox.set_reply_review(7 * 86400)  # Google is still checking it
            text = (
                f"Thank you, {first}! Call Jim on 555-0100 about the driveway."
                if state == "rejected"
                else (f"Thank you, {first}: the hedges are our favourite job.")
            )
            review_reply_set(review=review, text=text, user=user)
            sandbox.set_reply_review(0)
            if state == "rejected":
                sandbox.reject_reply(review.google_name, "Contains personal information")
        elif state == "published":
            review_reply_set(review=review, text=f"Thank you, {first}! See you in the spring.", user=user)
    reviews_sync_due(budget=TimeBudget(seconds=60))  # Google's check of the replies waiting


def _variables(franchise: Franchise) -> None:
    """The franchise's values of headquarters' fields (none for NO_MANAGER's manager)."""
    values = {"coupon_code": f"{franchise.name[:4].upper()}10"}
    if franchise.name != NO_MANAGER:
        values["manager"] = MANAGERS.get(franchise.name, "Jordan")
    franchise_variables_set(franchise=franchise, values=values)


@transaction.atomic
def demo_data_ensure() -> DemoLogin:
    """Create the demo logins, franchises, posts and queue once; later runs keep what is there."""
    User = get_user_model()
    if User.objects.exists():
        return DemoLogin(DEMO_USERNAME, DEMO_PASSWORD, created=False)
    users = {}
    for username, password, _ in DEMO_LOGINS:
        if username == DEMO_USERNAME:
            users[username] = User.objects.create_superuser(username, "hq@example.com", password)
        else:
            users[username] = User.objects.create_user(username, f"{username}@example.com", password)

    brand_rules_save(user=users[DEMO_USERNAME], **BRAND_RULES)
    GroupSettings.objects.create(approval_policy=ApprovalPolicy.DIRECT)
    for position, (key, label, help_text) in enumerate(VARIABLES):
        FranchiseVariable.objects.create(key=key, label=label, help_text=help_text, position=position)
    sandbox = _sandbox()
    locations = _sandbox_locations(sandbox) if sandbox is not None else {}
    headquarters = _connection(sandbox, HQ_GOOGLE_ACCOUNT, by=users[DEMO_USERNAME]) if sandbox is not None else None
    # Columbus's owner connected their own account (its admin, in the demo).
    columbus = (
        _connection(sandbox, COLUMBUS_GOOGLE_ACCOUNT, by=users["ohio-admin"], revoked=True)
        if sandbox is not None
        else None
    )
    group = [(name, services, True) for name, services in FRANCHISES]
    group += [(city, "Lawn care\nLandscaping", False) for city in GROUP]
    for name, services, with_posts in group:
        franchise = franchise_create(
            name=name,
            timezone="America/New_York",
            city=name,
            website=f"https://{name.lower()}.example.com",
            description=f"A family-run landscaping franchise of {BRAND} serving the {name} area since 2009.",
            services=services,
            posts_per_week=3 if with_posts else 0,
        )
        _variables(franchise)
        if with_posts:
            membership_set(user=users["ohio-admin"], franchise=franchise, role=Membership.Role.ADMIN)
        if name == "Cincinnati":
            membership_set(user=users["cincy-staff"], franchise=franchise, role=Membership.Role.STAFF)
        if sandbox is not None:
            _connect(franchise, columbus if name == REVOKED else headquarters, *locations[name])
        if with_posts:
            _posts(franchise, users[DEMO_USERNAME])
        if name == NOT_VERIFIED:
            _waiting_post(franchise, users[DEMO_USERNAME])
        if name in APPROVAL_POLICIES:
            Franchise.objects.filter(pk=franchise.pk).update(approval_policy=APPROVAL_POLICIES[name])
            franchise.approval_policy = APPROVAL_POLICIES[name]
            _waiting_for_approval(franchise, users["cincy-staff" if name == "Cincinnati" else "ohio-admin"])
        if sandbox is not None and name != REVOKED:
            franchise.refresh_from_db()
            _history(sandbox, franchise, users[DEMO_USERNAME])
    _series({f.name: f for f in Franchise.objects.filter(name__in=["Cincinnati", "Dayton"])}, users[DEMO_USERNAME])
    _locked_announcement(list(Franchise.objects.filter(name__in=[name for name, _ in FRANCHISES])), users)
    if sandbox is None:
        logger.warning("No sandbox at GOOGLE_API_BASE_URL: demo franchises are left unconnected.")
    else:
        rejected_in = Franchise.objects.get(name=REJECTED_IN)
        transaction.on_commit(lambda: _rejected_post(sandbox, rejected_in, users[DEMO_USERNAME]))
        # What Google says of each location (Zanesville's cannot take posts), before the first
        # publish run; Google's figures for the last 90 days and its search keywords of the last
        # months. Run as the jobs themselves, so the System page shows these runs.
        for job in ("check-posting-rights", "fetch-insights", "fetch-search-keywords"):
            transaction.on_commit(lambda job=job: job_run(job_get(job)))
        with_reviews = list(Franchise.objects.filter(name__in=[name for name, _ in FRANCHISES]).exclude(name=REVOKED))
        transaction.on_commit(lambda: _reviews(sandbox, with_reviews, users[DEMO_USERNAME]))

    transaction.on_commit(lambda: job_run(job_get("generate-drafts")))
    return DemoLogin(DEMO_USERNAME, DEMO_PASSWORD, created=True)
