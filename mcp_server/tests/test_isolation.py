"""Every tool, called with another tenant's ids by the SDK's client: the key sees nothing of a
franchise it does not reach and changes nothing there, whether the franchise is another user's or
one its user reaches but the key was not made for. A read-only key writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from franchises.models import ApprovalPolicy, Membership
from posts.models import Post
from testkit.factories import make_franchise, make_member, make_post

from .helpers import mcp_agent

pytestmark = pytest.mark.django_db

NOT_FOUND = "Not found: it does not exist, or this key cannot see it."


@pytest.fixture(params=["another user's franchise", "a franchise the key was not made for"])
def outsider(request, live_server):
    """(the key's agent, its own franchise, the other franchise and its posts)."""
    mine, theirs = make_franchise(name="Mine"), make_franchise(name="Theirs")
    user = make_member(mine, Membership.Role.ADMIN)
    if request.param == "another user's franchise":
        make_member(theirs, Membership.Role.ADMIN)
        agent = mcp_agent(live_server, user)
    else:
        Membership.objects.create(user=user, franchise=theirs, role=Membership.Role.ADMIN)
        agent = mcp_agent(live_server, user, franchises=[mine])
    at = timezone.now() + dt.timedelta(days=1)
    posts = [
        make_post(franchise=theirs, source=Post.Source.AI, scheduled_at=at),
        make_post(franchise=theirs, scheduled_at=at, approval_waiting_for=ApprovalPolicy.ADMIN),
        make_post(franchise=theirs, status=Post.Status.SCHEDULED, scheduled_at=at),
    ]
    return agent, mine, theirs, posts


def _unchanged(posts) -> list:
    return list(Post.objects.order_by("pk").values_list("pk", "status", "version", "summary", "scheduled_at"))


def test_reads_show_nothing_of_the_other_franchise(outsider):
    agent, mine, theirs, posts = outsider
    assert [f["id"] for f in agent.ok("list_franchises")["franchises"]] == [str(mine.pk)]
    assert agent.ok("list_posts")["posts"] == []
    assert agent.refused("list_posts", {"franchise_id": str(theirs.pk)}) == NOT_FOUND
    for post in posts:
        assert agent.refused("get_post", {"post_id": str(post.pk)}) == NOT_FOUND
    assert agent.refused("get_results", {"franchise_id": str(theirs.pk)}) == NOT_FOUND
    assert [row["franchise_id"] for row in agent.ok("get_results")["rows"]] == [str(mine.pk)]


def test_previews_and_writes_change_nothing_of_the_other_franchise(outsider):
    agent, mine, theirs, posts = outsider
    before = _unchanged(posts)
    content = {"summary": "Not yours to post."}
    at = (timezone.now() + dt.timedelta(days=2)).isoformat()
    # A real token, of the key's own franchise: it does not open the other one.
    token = agent.ok("preview_post", {"franchise_id": str(mine.pk), "post": content, "scheduled_at": at})[
        "preview_token"
    ]

    assert agent.refused("preview_post", {"franchise_id": str(theirs.pk), "post": content}) == NOT_FOUND
    for post in posts:
        assert agent.refused("preview_post", {"post_id": str(post.pk)}) == NOT_FOUND
        scheduling = {"post_id": str(post.pk), "scheduled_at": at, "preview_token": token}
        assert agent.refused("schedule_post", scheduling) == NOT_FOUND
    new = {"franchise_id": str(theirs.pk), "post": content, "preview_token": token}
    assert agent.refused("draft_post", new) == NOT_FOUND
    assert agent.refused("schedule_post", {**new, "scheduled_at": at}) == NOT_FOUND
    answer = agent.ok("approve_drafts", {"drafts": [{"post_id": str(p.pk), "preview_token": token} for p in posts]})
    assert answer["approved"] == []
    assert answer["refused"] == {str(post.pk): NOT_FOUND for post in posts}

    assert _unchanged(posts) == before


def test_a_read_only_key_reads_and_previews_but_writes_nothing(live_server):
    franchise = make_franchise()
    agent = mcp_agent(live_server, make_member(franchise, Membership.Role.ADMIN), scope="read")
    draft = make_post(franchise=franchise, source=Post.Source.AI, scheduled_at=timezone.now() + dt.timedelta(days=1))
    before = _unchanged([draft])
    at = (timezone.now() + dt.timedelta(days=2)).isoformat()
    new = {"franchise_id": str(franchise.pk), "post": {"summary": "Hello."}, "scheduled_at": at}
    token = agent.ok("preview_post", new)["preview_token"]
    draft_token = agent.ok("preview_post", {"post_id": str(draft.pk)})["preview_token"]
    assert agent.ok("list_posts")["posts"][0]["id"] == str(draft.pk)

    for tool, arguments in [
        ("draft_post", {**new, "preview_token": token}),
        ("schedule_post", {**new, "preview_token": token}),
        ("schedule_post", {"post_id": str(draft.pk), "scheduled_at": at, "preview_token": draft_token}),
        ("approve_drafts", {"drafts": [{"post_id": str(draft.pk), "preview_token": draft_token}]}),
    ]:
        assert "can only read" in agent.refused(tool, arguments)
    assert _unchanged([draft]) == before
