"""Tenant isolation and roles for every URL at once: another franchise's object does not exist
for you, and a view for admins or headquarters refuses everybody else.

The URLs come from the project's URL configuration itself (django.urls.get_resolver(), into every
include), not from a list kept by hand. Each URL naming an object by id (a `<uuid:...>` argument,
or any argument called `..._id`) is requested with GET and with POST, by an admin and by a staff
member of ANOTHER franchise, with ids belonging to a franchise they are not in. The answer must be
exactly what an id that exists nowhere gets: 404, or 405 where the URL does not take the method;
never 200, 302 or 403, which would tell them the object exists. Nothing of the other franchise may
change and nothing may reach Google. The franchise's own admin then sends the same request and
does not get a 404: the ids were real, so the 404 came from the tenant check. Anonymous visitors
to the same URLs, and to the others that need a login, are sent to the login page.

Roles come from the views themselves: a view for a franchise's admins or for headquarters carries
`access` (franchises/access.py puts it there with the decorator that enforces it). Every view
marked for admins refuses a staff member of the same franchise (403, or 404 where the object is
only visible to admins); every view marked for headquarters refuses franchise admins and staff
(403); and every other view with an object id lets the franchise's staff in, so a view cannot
check a role without saying so where this walk can see it.

A new view with an object id is covered without touching this file. Every URL this test does not
request is listed in NOT_CHECKED with a comment on how it is scoped instead, and the test fails
when a URL is neither: whoever adds one decides, in writing, what protects it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.urls.converters import UUIDConverter
from django.utils import timezone
from django.utils.text import slugify

from api.keys import api_key_create
from franchises.access import Access
from franchises.models import Franchise, FranchiseEvent, GoogleConnection, Invitation, Membership
from franchises.services import invitation_send
from gbp_scheduler.jobs import JOBS
from posts.models import Announcement, Post, PostEvent, PostSeries
from posts.services.announcements import announcement_schedule
from posts.services.series import series_create, series_rule_build
from reviews.models import Review
from testkit.factories import make_member, make_post, make_review, make_user
from testkit.google import franchise_connected_to_sandbox
from webhooks.services import subscription_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]  # allowances count in the cache


# --- the URL configuration, walked ------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # namespaced ("posts:edit"); an unnamed route gets "<namespace>:<its pattern>"
    namespace: str
    route: str  # the full pattern, for messages
    arguments: tuple[str, ...]
    object_ids: tuple[str, ...]  # the arguments that name an object
    access: Access | None  # who the view is for, from its mark (franchises/access.py); None: any member

    def __str__(self) -> str:
        return self.name


def _arguments(pattern) -> dict[str, object | None]:
    """Argument name -> converter (None for a regular expression's named group)."""
    converters = dict(getattr(pattern, "converters", {}))
    return {name: converters.get(name) for name in pattern.regex.groupindex}


def _routes(resolver: URLResolver | None = None, prefix: str = "", namespace: str = "", outer=None) -> Iterator[Route]:
    """Every URL pattern, with the arguments of the includes around it."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        arguments = {**(outer or {}), **_arguments(entry.pattern)}
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace) if part)
            yield from _routes(entry, route, inner, arguments)
            continue
        name = entry.name or f"<{route}>"
        ids = tuple(
            a for a, converter in arguments.items() if isinstance(converter, UUIDConverter) or a.endswith("_id")
        )
        access = getattr(entry.callback, "access", None)
        yield Route(
            ":".join(part for part in (namespace, name) if part), namespace, route, tuple(arguments), ids, access
        )


ROUTES = list(_routes())


# --- the URLs this test does not request, and why ------------------------------------------------


@dataclass(frozen=True)
class Excused:
    login_required: bool  # anonymous visitors are sent to the login page (checked below)
    why: str  # how the URL is scoped instead of by an object id


OPEN = False
LOGIN = True
CRON = Excused(OPEN, "a job for Vercel Cron behind the CRON_SECRET bearer token (gbp_scheduler/tests/test_jobs.py)")
ACCOUNT = Excused(OPEN, "Django's login, logout and password reset: no franchise's data")
OWN_ACCOUNT = Excused(LOGIN, "Django's password change: the signed-in user's own account")
YOUR_FRANCHISES = Excused(
    LOGIN, "lists the signed-in user's franchises only (each page's tests: another's rows absent)"
)
HEADQUARTERS = Excused(LOGIN, "headquarters only: 403 for franchise users (checked below, from the views' marks)")

NOT_CHECKED: dict[str, Excused] = {
    # Django's admin site (every URL in the namespace): its own login page, for Django staff; its
    # `<path:object_id>` URLs are any row's, not a tenant's (franchises/tests/test_admin.py).
    "admin:*": Excused(OPEN, "Django's admin site: staff only, behind a login page of its own"),
    **{f"cron-{job.name}": CRON for job in JOBS},
    "login": ACCOUNT,
    "logout": ACCOUNT,
    "password_reset": ACCOUNT,
    "password_reset_done": ACCOUNT,
    "password_reset_confirm": ACCOUNT,  # <uidb64>/<token>: the signed link from the reset email
    "password_reset_complete": ACCOUNT,
    "password_change": OWN_ACCOUNT,
    "dashboard:profile": OWN_ACCOUNT,
    "api_keys:new": OWN_ACCOUNT,
    "api_keys:revoke": Excused(LOGIN, "the user's own API keys only, another's a 404 (api/tests/test_key_pages.py)"),
    # The REST API: bearer keys, not sessions. Every documented operation is called with every role
    # and with another tenant's key by api/tests/test_openapi_walk.py.
    "api-v1:*": Excused(OPEN, "the REST API, behind API keys (api/tests/test_openapi_walk.py)"),
    # The MCP server: the same keys; every tool is called with another tenant's ids there.
    "mcp_server:endpoint": Excused(OPEN, "the MCP server, behind API keys (mcp_server/tests/test_isolation.py)"),
    "password_change_done": OWN_ACCOUNT,
    # The JSON API (health/tests/).
    "health:health": Excused(
        OPEN, "open; details for members (their franchises), headquarters or the bearer (health/tests/)"
    ),
    "health:live": Excused(OPEN, "open liveness probe, no data"),
    "health:metrics": Excused(OPEN, "401 anonymous; the user's own franchises, all for headquarters or the bearer"),
    # The emailed invitation link: the signed, single-use token is the credential, and the page
    # shows only that invitation (franchises/tests/test_invitations.py).
    "franchises:invitation_accept": Excused(OPEN, "the signed token in the emailed link is the credential"),
    "dashboard:home": YOUR_FRANCHISES,
    "franchises:pick": YOUR_FRANCHISES,
    "dashboard:activity": YOUR_FRANCHISES,
    "dashboard:metrics": HEADQUARTERS,
    "posts:list": YOUR_FRANCHISES,
    "posts:calendar_all": YOUR_FRANCHISES,
    # The lists' and calendar's downloads read what their pages read (posts/tests/test_exports.py).
    "posts:list_csv": YOUR_FRANCHISES,
    "posts:calendar_csv": YOUR_FRANCHISES,
    "posts:calendar_ics": YOUR_FRANCHISES,
    "posts:many": Excused(
        LOGIN, "post ids in the body, kept only among the user's posts (posts/tests/test_posts_many.py)"
    ),
    "franchises:list": YOUR_FRANCHISES,
    "generation:drafts": YOUR_FRANCHISES,
    # The approvers' queue: only posts the user may approve (posts/tests/test_approvals.py).
    "posts:approvals": YOUR_FRANCHISES,
    "posts:approvals_many": Excused(
        LOGIN, "post ids in the body, kept only among those the user may approve (posts/tests/test_approvals.py)"
    ),
    "posts:approvals_undo": Excused(LOGIN, "undoes only the user's own decisions (posts/tests/test_approvals.py)"),
    "posts:approval_link": Excused(OPEN, "the signed, single-use token in the review link is the credential"),
    # Requests to take live posts down: those of the franchises the user administers only.
    "posts:takedowns": YOUR_FRANCHISES,
    "insights:ranking": YOUR_FRANCHISES,
    "reviews:inbox": YOUR_FRANCHISES,
    "reviews:approve": Excused(
        LOGIN, "review ids in the body, kept only among the user's own reviews (reviews/tests/test_pages.py)"
    ),
    "insights:ranking_csv": YOUR_FRANCHISES,
    "generation:drafts_bulk": Excused(
        LOGIN, "post ids in the body, kept only among the user's own drafts (generation/tests/test_drafts_review.py)"
    ),
    "generation:drafts_undo": Excused(
        LOGIN, "undoes only the user's own rejections, in their franchises of now (test_drafts_review.py)"
    ),
    "posts:announcement_new": HEADQUARTERS,
    "posts:brand_rules": HEADQUARTERS,  # the group's one set of rules
    "posts:import": Excused(
        LOGIN, "rows name franchises, found only among those the user administers (posts/tests/test_import.py)"
    ),
    "franchises:new": HEADQUARTERS,
    # Renaming and deactivating: headquarters' only, 403 for every franchise user whatever the id.
    "franchises:manage": HEADQUARTERS,
    # An announcement is headquarters' own, sent to many franchises: no franchise user may see it.
    "posts:announcement_list": HEADQUARTERS,
    "posts:announcement_detail": HEADQUARTERS,
    "posts:announcement_edit": HEADQUARTERS,
    "posts:announcement_cancel": HEADQUARTERS,
    "posts:announcement_photo_upload": HEADQUARTERS,
    "webhooks:headquarters": HEADQUARTERS,  # headquarters' own webhooks, for many franchises
    # Uploaded post photos kept in MEDIA_ROOT: public on purpose, as in a public bucket, because
    # Google fetches them without logging in; random names (posts/tests/test_photos.py).
    "posts:photo_file": Excused(OPEN, "public photo files under random names, for Google to fetch"),
    "dashboard:system": HEADQUARTERS,
    "dashboard:system_job_run": HEADQUARTERS,  # <slug:job> names a job, not a franchise's object
    # The OAuth callback: one fixed URL for every franchise, because Google accepts only registered
    # redirect URIs. The franchise comes from the connect pending in this session, matched to the
    # `state` Google sends back, and the user must still be its admin (test_google_connect.py).
    "franchises:google_callback": Excused(LOGIN, "the franchise comes from the session's pending connect"),
    "franchises:google_connections": Excused(
        LOGIN, "lists the Google connections of the franchises the user administers; 403 for others"
    ),
}

# Sample values for arguments that are not object ids (for the anonymous check).
OTHER_ARGUMENTS = {"job": JOBS[0].name}


def _excused(route: Route) -> Excused | None:
    return NOT_CHECKED.get(route.name) or NOT_CHECKED.get(f"{route.namespace}:*")


CHECKED = [route for route in ROUTES if _excused(route) is None and route.object_ids]
EXCUSED_BEHIND_LOGIN = [route for route in ROUTES if (excused := _excused(route)) and excused.login_required]


def test_every_url_is_checked_or_says_how_it_is_scoped():
    unaccounted = [f"{r.name} ({r.route})" for r in ROUTES if not r.object_ids and _excused(r) is None]
    assert unaccounted == [], "URLs without an object id: add each to NOT_CHECKED with how it is scoped"
    stale = set(NOT_CHECKED) - {r.name for r in ROUTES} - {f"{r.namespace}:*" for r in ROUTES}
    assert stale == set(), "NOT_CHECKED names URLs that no longer exist"
    # The walk reaches into the includes: a post's, a franchise's and a membership's URLs are there.
    assert {"posts:edit", "franchises:settings", "franchises:member_remove"} <= {r.name for r in CHECKED}
    # And it reads the marks: the admin pages and headquarters' pages are known from the views.
    assert {"franchises:settings", "franchises:members", "franchises:invitation_revoke", "posts:history"} <= {
        r.name for r in ROUTES if r.access == Access.FRANCHISE_ADMIN
    }
    assert {
        "dashboard:metrics",
        "dashboard:system",
        "dashboard:system_job_run",
        "posts:announcement_new",
        "posts:announcement_list",
        "posts:announcement_detail",
        "posts:announcement_edit",
        "posts:announcement_cancel",
        "posts:announcement_photo_upload",
        "posts:brand_rules",
        "franchises:new",
        "franchises:manage",
        "webhooks:headquarters",
    } == {r.name for r in ROUTES if r.access == Access.HEADQUARTERS}
    # A URL said to be headquarters' only is marked so, and the other way round.
    excused_for_headquarters = {name for name, excused in NOT_CHECKED.items() if excused is HEADQUARTERS}
    assert excused_for_headquarters == {r.name for r in ROUTES if r.access == Access.HEADQUARTERS}


# --- two franchises ----------------------------------------------------------------------------


@dataclass
class Tenant:
    franchise: Franchise
    admin: AbstractBaseUser
    staff: AbstractBaseUser
    post: Post
    invitation: Invitation
    series: PostSeries
    announcement: Announcement
    review: Review

    @property
    def membership(self) -> Membership:
        return Membership.objects.get(user=self.staff, franchise=self.franchise)


# What each object id in a URL names, for a tenant. A URL whose id is not here fails the test
# until this says which of the tenant's objects it is.
OBJECT_IDS: dict[str, Callable[[Tenant], uuid.UUID]] = {
    "franchise_id": lambda tenant: tenant.franchise.pk,
    "post_id": lambda tenant: tenant.post.pk,
    "membership_id": lambda tenant: tenant.membership.pk,
    "connection_id": lambda tenant: tenant.franchise.google_connection_id,
    "invitation_id": lambda tenant: tenant.invitation.pk,
    "series_id": lambda tenant: tenant.series.pk,
    "announcement_id": lambda tenant: tenant.announcement.pk,
    "review_id": lambda tenant: tenant.review.pk,
    "subscription_id": lambda tenant: (
        subscription_create(
            user=None, franchise=tenant.franchise, url="http://127.0.0.1:9/hooks", event_types=["post.failed"]
        ).pk
    ),
    # A user's own API key (its URL is in NOT_CHECKED: a key is a user's, not a franchise's).
    "key_id": lambda tenant: api_key_create(user=tenant.admin, name="Walk", scope="read")[0].pk,
}


def _tenant(sandbox, name: str) -> Tenant:
    franchise = franchise_connected_to_sandbox(sandbox, name=name)
    admin = make_member(franchise, Membership.Role.ADMIN)
    # The franchise's admin connected its Google account, so its map is theirs to use (an admin
    # on headquarters' shared account: franchises/tests/test_google_tenants.py).
    GoogleConnection.objects.filter(pk=franchise.google_connection_id).update(connected_by=admin)
    return Tenant(
        franchise=franchise,
        admin=admin,
        staff=make_member(franchise, Membership.Role.STAFF),
        post=make_post(
            franchise=franchise, status=Post.Status.FAILED, last_error="Google said no.", source=Post.Source.AI
        ),
        invitation=invitation_send(franchise=franchise, email=f"new@{slugify(name)}.example", role="staff", actor=None),
        series=series_create(
            franchise=franchise,
            user=None,
            rule=series_rule_build(frequency="weekly", weekdays=["MO"]),
            starts_on=timezone.localdate(),
            local_time=dt.time(9, 0),
            summary="The weekly special.",
        ),
        announcement=announcement_schedule(
            franchises=[franchise],
            template="News from {name}.",
            date=timezone.localdate() + dt.timedelta(days=30),
            local_time=dt.time(9, 0),
            user=None,
        )[0].announcement,
        review=make_review(franchise),
    )


# `theirs`: the franchise whose ids are asked for. `mine`: the franchise of the users asking.
@pytest.fixture
def theirs(sandbox, settings) -> Tenant:
    settings.PUBLISH_CONCURRENCY = 1  # their admin's publish-now runs in the test's transaction
    return _tenant(sandbox, "Their Bakery")


@pytest.fixture
def mine(sandbox) -> Tenant:
    return _tenant(sandbox, "My Bakery")


def _what_a_form_might_send(user) -> dict[str, str]:
    """Enough for any of these views to act, were it to skip the tenant check: a role, a text, a
    time, a location, settings, and the outsider's own address to invite."""
    return {
        "role": Membership.Role.ADMIN,
        "email": f"{user.get_username()}@outsider.example",
        "summary": "Written by someone from another franchise.",
        "step": "schedule",
        "scheduled_at": "2030-01-07T09:00",
        "location": "1001/2001",
        "description": "Taken over.",
        "city": "Elsewhere",
        "posts_per_week": "7",
        "timezone": "UTC",
    }


def _request(user, method: str, url: str) -> int:
    client = Client()  # does not enforce CSRF: the check under test comes after it
    client.force_login(user)
    if method == "get":
        return client.get(url).status_code
    return client.post(url, _what_a_form_might_send(user)).status_code


def _url(route: Route, ids: dict[str, uuid.UUID]) -> str:
    other = {a: OTHER_ARGUMENTS[a] for a in route.arguments if a not in route.object_ids}
    return reverse(route.name, kwargs={**ids, **other})


def _ids(route: Route, owners: dict[str, Tenant]) -> dict[str, uuid.UUID]:
    missing = set(route.object_ids) - set(OBJECT_IDS)
    assert not missing, f"{route.name}: say in OBJECT_IDS which object {sorted(missing)} names"
    return {argument: OBJECT_IDS[argument](owners[argument]) for argument in route.object_ids}


def _made_up(ids: dict[str, uuid.UUID], replace: set[str]) -> dict[str, uuid.UUID]:
    return {argument: uuid.uuid4() if argument in replace else value for argument, value in ids.items()}


def _everything_of(tenant: Tenant, sandbox) -> dict:
    franchise = tenant.franchise
    google = {kind: calls for kind, calls in sandbox.client.counters().items() if kind != "control"}
    return {
        "franchise": Franchise.objects.filter(pk=franchise.pk).values().get(),
        "posts": list(Post.objects.filter(franchise=franchise).order_by("pk").values()),
        "events": list(PostEvent.objects.filter(franchise=franchise).order_by("pk").values()),
        "members": list(Membership.objects.filter(franchise=franchise).order_by("pk").values()),
        "invitations": list(Invitation.objects.filter(franchise=franchise).order_by("pk").values()),
        "series": list(PostSeries.objects.filter(franchise=franchise).order_by("pk").values()),
        "history": list(FranchiseEvent.objects.filter(franchise=franchise).order_by("pk").values()),
        "google": google,
    }


@pytest.mark.parametrize("route", CHECKED, ids=str)
def test_another_franchises_ids_do_not_exist(route, theirs, mine, sandbox):
    before = _everything_of(theirs, sandbox)
    answers, reached = {}, set()
    for method in ("get", "post"):
        # The victim's ids everywhere, and (for URLs with two ids) mixed with the outsider's own:
        # their membership under my franchise is as absent as under theirs.
        for owners in itertools.product((theirs, mine), repeat=len(route.object_ids)):
            if theirs not in owners:
                continue
            ids = _ids(route, dict(zip(route.object_ids, owners, strict=True)))
            victims = {a for a, owner in zip(route.object_ids, owners, strict=True) if owner is theirs}
            url, nowhere = _url(route, ids), _url(route, _made_up(ids, victims))
            outsiders = [mine.admin] + ([mine.staff] if len(victims) == len(ids) else [])
            for outsider in outsiders:
                got, expected = _request(outsider, method, url), _request(outsider, method, nowhere)
                answers[(method, url, outsider.get_username())] = (got, expected)
                assert got == expected, f"{method.upper()} {url}: {got}, but {expected} for an id that does not exist"
                assert got in (404, 405), f"{method.upper()} {url}: {got} tells another franchise the object exists"
                if got == 404:
                    reached.add(method)
    assert reached, f"{route.name}: neither GET nor POST reached the view (405 for both): {answers}"
    assert _everything_of(theirs, sandbox) == before

    # Their own admin, same requests: not a 404 (for a method the URL takes), so the ids were real.
    url = _url(route, _ids(route, dict.fromkeys(route.object_ids, theirs)))
    for method in ("get", "post"):  # GET first: a POST may delete the object
        answer = _request(theirs.admin, method, url)
        if method in reached:
            assert answer != 404, f"{method.upper()} {url}: 404 for the franchise's own admin"
        else:
            assert answer == 405


@pytest.mark.parametrize("route", CHECKED + EXCUSED_BEHIND_LOGIN, ids=str)
def test_anonymous_visitors_are_sent_to_login(route, theirs, sandbox):
    ids = _ids(route, dict.fromkeys(route.object_ids, theirs)) if route.object_ids else {}
    url = _url(route, ids)
    before = _everything_of(theirs, sandbox)
    answers = {}
    for method in ("get", "post"):
        client = Client()
        response = client.get(url) if method == "get" else client.post(url, {"role": Membership.Role.ADMIN})
        login = response.status_code == 302 and response["Location"].startswith(reverse("login") + "?next=")
        answers[method] = "login" if login else response.status_code
    assert set(answers.values()) <= {"login", 405} and "login" in answers.values(), f"{url}: {answers}"
    assert _everything_of(theirs, sandbox) == before


# --- roles inside a franchise, and headquarters' pages -----------------------------------------------

FOR_ADMINS = [route for route in ROUTES if route.access == Access.FRANCHISE_ADMIN]
FOR_HEADQUARTERS = [route for route in ROUTES if route.access == Access.HEADQUARTERS]
FOR_MEMBERS = [route for route in CHECKED if route.access is None]


@pytest.mark.parametrize("route", FOR_ADMINS, ids=str)
def test_admin_views_refuse_the_franchises_own_staff(route, theirs, sandbox):
    """Staff of the same franchise, with that franchise's real ids: 403 (404 where the object is one
    only admins can see, e.g. a Google connection), never 200 or a redirect, and nothing changes."""
    url = _url(route, _ids(route, dict.fromkeys(route.object_ids, theirs)))
    before = _everything_of(theirs, sandbox)
    answers = {method: _request(theirs.staff, method, url) for method in ("get", "post")}
    assert set(answers.values()) <= {403, 404, 405} and set(answers.values()) != {405}, f"{url}: {answers}"
    assert _everything_of(theirs, sandbox) == before
    # The franchise's admin is let in (for a method the URL takes).
    admitted = {method: _request(theirs.admin, method, url) for method in ("get",) if answers[method] != 405}
    assert all(status not in (403, 404) for status in admitted.values()), f"{url}: {admitted} for its admin"


@pytest.mark.parametrize("route", FOR_HEADQUARTERS, ids=str)
def test_headquarters_views_refuse_franchise_users(route, theirs, sandbox):
    # An announcement's URLs name one sent to their franchise: still headquarters' alone.
    url = _url(route, _ids(route, dict.fromkeys(route.object_ids, theirs)) if route.object_ids else {})
    before = _everything_of(theirs, sandbox)
    for user in (theirs.admin, theirs.staff):
        answers = {method: _request(user, method, url) for method in ("get", "post")}
        assert set(answers.values()) <= {403, 405} and 403 in answers.values(), f"{url}: {answers}"
    assert _everything_of(theirs, sandbox) == before
    headquarters = make_user(superuser=True)
    assert _request(headquarters, "get", url) in (200, 405)


@pytest.mark.parametrize("route", FOR_MEMBERS, ids=str)
def test_every_other_view_lets_the_franchises_staff_in(route, theirs, sandbox):
    """A view without a mark is for every member: their own staff are not refused. (A view that
    checked a role without a mark would fail here: mark it, so the walks above cover it.)"""
    url = _url(route, _ids(route, dict.fromkeys(route.object_ids, theirs)))
    answers = {method: _request(theirs.staff, method, url) for method in ("get", "post")}  # GET first
    assert not set(answers.values()) & {403, 404}, f"{url}: {answers} for the franchise's own staff"
