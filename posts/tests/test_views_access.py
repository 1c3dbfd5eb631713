"""Who may open what: headquarters, lists scoped to the user, roles (403), CSP, escaping, CSRF."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from franchises.models import Membership
from posts.models import Post
from testkit.factories import make_franchise, make_member, make_post, make_user
from testkit.web import logged_in

pytestmark = pytest.mark.django_db

# Login and tenant scoping (404 for another franchise's ids) for every URL of the project:
# gbp_scheduler/tests/test_tenant_isolation.py, driven by the URL configuration.


@pytest.fixture
def franchise():
    return make_franchise(city="Austin")


@pytest.fixture
def post(franchise):
    return make_post(franchise=franchise, status=Post.Status.FAILED, last_error="Google said no.")


def _url(name: str, franchise, post) -> str:
    """The URL of `name` for the post, or the franchise, or with no argument: whichever it takes."""
    for kwargs in ({"post_id": post.pk}, {"franchise_id": franchise.pk}, {}):
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    raise AssertionError(f"{name} takes neither a post, a franchise nor nothing")


def test_headquarters_sees_every_franchise_post(client, post):
    response = logged_in(client, make_user(superuser=True)).get(reverse("posts:detail", args=[post.pk]))
    assert response.status_code == 200


def test_the_posts_list_shows_only_the_users_franchises(client, franchise, post):
    other = make_post(franchise=make_franchise(), summary="Someone else's news.")
    response = logged_in(client, make_member(franchise, Membership.Role.STAFF)).get(reverse("posts:list"))
    assert str(post.pk) in response.content.decode()
    assert str(other.pk) not in response.content.decode()


def test_drafts_queue_shows_only_the_users_franchises(client, franchise):
    mine = make_post(franchise=franchise, source=Post.Source.AI)
    theirs = make_post(franchise=make_franchise(), source=Post.Source.AI)
    body = (
        logged_in(client, make_member(franchise, Membership.Role.STAFF))
        .get(reverse("generation:drafts"))
        .content.decode()
    )
    assert str(mine.pk) in body
    assert str(theirs.pk) not in body


def test_staff_cannot_read_the_franchise_history_but_admins_can(client, franchise):
    url = reverse("posts:history", args=[franchise.pk])
    assert logged_in(client, make_member(franchise, Membership.Role.STAFF)).get(url).status_code == 403
    assert logged_in(client, make_member(franchise, Membership.Role.ADMIN)).get(url).status_code == 200


def test_only_headquarters_may_post_announcements(client, franchise):
    url = reverse("posts:announcement_new")
    assert logged_in(client, make_member(franchise, Membership.Role.ADMIN)).get(url).status_code == 403
    assert (
        logged_in(client, make_member(franchise, Membership.Role.STAFF)).post(url, {"step": "schedule"}).status_code
        == 403
    )
    assert logged_in(client, make_user(superuser=True)).get(url).status_code == 200


def test_staff_cannot_delete_a_published_post(client, franchise):
    published = make_post(franchise=franchise, status=Post.Status.PUBLISHED, published_at=timezone.now())
    staff = logged_in(client, make_member(franchise, Membership.Role.STAFF))
    url = reverse("posts:delete", args=[published.pk])
    assert staff.get(url).status_code == 403
    assert staff.post(url).status_code == 403
    assert Post.objects.filter(pk=published.pk).exists()
    detail = staff.get(reverse("posts:detail", args=[published.pk])).content.decode()
    assert 'data-action="delete"' not in detail


def test_staff_may_delete_a_draft(client, franchise):
    draft = make_post(franchise=franchise)
    response = logged_in(client, make_member(franchise, Membership.Role.STAFF)).post(
        reverse("posts:delete", args=[draft.pk])
    )
    assert response.status_code == 302
    assert not Post.objects.filter(pk=draft.pk).exists()


# --- safe by default ------------------------------------------------------------------------------

PAGES = ["posts:list", "posts:franchise_list", "posts:calendar", "posts:new", "posts:detail", "posts:edit"]
PAGES += ["generation:drafts", "posts:history", "posts:announcement_new", "posts:delete"]


@pytest.mark.parametrize("name", PAGES)
def test_pages_send_a_strict_csp_and_hold_no_inline_script_or_style(client, franchise, post, name):
    make_post(franchise=franchise, source=Post.Source.AI, summary="An AI draft.")
    response = logged_in(client, make_user(superuser=True)).get(_url(name, franchise, post))
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    body = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), "inline <script> would be blocked by the CSP"
    assert "<style" not in body
    assert not re.search(r"\sstyle=", body), "inline style attributes would be blocked by the CSP"
    assert not re.search(r"\son[a-z]+=", body), "inline event handlers would be blocked by the CSP"


@pytest.mark.parametrize(
    "name", ["posts:list", "posts:franchise_list", "posts:detail", "posts:edit", "generation:drafts"]
)
def test_a_script_in_the_summary_is_shown_as_text(client, franchise, name):
    evil = make_post(
        franchise=franchise,
        summary='<script>alert("owned")</script><img src=x onerror=alert(1)>',
        source=Post.Source.AI,
        scheduled_at=timezone.now(),
    )
    body = (
        logged_in(client, make_member(franchise, Membership.Role.STAFF))
        .get(_url(name, franchise, evil))
        .content.decode()
    )
    assert '<script>alert("owned")</script>' not in body
    assert "<img src=x" not in body
    assert "&lt;script&gt;alert(" in body


def test_a_script_in_the_preview_is_shown_as_text(client, franchise):
    response = logged_in(client, make_member(franchise, Membership.Role.STAFF)).post(
        reverse("posts:preview", args=[franchise.pk]), {"summary": "<script>alert(1)</script>"}
    )
    body = response.content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_a_calendar_entry_escapes_its_summary(client, franchise):
    when = timezone.now()
    make_post(franchise=franchise, summary="<script>alert(2)</script>", status=Post.Status.SCHEDULED, scheduled_at=when)
    body = (
        logged_in(client, make_member(franchise, Membership.Role.STAFF))
        .get(reverse("posts:calendar", args=[franchise.pk]))
        .content.decode()
    )
    assert "<script>alert(2)" not in body
    assert "&lt;script&gt;alert(2)" in body


@pytest.mark.parametrize(("name", "data"), [("posts:unschedule", {}), ("posts:duplicate", {}), ("posts:edit", {})])
def test_forms_refuse_a_post_without_the_csrf_token(franchise, name, data):
    post = make_post(franchise=franchise, status=Post.Status.SCHEDULED)
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_member(franchise, Membership.Role.STAFF))
    response = client.post(reverse(name, args=[post.pk]), {"summary": "Changed.", **data})
    assert response.status_code == 403
    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED
    assert Post.objects.count() == 1


def test_every_form_on_the_post_page_carries_a_csrf_token(client, franchise):
    post = make_post(franchise=franchise, status=Post.Status.SCHEDULED)
    body = (
        logged_in(client, make_member(franchise, Membership.Role.STAFF))
        .get(reverse("posts:detail", args=[post.pk]))
        .content.decode()
    )
    forms = re.findall(r"<form\b.*?</form>", body, flags=re.S)
    posting = [form for form in forms if 'method="post"' in form]
    assert len(posting) >= 4
    assert all("csrfmiddlewaretoken" in form for form in posting)
