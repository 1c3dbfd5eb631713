"""Headquarters finds franchises instead of scrolling: the home page and /franchises/ search by
name or city; the home page can show only the franchises that need someone; both paginate."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from franchises.models import Membership
from posts.models import Post
from testkit.factories import make_franchise, make_member, make_post, make_user
from testkit.web import logged_in

pytestmark = pytest.mark.django_db

HOME = reverse("dashboard:home")
LIST = reverse("franchises:list")


@pytest.fixture
def group(client):
    logged_in(client, make_user(superuser=True))
    return {
        "dayton": make_franchise(name="Dayton Deli", city="Dayton"),
        "akron": make_franchise(name="Akron Bagels", city="Akron"),
        "quiet": make_franchise(name="Quiet Corner", city="Toledo"),
    }


def _cards(body: str) -> set[str]:
    return set(re.findall(r'id="franchise-card-([0-9a-f-]+)"', body))


def test_home_search_by_name_or_city(client, group):
    assert _cards(client.get(HOME, {"q": "deli"}).content.decode()) == {str(group["dayton"].pk)}
    assert _cards(client.get(HOME, {"q": "TOLEDO"}).content.decode()) == {str(group["quiet"].pk)}
    body = client.get(HOME, {"q": "nowhere"}).content.decode()
    assert 'id="no-matches"' in body


def test_home_shows_only_the_franchises_that_need_someone(client, group):
    make_post(franchise=group["dayton"], status=Post.Status.FAILED, last_error="No.")
    make_post(franchise=group["akron"], source=Post.Source.AI)  # a draft waiting
    body = client.get(HOME, {"attention": "1"}).content.decode()
    assert _cards(body) == {str(group["dayton"].pk), str(group["akron"].pk)}


def test_home_pages_keep_the_search(client):
    logged_in(client, make_user(superuser=True))
    for n in range(31):
        make_franchise(name=f"Store {n:02}", city="Columbus")
    body = client.get(HOME, {"q": "store"}).content.decode()
    assert 'href="?q=store&amp;page=2"' in body


def test_the_franchise_list_searches_and_paginates(client):
    logged_in(client, make_user(superuser=True))
    for n in range(51):
        make_franchise(name=f"Shop {n:02}")
    make_franchise(name="Other", city="Lima")
    body = client.get(LIST).content.decode()
    assert body.count('<li id="franchise-') == 50 and "Page 1 of 2 (52 franchises)" in body
    body = client.get(LIST, {"q": "lima"}).content.decode()
    assert body.count('<li id="franchise-') == 1 and ">Other<" in body


def test_a_member_searches_only_among_their_own(client):
    mine = make_franchise(name="Mine Deli")
    make_franchise(name="Their Deli")
    logged_in(client, make_member(mine, Membership.Role.STAFF))
    assert _cards(client.get(HOME, {"q": "deli"}).content.decode()) == {str(mine.pk)}
    assert client.get(LIST, {"q": "deli"}).content.decode().count('<li id="franchise-') == 1
