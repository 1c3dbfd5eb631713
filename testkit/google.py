"""Franchises connected to Google, and the checks that Google mirrors the database.

"Connected" means two different things in tests, and each has one helper:

- franchise_connected_to_sandbox: a live grant at the local sandbox standing in for Google, the
  way a finished OAuth connect leaves a franchise. For code that calls Google.
- franchise_with_fake_grant: a made-up refresh token string, so the franchise counts as connected
  (Franchise.objects.connected(), the health checks, the draft queue) but is never used against
  Google. For code that only asks whether a franchise is connected.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter

from django.conf import settings
from django.utils import timezone

from franchises.google.tokens import connection_mirror
from franchises.models import Franchise, GoogleConnection
from posts.models import Post
from testkit.factories import make_franchise

# The sandbox's demo seed: account 1001 holds location 2001.
DEMO_LOCATION = ("1001", "2001", "Sunrise Bakery Downtown")

# Never issued by the sandbox (or Google): a call made with it would be refused.
FAKE_REFRESH_TOKEN = "refresh-token"


def google_connection_to_sandbox(sandbox_client, *, user: str | None = None, expired: bool = False) -> GoogleConnection:
    """A Google connection as a finished consent through `user` leaves it (a Google account of
    its own when not given, so its grant is nobody else's). `expired`: the stored access token
    has run out, so the first call refreshes it."""
    grant = sandbox_client.grant(user=user or f"owner-{uuid.uuid4().hex[:10]}@sandbox.example")
    lifetime = -60 if expired else grant["expires_in"]
    return GoogleConnection.objects.create(
        google_user_id=grant["google_user_id"],
        google_email=grant["email"],
        oauth_client_id=settings.GOOGLE_CLIENT_ID,
        refresh_token=grant["refresh_token"],
        access_token=grant["access_token"],
        token_expires_at=timezone.now() + dt.timedelta(seconds=lifetime),
        connected_at=timezone.now(),
    )


def franchise_connected_to_sandbox(
    sandbox,
    franchise: Franchise | None = None,
    *,
    location: tuple[str, str, str] | None = None,
    expired: bool = False,
    connection: GoogleConnection | None = None,
    user: str | None = None,
    **fields,
) -> Franchise:
    """Give `franchise` (or a new one made from `fields`) a location at the sandbox and a live
    Google connection: `connection` (shared with other franchises, as a group's headquarters
    account is), else one of its own. `location` as (account id, location id, title), e.g.
    DEMO_LOCATION, else an account and location of its own. `expired`: see
    google_connection_to_sandbox. `user`: the Google account of a new connection (the sandbox's
    consent page signs in as sandbox.state.SANDBOX_USER, so a test that reconnects through that
    page passes it)."""
    franchise = franchise or make_franchise(**fields)
    connection = connection or google_connection_to_sandbox(sandbox.client, user=user, expired=expired)
    if location is None:
        account = sandbox.client.add_account(f"{franchise.name} account", locations=1)
        location = (account["account_id"], account["location_ids"][0], franchise.name)
    franchise.google_connection = connection
    franchise.google_account_id, franchise.google_location_id, franchise.google_location_title = location
    franchise.google_connected_at = timezone.now()
    franchise.save()
    connection_mirror(connection)
    franchise.refresh_from_db()
    return franchise


def franchise_with_fake_grant(**fields) -> Franchise:
    """A new franchise holding FAKE_REFRESH_TOKEN (or the `google_refresh_token` given): connected
    as far as the database can tell, never used against Google."""
    fields.setdefault("google_refresh_token", FAKE_REFRESH_TOKEN)
    return make_franchise(**fields)


def franchises_connected_to_sandbox_bulk(
    client, *, count: int, name: str = "Franchise", shared: bool = False, user: str | None = None
) -> list[Franchise]:
    """`count` franchises, each with a location of its own at the sandbox (`client`: its control
    API), in one INSERT: for the benchmarks and the chaos suite. Each has a Google connection of
    its own, or with `shared` all publish through one (a group on one Google account, `user`)."""
    one = google_connection_to_sandbox(client, user=user) if shared else None
    rows = []
    for n in range(count):
        connection = one or google_connection_to_sandbox(client)
        account = client.add_account(f"{name} account {n}", locations=1)
        rows.append(
            Franchise(
                name=f"{name} {n}",
                google_connection=connection,
                google_account_id=account["account_id"],
                google_location_id=account["location_ids"][0],
            )
        )
    franchises = Franchise.objects.bulk_create(rows)
    for connection in {franchise.google_connection for franchise in franchises}:
        connection_mirror(connection)
    return franchises


def posts_due_bulk(franchises: list[Franchise], *, count: int, summary: str = "Post {n}: worth knowing."):
    """`count` posts due now, spread over `franchises` round robin, oldest first, distinct texts."""
    now = timezone.now()
    return Post.objects.bulk_create(
        Post(
            franchise=franchises[n % len(franchises)],
            status=Post.Status.SCHEDULED,
            scheduled_at=now - dt.timedelta(seconds=count - n),
            summary=summary.format(n=n),
        )
        for n in range(count)
    )


def google_posts(sandbox, franchise: Franchise) -> list[dict]:
    """The posts live on the franchise's location at the sandbox (deleted ones left out)."""
    return [
        item
        for item in sandbox.client.posts(include_deleted=False)
        if str(item["location_id"]) == franchise.google_location_id
    ]


def assert_each_post_on_google_once(sandbox, posts: list) -> None:
    """The exactly-once promise: every post on Google once, none missing, no lock left."""
    live = Counter(item["summary"] for item in sandbox.client.posts(include_deleted=False))
    twice = {summary: n for summary, n in live.items() if n > 1}
    assert twice == {}, f"{len(twice)} posts are on Google more than once"
    missing = {p.summary for p in posts} - set(live)
    assert missing == set(), f"{len(missing)} posts never reached Google"
    rows = Post.objects.filter(pk__in=[p.pk for p in posts])
    assert rows.exclude(status=Post.Status.PUBLISHED).count() == 0
    assert rows.filter(publishing_at__isnull=False).count() == 0, "locks left behind"
    assert_nothing_half_written()
    names = list(rows.values_list("google_post_name", flat=True))
    assert len(set(names)) == len(posts)


def assert_nothing_half_written() -> None:
    """A published row has everything Google returned; any other row has none of it."""
    published = Post.objects.filter(status=Post.Status.PUBLISHED)
    assert not published.filter(google_post_name="").exists()
    assert not published.filter(published_at__isnull=True).exists()
    assert not published.filter(publishing_at__isnull=False).exists()
    assert not Post.objects.exclude(status=Post.Status.PUBLISHED).exclude(google_post_name="").exists()


def assert_google_mirrors_database(sandbox) -> None:
    """The invariant, over every franchise: each published post on Google once with the row's
    text, nothing else on Google (no deleted post, no draft, no stray copy), nothing pending.
    A published post Google rejected or removed is off Google: the row records Google's word (a
    rejected copy still belongs to it; a removed one is gone)."""
    from posts.models import OFF_GOOGLE_STATES, GoogleDeletion

    live = [(item["name"], item["summary"]) for item in sandbox.client.posts(include_deleted=False)]
    names = Counter(name for name, _ in live)
    assert not [name for name, n in names.items() if n > 1]
    rows = Post.objects.filter(status=Post.Status.PUBLISHED)
    off_google = set(rows.filter(google_state__in=OFF_GOOGLE_STATES).values_list("google_post_name", flat=True))
    published = dict(rows.exclude(google_state__in=OFF_GOOGLE_STATES).values_list("google_post_name", "summary"))
    stray = {name: text for name, text in live if name not in published and name not in off_google}
    assert stray == {}, f"{len(stray)} copies on Google belong to no published post, e.g. {list(stray.values())[:3]}"
    missing = set(published) - set(names)
    assert missing == set(), f"{len(missing)} published posts are not on Google"
    wrong = {name: (text, dict(live)[name]) for name, text in published.items() if dict(live)[name] != text}
    assert wrong == {}, f"{len(wrong)} posts differ on Google, e.g. {list(wrong.values())[:3]}"
    assert Post.objects.filter(publishing_at__isnull=False).count() == 0, "locks left behind"
    assert not Post.objects.filter(google_needs_update=True).exists()
    assert not Post.objects.filter(google_create_sent_at__isnull=False).exists()
    assert not GoogleDeletion.objects.exists()
    assert_nothing_half_written()


def connection_of(franchise: Franchise):
    """The franchise's Google connection as a queryset of one, to update in a test."""
    return GoogleConnection.objects.filter(pk=Franchise.objects.get(pk=franchise.pk).google_connection_id)


def franchises_on_one_account_in_sandbox(client, *, count: int, name: str = "Location") -> list[Franchise]:
    """`count` franchises on the locations of one new Google account at the sandbox (`client`: its
    control API), all through one Google connection, as a group's headquarters connects them; in
    one INSERT."""
    connection = google_connection_to_sandbox(client)
    account = client.add_account(f"{name} group", locations=count)
    franchises = Franchise.objects.bulk_create(
        Franchise(
            name=f"{name} {n}",
            google_connection=connection,
            google_account_id=account["account_id"],
            google_location_id=location_id,
        )
        for n, location_id in enumerate(account["location_ids"])
    )
    connection_mirror(connection)
    return franchises
