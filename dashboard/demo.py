"""Demo data for `make run`, created once on an empty database.

Logins for each kind of user, three franchises connected to the local sandbox's Google (one of
them with a revoked token, so the reconnect warning shows), posts in every state, and a filled
generation queue. The crons that `make run` starts then publish the due posts and write the AI
drafts, so the first minute of a demo shows the whole flow moving.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from franchises.models import Franchise, Membership
from franchises.services import franchise_create, membership_set
from gbp_scheduler.jobs import TimeBudget
from generation.services.fill import generation_queue_fill
from posts.models import Post

logger = logging.getLogger(__name__)

DEMO_USERNAME = "admin"
DEMO_PASSWORD = "demo-admin-password"
# (username, password, what they are)
DEMO_LOGINS = [
    (DEMO_USERNAME, DEMO_PASSWORD, "headquarters (superuser): every franchise, metrics, system"),
    ("ohio-admin", "demo-franchise-admin", "franchise admin of Cincinnati, Dayton and Columbus"),
    ("cincy-staff", "demo-franchise-staff", "staff of Cincinnati"),
]
FRANCHISES = [
    ("Cincinnati", "Lawn care\nSnow removal\nLandscaping"),
    ("Dayton", "Tree trimming\nMulching\nIrrigation repair"),
    ("Columbus", "Patios\nRetaining walls\nOutdoor lighting"),
]
BRAND = "Buckeye Lawn & Garden"
REVOKED = "Columbus"


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


def _sandbox_locations(sandbox) -> dict[str, tuple[str, str]]:
    """The group's Google account at the sandbox, one location per franchise: {name: (account, location)}."""
    specs = [
        {"title": f"{BRAND} — {name}", "city": name, "website": f"https://{name.lower()}.example.com"}
        for name, _ in FRANCHISES
    ]
    account = sandbox.add_account(BRAND, locations=specs)
    return {
        name: (account["account_id"], location_id)
        for (name, _), location_id in zip(FRANCHISES, account["location_ids"], strict=True)
    }


def _connect(franchise: Franchise, sandbox, account_id: str, location_id: str, *, revoked: bool) -> None:
    grant = sandbox.grant()
    franchise.google_refresh_token = grant["refresh_token"]
    franchise.google_access_token = grant["access_token"]
    franchise.google_token_expires_at = timezone.now() + dt.timedelta(seconds=grant["expires_in"])
    franchise.google_account_id = account_id
    franchise.google_location_id = location_id
    franchise.google_location_title = f"{BRAND} — {franchise.name}"
    franchise.google_connected_at = timezone.now()
    if revoked:
        # Revoked at Google (as when someone removes the app's access); the app has noticed.
        sandbox.revoke(grant["refresh_token"])
        franchise.google_auth_valid = False
        franchise.google_auth_error = "Token has been expired or revoked."
    franchise.save()


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

    sandbox = _sandbox()
    locations = _sandbox_locations(sandbox) if sandbox is not None else {}
    for name, services in FRANCHISES:
        franchise = franchise_create(
            name=name,
            timezone="America/New_York",
            city=name,
            website=f"https://{name.lower()}.example.com",
            description=f"A family-run landscaping franchise of {BRAND} serving the {name} area since 2009.",
            services=services,
            posts_per_week=3,
        )
        membership_set(user=users["ohio-admin"], franchise=franchise, role=Membership.Role.ADMIN)
        if name == "Cincinnati":
            membership_set(user=users["cincy-staff"], franchise=franchise, role=Membership.Role.STAFF)
        if sandbox is not None:
            _connect(franchise, sandbox, *locations[name], revoked=name == REVOKED)
        _posts(franchise, users[DEMO_USERNAME])
    if sandbox is None:
        logger.warning("No sandbox at GOOGLE_API_BASE_URL: demo franchises are left unconnected.")

    transaction.on_commit(lambda: generation_queue_fill(budget=TimeBudget(seconds=60)))
    return DemoLogin(DEMO_USERNAME, DEMO_PASSWORD, created=True)
