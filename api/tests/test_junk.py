"""Junk in every place a client can put it: the answer is a 4xx in the API's error shape, never a
500, and nothing is written."""

from __future__ import annotations

import base64

import pytest

from franchises.models import Membership
from posts.models import Post
from testkit.factories import make_franchise, make_member, make_post, make_user

from .helpers import key_client

pytestmark = pytest.mark.django_db

JUNK_QUERIES = [
    {"limit": "-1"},
    {"limit": "abc"},
    {"limit": str(10**30)},
    {"day_from": "2020-13-45"},
    {"day_to": "yesterday"},
    {"cursor": "%%%"},
    {"cursor": base64.urlsafe_b64encode(b'[1, 2, "x"]').decode()},
    {"cursor": base64.urlsafe_b64encode(b"{}").decode()},
    {"cursor": "x" * 5000},
    {"franchise_id": "0"},
    {"status": "DRAFT'--"},
    {"source": "\u0000"},
]


@pytest.fixture
def api():
    franchise = make_franchise()
    make_post(franchise=franchise)
    return franchise, key_client(make_member(franchise, Membership.Role.ADMIN))


@pytest.mark.parametrize("query", JUNK_QUERIES, ids=lambda q: next(iter(q)))
def test_junk_list_parameters_are_refused_by_name(api, query):
    _, client = api
    answer = client.get("/api/v1/posts", query=query)
    assert answer.status_code == 422, answer.content
    assert {e["field"] for e in answer.json()["errors"]} == set(query)


def test_parameters_the_api_does_not_know_are_ignored(api):
    _, client = api
    assert client.get("/api/v1/posts", query={"colour": "blue", "limit": "5"}).status_code == 200


@pytest.mark.parametrize(
    "body",
    ["not json", "[1, 2]", '{"summary": ', "null", '{"franchise_id": null, "summary": 5}', "\u00ff\u00fe"],
)
def test_junk_bodies_are_refused_and_write_nothing(api, body):
    _, client = api
    before = Post.objects.count()
    answer = client.client.post(
        "/api/v1/posts",
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {client.secret}"},
    )
    assert 400 <= answer.status_code < 500, answer.content
    assert answer.json()["errors"][0]["code"]
    assert Post.objects.count() == before


def test_an_oversized_text_is_refused_by_field(api):
    franchise, client = api
    answer = client.post("/api/v1/posts", json={"franchise_id": str(franchise.pk), "summary": "x" * 1501})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "summary"


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer ", "Basic abc", "Bearer gbp__", "Bearer gbp_x_y", "Bearer " + "a" * 10_000]
)
def test_junk_authorization_is_a_401(api, header):
    _, client = api
    answer = client.client.get("/api/v1/franchises", headers={"Authorization": header})
    assert answer.status_code == 401 and answer.json()["errors"][0]["code"] == "unauthenticated"


# The other lists' parameters: each junk value refused by name, whatever the list.
OTHER_LISTS = {
    "/api/v1/approvals": [{"waiting_for": "everyone"}, {"offset": "-3"}, {"franchise_id": "1 OR 1=1"}],
    "/api/v1/drafts": [{"limit": "0"}, {"offset": "x"}, {"franchise_id": "%00"}],
    "/api/v1/reviews": [{"stars": "0"}, {"stars": "five"}, {"unanswered": "perhaps"}, {"limit": "101"}],
    "/api/v1/announcements": [{"limit": "-1"}, {"offset": str(10**30)}],
    "/api/v1/results/ranking": [{"limit": "1001"}, {"offset": "-1"}],
}


@pytest.mark.parametrize(
    ("path", "query"), [(path, query) for path, queries in OTHER_LISTS.items() for query in queries], ids=str
)
def test_junk_parameters_of_every_other_list_are_refused_by_name(path, query):
    client = key_client(make_user(superuser=True))
    answer = client.get(path, query=query)
    assert answer.status_code == 422, answer.content
    assert {e["field"] for e in answer.json()["errors"]} == set(query)
