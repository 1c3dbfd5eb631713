"""Driven by the SDK's own client over streamable HTTP: nothing is written without a preview of
exactly what is written, and what is confirmed goes through the same services as the pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from franchises.models import ApprovalPolicy, Membership
from gbp_scheduler.jobs import TimeBudget
from posts.models import Post
from posts.services import posts_publish_due
from testkit.factories import make_franchise, make_member, make_post
from testkit.google import franchise_connected_to_sandbox

from .helpers import mcp_agent

pytestmark = pytest.mark.django_db

TOOLS = {
    "list_franchises",
    "list_posts",
    "get_post",
    "preview_post",
    "draft_post",
    "schedule_post",
    "approve_drafts",
    "get_results",
}


def _later(hours: int = 2) -> str:
    return (timezone.now() + dt.timedelta(hours=hours)).replace(microsecond=0).isoformat()


@pytest.fixture
def admin_agent(live_server):
    franchise = make_franchise()
    return franchise, mcp_agent(live_server, make_member(franchise, Membership.Role.ADMIN))


@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_the_tools_are_listed_with_their_schemas_in_either_protocol_era(live_server, mode):
    agent = mcp_agent(live_server, make_member(make_franchise(), Membership.Role.ADMIN), mode=mode)
    tools = agent.tools()
    assert set(tools) == TOOLS
    assert tools["schedule_post"].input_schema["required"] == ["scheduled_at", "preview_token"]
    assert tools["preview_post"].annotations.read_only_hint is True
    assert tools["schedule_post"].annotations.read_only_hint is False
    content = tools["preview_post"].input_schema["$defs"]["PostContent"]
    assert content["additionalProperties"] is False
    assert content["properties"]["cta_url"]["description"] == "Button link (in STANDARD, EVENT, ALERT posts)."


def test_a_preview_shows_what_google_would_get_the_problems_and_the_approval(admin_agent):
    franchise, agent = admin_agent
    fine = agent.ok("preview_post", {"franchise_id": str(franchise.pk), "post": {"summary": "Fresh bread today."}})
    assert fine["google_local_post"] == {"summary": "Fresh bread today.", "topicType": "STANDARD", "languageCode": "en"}
    assert fine["schedulable"] is True and fine["problems"] == []
    assert fine["approval"]["needed"] is False
    assert fine["preview_token"]

    broken = agent.ok(
        "preview_post",
        {"franchise_id": str(franchise.pk), "post": {"summary": "Book now", "cta_action_type": "BOOK"}},
    )
    assert broken["schedulable"] is False
    assert broken["google_local_post"] is None
    assert [(p["rule"], p["field"]) for p in broken["problems"]] == [("google", "cta_url")]
    assert Post.objects.count() == 0


def test_scheduling_needs_the_preview_of_exactly_that_content_and_time(admin_agent):
    franchise, agent = admin_agent
    at = _later()
    content = {"summary": "Fresh bread today."}
    token = agent.ok("preview_post", {"franchise_id": str(franchise.pk), "post": content, "scheduled_at": at})[
        "preview_token"
    ]
    new = {"franchise_id": str(franchise.pk), "post": content, "scheduled_at": at}

    assert "preview_token" in agent.refused("schedule_post", new)
    other_content = {**new, "post": {"summary": "Fresh cakes today."}, "preview_token": token}
    assert "content differs" in agent.refused("schedule_post", other_content)
    assert "time differs" in agent.refused("schedule_post", {**new, "scheduled_at": _later(3), "preview_token": token})
    assert Post.objects.count() == 0

    scheduled = agent.ok("schedule_post", {**new, "preview_token": token})
    assert scheduled["message"] == "Scheduled."
    assert "used already" in agent.refused("schedule_post", {**new, "preview_token": token})
    post = Post.objects.get()
    assert (post.status, post.summary, post.scheduled_at.isoformat()) == (
        Post.Status.SCHEDULED,
        "Fresh bread today.",
        dt.datetime.fromisoformat(at).astimezone(dt.UTC).isoformat(),
    )
    assert post.created_by.memberships.get().franchise == franchise


def test_a_post_changed_after_its_preview_is_refused_until_previewed_again(admin_agent):
    franchise, agent = admin_agent
    post = make_post(franchise=franchise, summary="Before.")
    at = _later()
    token = agent.ok("preview_post", {"post_id": str(post.pk), "scheduled_at": at})["preview_token"]
    Post.objects.filter(pk=post.pk).update(summary="After someone's edit.")

    refusal = agent.refused("schedule_post", {"post_id": str(post.pk), "scheduled_at": at, "preview_token": token})
    assert "changed since" in refusal and "preview_post again" in refusal
    assert Post.objects.get(pk=post.pk).status == Post.Status.DRAFT

    token = agent.ok("preview_post", {"post_id": str(post.pk), "scheduled_at": at})["preview_token"]
    agent.ok("schedule_post", {"post_id": str(post.pk), "scheduled_at": at, "preview_token": token})
    assert Post.objects.get(pk=post.pk).status == Post.Status.SCHEDULED


def test_a_confirmed_post_is_published_once_by_the_publish_job(live_server, sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    agent = mcp_agent(live_server, make_member(franchise, Membership.Role.ADMIN))
    new = {"franchise_id": str(franchise.pk), "post": {"summary": "Open late on Friday."}, "scheduled_at": _later()}
    token = agent.ok("preview_post", new)["preview_token"]
    agent.ok("schedule_post", {**new, "preview_token": token})
    Post.objects.update(scheduled_at=timezone.now() - dt.timedelta(seconds=1))  # its time has come

    posts_publish_due(budget=TimeBudget(seconds=60))
    posts_publish_due(budget=TimeBudget(seconds=60))

    assert Post.objects.get().status == Post.Status.PUBLISHED
    assert [p["summary"] for p in sandbox.client.posts()] == ["Open late on Friday."]


def test_a_draft_is_written_only_with_its_preview(admin_agent):
    franchise, agent = admin_agent
    new = {"franchise_id": str(franchise.pk), "post": {"summary": "A draft for later."}}
    assert "preview_token" in agent.refused("draft_post", new)
    token = agent.ok("preview_post", new)["preview_token"]
    draft = agent.ok("draft_post", {**new, "preview_token": token})
    assert draft["post"]["status"] == "draft"
    assert Post.objects.get().status == Post.Status.DRAFT


def test_a_staff_members_post_waits_for_an_admin_when_the_policy_says_so(live_server):
    franchise = make_franchise(approval_policy=ApprovalPolicy.ADMIN)
    agent = mcp_agent(live_server, make_member(franchise, Membership.Role.STAFF))
    new = {"franchise_id": str(franchise.pk), "post": {"summary": "Needs a look first."}, "scheduled_at": _later()}
    preview = agent.ok("preview_post", new)
    assert preview["approval"] == {
        "needed": True,
        "waits_for": "admin",
        "message": "Waiting for a franchise admin to approve it.",
    }

    answer = agent.ok("schedule_post", {**new, "preview_token": preview["preview_token"]})
    assert answer["message"] == "Not scheduled yet: waiting for a franchise admin to approve it."
    post = Post.objects.get()
    assert (post.status, post.approval_waiting_for) == (Post.Status.DRAFT, ApprovalPolicy.ADMIN)


def test_ai_drafts_and_posts_waiting_for_approval_are_approved_with_their_previews(live_server):
    franchise = make_franchise(approval_policy=ApprovalPolicy.ADMIN)
    agent = mcp_agent(live_server, make_member(franchise, Membership.Role.ADMIN))
    at = timezone.now() + dt.timedelta(days=1)
    ai = make_post(franchise=franchise, source=Post.Source.AI, scheduled_at=at)
    waiting = make_post(franchise=franchise, scheduled_at=at, approval_waiting_for=ApprovalPolicy.ADMIN)
    mine = make_post(franchise=franchise, scheduled_at=at)
    tokens = {
        post.pk: agent.ok("preview_post", {"post_id": str(post.pk)})["preview_token"] for post in (ai, waiting, mine)
    }
    unconfirmed = make_post(franchise=franchise, source=Post.Source.AI, scheduled_at=at)

    answer = agent.ok(
        "approve_drafts",
        {
            "drafts": [
                {"post_id": str(ai.pk), "preview_token": tokens[ai.pk]},
                {"post_id": str(waiting.pk), "preview_token": tokens[waiting.pk]},
                {"post_id": str(mine.pk), "preview_token": tokens[mine.pk]},
                {"post_id": str(unconfirmed.pk), "preview_token": tokens[ai.pk]},
            ]
        },
    )

    assert {row["id"] for row in answer["approved"]} == {str(ai.pk), str(waiting.pk)}
    assert set(answer["refused"]) == {str(mine.pk), str(unconfirmed.pk)}
    assert "another post" in answer["refused"][str(unconfirmed.pk)]
    statuses = dict(Post.objects.values_list("pk", "status"))
    assert statuses == {
        ai.pk: Post.Status.SCHEDULED,
        waiting.pk: Post.Status.SCHEDULED,
        mine.pk: Post.Status.DRAFT,
        unconfirmed.pk: Post.Status.DRAFT,
    }


def test_reads_page_through_posts_and_give_results(admin_agent):
    franchise, agent = admin_agent
    for n in range(3):
        make_post(franchise=franchise, summary=f"Post {n}")
    first = agent.ok("list_posts", {"limit": 2})
    second = agent.ok("list_posts", {"limit": 2, "cursor": first["next_cursor"]})
    assert len(first["posts"]) == 2 and len(second["posts"]) == 1 and second["next_cursor"] is None
    one = agent.ok("get_post", {"post_id": first["posts"][0]["id"]})
    assert one["franchise_id"] == str(franchise.pk)
    assert [f["id"] for f in agent.ok("list_franchises")["franchises"]] == [str(franchise.pk)]
    assert agent.ok("get_results", {"franchise_id": str(franchise.pk)})["has_figures"] is False
    assert [row["franchise_id"] for row in agent.ok("get_results")["rows"]] == [str(franchise.pk)]
