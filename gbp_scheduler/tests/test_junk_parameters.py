"""Junk in every parameter: each URL of the project, with each parameter that names an object (in
its path or its query string) given a malformed value, another franchise's object and an object
that exists nowhere, answers 404 for every role: never a 500, never the page as if the value were
absent, never a hint that the object exists.

The URLs come from the URL configuration (the same walk as test_tenant_isolation.py); the query
parameters that take an id come from the views' own marks (`gbp_scheduler.http.id_parameters`).
Every parameter a view reads from the query string is either marked or named in NOT_IDS below,
so a new one cannot be missed. A role that a view refuses whatever the ids (staff on an admin's
page, a franchise user on headquarters' pages) may get that refusal (403) instead; a method the
URL does not take gets 405.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from franchises.access import Access
from franchises.selectors import INVITATION_LINK_SALT, invitation_link_token
from gbp_scheduler.tests.test_tenant_isolation import OBJECT_IDS, ROUTES, Route, Tenant, _tenant
from posts.forms import PostFilterForm
from testkit.factories import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]

ROOT = Path(__file__).resolve().parents[2]
MALFORMED = ["not-a-uuid", "1", "12345678-1234-1234-1234-1234567890123", "' OR 1=1 --"]

# Path arguments that name something without being an object id of a tenant, with what a
# well-formed value naming nothing looks like. The invitation link's token is the credential
# itself (another franchise's link works for whoever holds it), so it has no "foreign" value.
CREDENTIALS: dict[str, Callable[[], str]] = {
    "token": lambda: signing.dumps({"i": str(uuid.uuid4()), "n": "x"}, salt=INVITATION_LINK_SALT),
}
# Query-string parameters views read that are not object ids (each with what it is instead).
NOT_IDS = {
    "page": "a page number: Django's paginator answers the nearest page",
    "q": "a search text",
    "view": "month or week",
    "waiting_for": "who must approve: admin or headquarters (the approvals queue)",
    "date": "a day of the calendar; a malformed one shows today",
    "at": "a time for a new post; a malformed one is ignored",
    "days": "a number of days",
    "attention": "a flag",
    "refresh": "a flag",
    "next": "where to go back to: gbp_scheduler.http.safe_next keeps it on this site",
    "state": "the OAuth callback's state: checked against the session (test_google_connect.py)",
    "code": "the OAuth callback's code: exchanged with Google only for a state of this session",
    "error": "the OAuth callback's error",
    "status": "a post status filter (a form choice)",
    "source": "a post source filter (a form choice)",
    "date_from": "a date filter",
    "date_to": "a date filter",
}
# What each id-taking query parameter names, for a tenant.
QUERY_OBJECTS: dict[str, Callable[[Tenant], uuid.UUID]] = {
    "from_post": lambda tenant: tenant.post.pk,
    "franchise": lambda tenant: tenant.franchise.pk,
}
_GET_READ = re.compile(r"""request\.GET(?:\.get|\.getlist)?[\(\[]\s*["'](\w+)["']""")


def _query_parameters_read() -> set[str]:
    """Every name a view reads from the query string, by reading the views' source, plus the
    fields of the filter form bound to the query string."""
    names = set()
    for path in ROOT.glob("*/views*.py"):
        names |= set(_GET_READ.findall(path.read_text()))
    for path in ROOT.glob("*/views/*.py"):
        names |= set(_GET_READ.findall(path.read_text()))
    return names | set(PostFilterForm.base_fields)


def _marked(route: Route) -> tuple[str, ...]:
    return getattr(_callback(route), "id_parameters", ())


def _callback(route: Route):
    from django.urls import resolve

    sample = {a: uuid.uuid4() for a in route.object_ids}
    sample |= {a: "x" for a in route.arguments if a not in route.object_ids}
    return resolve(reverse(route.name, kwargs=sample)).func


# The REST API answers its own junk in its own error shape, behind API keys rather than sessions:
# api/tests/test_junk.py and api/tests/test_openapi_walk.py walk every operation with it.
WALKED = [r for r in ROUTES if not r.name.startswith(("admin:", "cron-", "api-v1:"))]
WITH_PATH_IDS = [r for r in WALKED if r.object_ids]
WITH_QUERY_IDS = [r for r in WALKED if _marked(r)]
# Open URLs whose path carries a credential: tested on their own below.
CREDENTIAL_LINKS = {"franchises:invitation_accept", "password_reset_confirm", "posts:photo_file"}


def test_every_query_parameter_read_is_an_id_marked_on_its_view_or_said_not_to_be_one():
    declared = {name for route in WALKED for name in _marked(route)}
    assert declared == set(QUERY_OBJECTS), "say in QUERY_OBJECTS what each marked parameter names"
    unknown = _query_parameters_read() - declared - set(NOT_IDS)
    assert unknown == set(), f"query parameters read without saying whether they are ids: {sorted(unknown)}"
    assert {"posts:series_new", "posts:list", "posts:calendar_all", "generation:drafts"} <= {
        r.name for r in WITH_QUERY_IDS
    }


@pytest.fixture
def tenants(sandbox, settings):
    settings.PUBLISH_CONCURRENCY = 1
    return _tenant(sandbox, "Their Bakery"), _tenant(sandbox, "My Bakery")


def _roles(mine: Tenant) -> dict[str, object]:
    return {"staff": mine.staff, "admin": mine.admin, "headquarters": make_user(superuser=True)}


def _refused_whatever_the_ids(route: Route, role: str) -> bool:
    if route.access == Access.HEADQUARTERS:
        return role != "headquarters"
    return route.access == Access.FRANCHISE_ADMIN and role == "staff"


def _answers(user, url: str) -> dict[str, int]:
    client = Client()
    if user is not None:
        client.force_login(user)
    return {"get": client.get(url).status_code, "post": client.post(url, {"role": "admin"}).status_code}


def _assert_not_found(route: Route, role: str, url: str, answers: dict[str, int], what: str) -> None:
    allowed = {404, 405} | ({403} if _refused_whatever_the_ids(route, role) else set())
    assert set(answers.values()) <= allowed, f"{role}, {what}: {url} answered {answers}"
    assert set(answers.values()) != {405}, f"{route.name}: neither GET nor POST reached it"


def _junk_values(route: Route, argument: str, mine: Tenant, theirs: Tenant, role: str) -> dict[str, str]:
    """{what: value} for one id argument: malformed ones, another franchise's, nobody's."""
    values = {f"malformed {bad!r}": bad for bad in MALFORMED}
    values["nobody's"] = str(uuid.uuid4())
    if role != "headquarters":  # headquarters sees every franchise: nothing is another's
        values["another franchise's"] = str(OBJECT_IDS[argument](theirs))
    return values


@pytest.mark.parametrize("route", WITH_PATH_IDS, ids=str)
def test_junk_in_a_path_id_is_a_404_for_every_role(route, tenants, sandbox):
    theirs, mine = tenants
    for role, user in _roles(mine).items():
        real = {argument: str(OBJECT_IDS[argument](mine)) for argument in route.object_ids}
        url = reverse(route.name, kwargs=real)
        for argument in route.object_ids:
            for what, value in _junk_values(route, argument, mine, theirs, role).items():
                junk = url.replace(real[argument], value.replace("'", "%27").replace(" ", "%20"))
                _assert_not_found(route, role, junk, _answers(user, junk), f"{argument} {what}")


@pytest.mark.parametrize("route", WITH_QUERY_IDS, ids=str)
def test_junk_in_a_query_id_is_a_404_for_every_role(route, tenants, sandbox):
    theirs, mine = tenants
    for role, user in _roles(mine).items():
        url = reverse(route.name, kwargs={a: OBJECT_IDS[a](mine) for a in route.object_ids})
        for name in _marked(route):
            values = {f"malformed {bad!r}": bad for bad in MALFORMED}
            values["nobody's"] = str(uuid.uuid4())
            if role != "headquarters" or route.object_ids:
                # To headquarters another franchise's post is still not one of this franchise's.
                values["another franchise's"] = str(QUERY_OBJECTS[name](theirs))
            for what, value in values.items():
                junk = f"{url}?{urlencode({name: value})}"
                _assert_not_found(route, role, junk, _answers(user, junk), f"?{name} {what}")
            # The parameter is really read: with the franchise's own object the page is there.
            own = f"{url}?{name}={QUERY_OBJECTS[name](mine)}"
            client = Client()
            client.force_login(user)
            assert client.get(own).status_code == 200, f"{role}: {own}"


@pytest.mark.parametrize("route", [r for r in WALKED if r.name not in CREDENTIAL_LINKS], ids=str)
def test_no_url_breaks_on_a_malformed_id_in_any_query_parameter(route, tenants, sandbox):
    """Every URL, marked or not, with a malformed value in each id-taking parameter of the
    project: a 404 where the view takes it, the page as usual where it does not; never a 500."""
    _theirs, mine = tenants
    ids = {a: OBJECT_IDS[a](mine) for a in route.object_ids}
    other = {a: "publish-scheduled" for a in route.arguments if a not in route.object_ids}
    url = reverse(route.name, kwargs={**ids, **other})
    junk = f"{url}?{urlencode(dict.fromkeys(QUERY_OBJECTS, MALFORMED[0]))}"
    for role, user in _roles(mine).items():
        client = Client(raise_request_exception=False)
        client.force_login(user)
        assert client.get(junk).status_code < 500, f"{role}: {junk}"


def test_junk_in_the_credential_links_is_a_404_signed_in_or_not(tenants):
    theirs, mine = tenants
    user = make_user(email="someone@example.com", password="a-long-old-passphrase-1")
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    nobody = urlsafe_base64_encode(force_bytes(10**9))
    token = default_token_generator.make_token(user)
    links = {
        "invitation link, malformed": reverse("franchises:invitation_accept", args=["not-a-token"]),
        "invitation link, nobody's": reverse("franchises:invitation_accept", args=[CREDENTIALS["token"]()]),
        "reset link, malformed user": reverse("password_reset_confirm", args=["!!", token]),
        "reset link, nobody's user": reverse("password_reset_confirm", args=[nobody, token]),
        "reset link, malformed token": reverse("password_reset_confirm", args=[uid, "not-a-token"]),
        "reset link, another user's": reverse(
            "password_reset_confirm", args=[urlsafe_base64_encode(force_bytes(mine.admin.pk)), token]
        ),
    }
    for role, who in {"anonymous": None, **_roles(mine)}.items():
        for what, url in links.items():
            client = Client()
            if who is not None:
                client.force_login(who)
            assert client.get(url, follow=True).status_code == 404, f"{role}, {what}: {url}"
    # The real links work (so the 404s above came from the junk).
    assert (
        Client()
        .get(reverse("franchises:invitation_accept", args=[invitation_link_token(theirs.invitation)]))
        .status_code
        == 200
    )
    assert Client().get(reverse("password_reset_confirm", args=[uid, token]), follow=True).status_code == 200


def test_junk_in_the_job_of_run_now_is_a_404_for_headquarters(tenants):
    headquarters = make_user(superuser=True)
    for job in ["no-such-job", "publish_scheduled", "1"]:
        url = reverse("dashboard:system_job_run", args=[job])
        assert _answers(headquarters, url)["post"] == 404, url


def test_the_walk_reaches_into_every_app():
    assert {"posts:edit", "franchises:member_remove", "franchises:google_connection_map", "insights:franchise"} <= {
        r.name for r in WITH_PATH_IDS
    }
