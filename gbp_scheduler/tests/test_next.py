"""A `next` (where to go back to) only ever leads to a page of this site: every view reads it
through gbp_scheduler.http.safe_next, which checks it the way Django's login checks its own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import RequestFactory
from django.urls import reverse

from franchises.models import Membership
from posts.models import Post
from testkit.factories import make_franchise, make_member, make_post

ROOT = Path(__file__).resolve().parents[2]

OFF_SITE = [
    "/\\evil.example/",  # what ?next=/%5Cevil.example/ arrives as: browsers read it as //evil.example/
    "//evil.example/",
    "https://evil.example/",
    "/\t/evil.example/",
    "\\\\evil.example",
    "javascript:alert(1)",
    "/\n/evil.example",
    "evil.example",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_an_off_site_next_is_dropped(target):
    from gbp_scheduler.http import safe_next

    assert safe_next(RequestFactory().get("/"), target) == ""


def test_a_page_of_this_site_is_kept():
    from gbp_scheduler.http import safe_next

    request = RequestFactory().get("/")
    assert safe_next(request, "/drafts/?franchise=1&page=2") == "/drafts/?franchise=1&page=2"


@pytest.fixture
def staff(db):
    franchise = make_franchise()
    return make_member(franchise, Membership.Role.STAFF), franchise


def test_the_editor_offers_no_back_link_off_site(client, staff):
    user, franchise = staff
    post = make_post(franchise=franchise)
    client.force_login(user)
    page = client.get(f"{reverse('posts:edit', args=[post.pk])}?next=/%5Cevil.example/").content.decode()
    assert 'id="back-to-list"' not in page and "evil.example" not in page
    page = client.get(f"{reverse('posts:edit', args=[post.pk])}?next=/drafts/").content.decode()
    assert 'id="back-to-list"' in page and 'href="/drafts/"' in page


def test_an_action_goes_back_to_the_fallback_instead_of_off_site(client, staff):
    user, franchise = staff
    post = make_post(franchise=franchise, status=Post.Status.SCHEDULED)
    client.force_login(user)
    answer = client.post(reverse("posts:unschedule", args=[post.pk]), {"next": "/\\evil.example/"})
    assert answer.status_code == 302 and "evil.example" not in answer["Location"]


def test_the_confirmation_of_many_posts_cancels_back_to_this_site(client, staff):
    user, franchise = staff
    post = make_post(franchise=franchise, status=Post.Status.DRAFT)
    client.force_login(user)
    page = client.post(reverse("posts:many"), {"post": [post.pk], "action": "delete", "next": "/\\evil.example/"})
    assert page.status_code == 200 and "evil.example" not in page.content.decode()


def test_signing_in_never_goes_off_site(client, db):
    make_member(make_franchise(), Membership.Role.STAFF, username="maria", password="a-long-passphrase-42")
    answer = client.post(
        f"{reverse('login')}?next=/%5Cevil.example/", {"username": "maria", "password": "a-long-passphrase-42"}
    )
    assert answer.status_code == 302 and "evil.example" not in answer["Location"]


def test_every_view_reads_next_through_safe_next():
    unchecked = []
    for path in [*ROOT.glob("*/views*.py"), *ROOT.glob("*/views/*.py")]:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if re.search(r"""request\.(GET|POST)\S*["']next["']""", line) and "safe_next(" not in line:
                unchecked.append(f"{path.relative_to(ROOT)}:{number}")
    assert unchecked == []
