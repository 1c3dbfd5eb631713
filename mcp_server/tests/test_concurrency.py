"""One preview token, sent by several agents at once (a retry racing the first try): PostgreSQL's
unique index on the spent token lets one write through, on real threads against the live server."""

from __future__ import annotations

import pytest

from franchises.models import Membership
from posts.models import Post
from testkit.factories import make_franchise, make_member
from testkit.threads import together

from .helpers import mcp_agent

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_one_token_sent_at_once_by_four_agents_schedules_one_post(live_server):
    franchise = make_franchise()
    agent = mcp_agent(live_server, make_member(franchise, Membership.Role.ADMIN))
    new = {
        "franchise_id": str(franchise.pk),
        "post": {"summary": "Once only."},
        "scheduled_at": "2099-01-01T10:00:00+00:00",
    }
    token = agent.ok("preview_post", new)["preview_token"]

    results, errors = together(4, lambda: agent.call("schedule_post", {**new, "preview_token": token}))

    assert errors == []
    assert sorted(result.is_error for result in results) == [False, True, True, True]
    assert all("used already" in result.content[0].text for result in results if result.is_error)
    assert Post.objects.filter(status=Post.Status.SCHEDULED).count() == 1
