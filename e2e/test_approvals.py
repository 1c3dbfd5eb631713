"""Approval policies in Chromium, for each policy on a desktop and a 390x844 phone: a staff member
writes and schedules a post; under `direct` it is scheduled at once, under `admin` and
`headquarters` it waits (its page says who must act, the publish job leaves it alone, the wrong
approver's queue is empty), the approver approves it from the queue, and the publish job puts it
on Google once. Every page on the way is axe-clean and breaks no CSP rule."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from franchises.models import ApprovalPolicy, Membership
from gbp_scheduler.jobs import TimeBudget
from posts.models import Post
from posts.services import posts_publish_due
from testkit.factories import make_member, make_user
from testkit.google import franchise_connected_to_sandbox

from .test_accessibility import VIEWPORTS, _violations

TEXT = "Harbor Cafe: pumpkin bread is back this week."
APPROVER = {ApprovalPolicy.ADMIN: "harbor-admin", ApprovalPolicy.HEADQUARTERS: "hq"}


def _publish() -> int:
    return posts_publish_due(budget=TimeBudget(seconds=60))["published"]


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("policy", list(ApprovalPolicy.values))
def test_a_staff_post_waits_for_its_approver_then_publishes_once(site, sandbox, policy, viewport):
    page = site.page
    page.set_viewport_size(VIEWPORTS[viewport])
    franchise = franchise_connected_to_sandbox(sandbox, name="Harbor Cafe", timezone="America/New_York")
    franchise.approval_policy = policy
    franchise.save(update_fields=["approval_policy"])
    make_member(franchise, Membership.Role.STAFF, username="harbor-staff")
    make_member(franchise, Membership.Role.ADMIN, username="harbor-admin")
    make_user(superuser=True, username="hq")
    when = timezone.localtime(timezone.now() + dt.timedelta(days=2), franchise.zone).strftime("%Y-%m-%dT%H:%M")

    # The staff member writes the post and schedules it.
    site.sign_in("harbor-staff")
    site.goto(f"/franchises/{franchise.pk}/posts/new/")
    page.fill("#summary", TEXT)
    page.fill("#id_scheduled_at", when)
    page.click("#save-schedule")
    page.wait_for_selector("#post-status")
    post = Post.objects.get()
    assert _violations(page) == []

    if policy != ApprovalPolicy.DIRECT:
        # It waits, saying who must act; the publish job leaves it alone even once its time comes.
        assert page.locator("#post-status").get_attribute("data-state") == "approval"
        who = "a franchise admin" if policy == ApprovalPolicy.ADMIN else "headquarters"
        assert f"Waiting for {who} to approve it." in page.inner_text("#post-approval")
        assert "Sent for approval" in page.inner_text("#messages")
        Post.objects.filter(pk=post.pk).update(scheduled_at=timezone.now() - dt.timedelta(minutes=1))
        assert _publish() == 0 and sandbox.client.posts() == []
        site.screenshot(f"approval-waiting-{policy}-{viewport}")

        if policy == ApprovalPolicy.HEADQUARTERS:
            # The franchise's admin is not the approver here: their queue is empty.
            site.sign_in("harbor-admin")
            site.goto("/approvals/")
            page.wait_for_selector("#no-approvals")

        # The approver approves it from the queue.
        site.sign_in(APPROVER[policy])
        if viewport == "desktop":
            page.click("#nav-approvals")
        else:
            site.goto("/approvals/")
        row = page.locator(f"#approval-{post.pk}")
        row.wait_for()
        assert TEXT in row.inner_text()
        assert _violations(page) == []
        site.screenshot(f"approval-queue-{policy}-{viewport}")
        row.locator("[data-action=approve]").click()
        page.wait_for_selector("#no-approvals")
        assert "1 post approved" in page.inner_text("#messages")
        assert _violations(page) == []
        post.refresh_from_db()
        assert post.status == Post.Status.SCHEDULED and post.approval_waiting_for == ""
    else:
        assert page.locator("#post-status").get_attribute("data-state") == "scheduled"
        assert page.locator("#post-approval").count() == 0

    # Its time comes: the publish job puts it on Google, once.
    Post.objects.filter(pk=post.pk).update(scheduled_at=timezone.now() - dt.timedelta(minutes=1))
    assert _publish() == 1
    assert _publish() == 0
    assert [p["summary"] for p in sandbox.client.posts()] == [TEXT]
    site.goto(f"/posts/{post.pk}/")
    assert page.locator("#post-status").get_attribute("data-state") == "published"
    assert _violations(page) == []
    assert site.csp_violations() == []
