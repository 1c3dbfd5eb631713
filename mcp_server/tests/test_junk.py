"""Junk in every tool's arguments, sent by the SDK's client: a tool error that names what is wrong,
in words (never a traceback), and nothing written. Tokens that do not confirm the write are
refused the same way."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from franchises.models import Membership
from mcp_server.models import SpentPreview
from posts.models import Post
from testkit.factories import make_franchise, make_member, make_post

from .helpers import mcp_agent

pytestmark = pytest.mark.django_db

F, P = "{franchise}", "{post}"  # placeholders for the fixture's ids
LATER = "2099-01-01T10:00:00+00:00"
TEXT = {"summary": "Hello."}

JUNK = [
    ("list_posts", {"limit": "abc"}, "limit"),
    ("list_posts", {"limit": -1}, "limit"),
    ("list_posts", {"limit": 10**30}, "limit"),
    ("list_posts", {"day_from": "2020-13-45"}, "day_from"),
    ("list_posts", {"day_to": "yesterday"}, "day_to"),
    ("list_posts", {"cursor": "%%%"}, "cursor"),
    ("list_posts", {"cursor": "x" * 5000}, "cursor"),
    ("list_posts", {"franchise_id": "0"}, "franchise_id"),
    ("list_posts", {"status": "DRAFT'--"}, "status"),
    ("list_posts", {"source": "\u0000"}, "source"),
    ("get_post", {}, "post_id"),
    ("get_post", {"post_id": "0"}, "post_id"),
    ("get_post", {"post_id": ["a"]}, "post_id"),
    ("get_results", {"franchise_id": "x"}, "franchise_id"),
    ("preview_post", {}, "post_id"),
    ("preview_post", {"franchise_id": F}, "post_id"),
    ("preview_post", {"franchise_id": F, "post": TEXT, "post_id": P}, "not both"),
    ("preview_post", {"franchise_id": F, "post": {"summary": "x", "colour": "blue"}}, "post.colour"),
    ("preview_post", {"franchise_id": F, "post": {"summary": "x" * 1501}}, "post.summary"),
    ("preview_post", {"franchise_id": F, "post": {"summary": "x", "topic_type": "PARTY"}}, "post.topic_type"),
    ("preview_post", {"franchise_id": F, "post": "Hello."}, "post"),
    ("preview_post", {"franchise_id": F, "post": TEXT, "scheduled_at": "tomorrow"}, "scheduled_at"),
    ("preview_post", {"franchise_id": F, "post": TEXT, "scheduled_at": "2030-01-01T10:00:00"}, "scheduled_at"),
    ("preview_post", {"post_id": P, "scheduled_at": "99999-01-01T10:00:00Z"}, "scheduled_at"),
    ("draft_post", {"franchise_id": F, "post": TEXT}, "preview_token"),
    ("draft_post", {"franchise_id": F, "post": TEXT, "preview_token": "junk"}, "not one preview_post gave"),
    ("draft_post", {"franchise_id": F, "post": TEXT, "preview_token": "x" * 3000}, "preview_token"),
    ("draft_post", {"post": TEXT, "preview_token": "junk"}, "franchise_id"),
    ("schedule_post", {"post_id": P, "preview_token": "junk"}, "scheduled_at"),
    ("schedule_post", {"post_id": P, "scheduled_at": LATER, "preview_token": "junk"}, "not one preview_post gave"),
    ("schedule_post", {"post_id": P, "scheduled_at": "2001-01-01T10:00:00Z", "preview_token": "j"}, "time has passed"),
    ("schedule_post", {"scheduled_at": LATER, "preview_token": "junk"}, "post_id"),
    ("approve_drafts", {}, "drafts"),
    ("approve_drafts", {"drafts": []}, "at least one"),
    ("approve_drafts", {"drafts": "all"}, "drafts"),
    ("approve_drafts", {"drafts": [{"post_id": "0", "preview_token": "j"}]}, "drafts.0.post_id"),
    ("approve_drafts", {"drafts": [{"post_id": P}]}, "drafts.0.preview_token"),
    ("approve_drafts", {"drafts": [{"post_id": P, "preview_token": "j"}] * 51}, "drafts"),
]


@pytest.fixture
def agent_and_ids(live_server):
    franchise = make_franchise()
    agent = mcp_agent(live_server, make_member(franchise, Membership.Role.ADMIN))
    post = make_post(franchise=franchise, source=Post.Source.AI, scheduled_at=timezone.now() + dt.timedelta(days=1))
    return agent, {F: str(franchise.pk), P: str(post.pk)}


def _filled(value, ids: dict):
    if isinstance(value, dict):
        return {name: _filled(item, ids) for name, item in value.items()}
    if isinstance(value, list):
        return [_filled(item, ids) for item in value]
    return ids.get(value, value) if isinstance(value, str) else value


@pytest.mark.parametrize(("tool", "arguments", "named"), JUNK, ids=[f"{t}-{n}" for t, _, n in JUNK])
def test_junk_arguments_are_refused_in_words_and_write_nothing(agent_and_ids, tool, arguments, named):
    agent, ids = agent_and_ids
    before = list(Post.objects.values_list("pk", "status", "version"))
    refusal = agent.refused(tool, _filled(arguments, ids))
    assert named in refusal
    assert "Traceback" not in refusal and "errors.pydantic.dev" not in refusal
    assert list(Post.objects.values_list("pk", "status", "version")) == before
    assert not SpentPreview.objects.exists()


def test_arguments_a_tool_does_not_take_are_ignored(agent_and_ids):
    agent, _ = agent_and_ids
    assert agent.ok("list_franchises", {"colour": "blue"})["franchises"]


def test_a_token_made_with_another_key_is_refused(agent_and_ids, live_server):
    agent, ids = agent_and_ids
    new = {"franchise_id": ids[F], "post": TEXT, "scheduled_at": LATER}
    token = agent.ok("preview_post", new)["preview_token"]
    user = Post.objects.get(pk=ids[P]).franchise.memberships.get().user
    other = mcp_agent(live_server, user)
    assert "another API key" in other.refused("schedule_post", {**new, "preview_token": token})
    assert Post.objects.count() == 1


def test_an_expired_token_is_refused(agent_and_ids, time_machine):
    agent, ids = agent_and_ids
    new = {"franchise_id": ids[F], "post": TEXT, "scheduled_at": LATER}
    token = agent.ok("preview_post", new)["preview_token"]
    time_machine.move_to(timezone.now() + dt.timedelta(minutes=31))
    assert "expired" in agent.refused("schedule_post", {**new, "preview_token": token})
    assert Post.objects.count() == 1
