"""Approval policies: who must approve, the gate on every path, the queue, undo, the only-time edit
rule and the signed review links."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail, signing
from django.urls import reverse
from django.utils import timezone

from franchises.models import ApprovalPolicy, GroupSettings, Membership
from posts.models import ApprovalLink, BrandRules, Post, PostEvent
from posts.services import post_create, post_publish_now, post_schedule, post_update, posts_schedule_many
from posts.services.approvals import (
    LINK_LIFETIME,
    SentForApproval,
    approval_decisions_undo,
    approval_link_create,
    approval_link_decide,
    approvals_waiting_for_user,
    posts_approval_reject,
    posts_approve,
)
from posts.services.errors import PostActionError
from posts.services.imports import posts_import
from testkit.factories import make_franchise, make_member, make_post, make_user
from testkit.google import franchise_connected_to_sandbox
from testkit.web import logged_in, messages_of

pytestmark = pytest.mark.django_db


def _ahead(days: int = 2) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)


@pytest.fixture
def shop():
    return make_franchise(name="Bean There", approval_policy=ApprovalPolicy.ADMIN)


@pytest.fixture
def staff(shop):
    return make_member(shop, Membership.Role.STAFF, email="staff@example.com")


@pytest.fixture
def admin(shop):
    return make_member(shop, Membership.Role.ADMIN)


@pytest.fixture
def hq():
    return make_user(superuser=True)


def _waiting(shop, staff, **fields) -> Post:
    post = make_post(franchise=shop, summary="Fresh beans today.", created_by=staff, **fields)
    return post_schedule(post=post, at=_ahead(), user=staff)


# --- the gate ---------------------------------------------------------------------------------------


def test_a_staff_post_waits_for_an_admin_and_says_who_must_act(shop, staff):
    post = _waiting(shop, staff)
    assert post.status == Post.Status.DRAFT and post.approval_waiting_for == "admin"
    assert post.approval_requested_by == staff
    assert PostEvent.objects.filter(post=post, action=PostEvent.Action.APPROVAL_ASKED).exists()
    from posts.status import post_state

    state = post_state(post)
    assert state.key == "approval" and "a franchise admin" in state.detail


def test_direct_publishes_without_approval_and_the_group_default_applies(staff, shop):
    shop.approval_policy = ""
    shop.save()
    post = post_schedule(post=make_post(franchise=shop), at=_ahead(), user=staff)
    assert post.status == Post.Status.SCHEDULED  # no group row: direct
    GroupSettings.objects.create(approval_policy=ApprovalPolicy.HEADQUARTERS)
    post = post_schedule(post=make_post(franchise=shop), at=_ahead(), user=staff)
    assert post.approval_waiting_for == "headquarters"


def test_an_admins_own_post_waits_for_headquarters_under_the_headquarters_policy(shop, admin, hq):
    assert post_schedule(post=make_post(franchise=shop), at=_ahead(), user=admin).status == Post.Status.SCHEDULED
    shop.approval_policy = ApprovalPolicy.HEADQUARTERS
    shop.save()
    assert post_schedule(post=make_post(franchise=shop), at=_ahead(), user=admin).approval_waiting_for == "headquarters"
    assert post_schedule(post=make_post(franchise=shop), at=_ahead(), user=hq).status == Post.Status.SCHEDULED


def test_publish_now_bulk_and_the_importer_respect_the_gate(shop, staff, admin):
    with pytest.raises(SentForApproval):
        post_publish_now(post=make_post(franchise=shop, summary="Now!"), user=staff)
    assert Post.objects.get(summary="Now!").approval_waiting_for == "admin"
    drafts = [make_post(franchise=shop, scheduled_at=_ahead(), summary=f"Bulk {i}") for i in range(2)]
    scheduled, refused = posts_schedule_many(posts=drafts, user=staff)
    assert scheduled == [] and len(refused) == 2
    assert Post.objects.filter(summary__startswith="Bulk", approval_waiting_for="admin").count() == 2
    shop.approval_policy = ApprovalPolicy.HEADQUARTERS
    shop.save()
    at = timezone.localtime(_ahead(), shop.zone).strftime("%Y-%m-%d %H:%M")
    posts = posts_import(user=admin, text=f"franchise,type,text,publish_at\n{shop.name},update,Imported.,{at}\n")
    assert posts[0].approval_waiting_for == "headquarters" and posts[0].status == Post.Status.DRAFT


def test_an_ai_post_that_schedules_itself_waits_under_a_policy(shop):
    post = post_create(
        franchise=shop, status=Post.Status.SCHEDULED, source=Post.Source.AI, scheduled_at=_ahead(), summary="AI text."
    )
    assert post.status == Post.Status.DRAFT and post.approval_waiting_for == "admin"


def test_the_database_refuses_a_scheduled_post_waiting_for_approval(shop):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        make_post(franchise=shop, status=Post.Status.SCHEDULED, scheduled_at=_ahead(), approval_waiting_for="admin")


# --- who may approve ------------------------------------------------------------------------------------


def test_staff_cannot_approve_and_see_an_empty_queue(shop, staff):
    post = _waiting(shop, staff)
    other = make_member(shop, Membership.Role.STAFF)
    assert list(approvals_waiting_for_user(user=other)) == []
    outcome = posts_approve(user=other, post_ids=[post.pk])
    assert outcome.done == [] and Post.objects.get(pk=post.pk).approval_waiting_for == "admin"


def test_an_admin_of_another_franchise_cannot_approve(shop, staff):
    post = _waiting(shop, staff)
    stranger = make_member(make_franchise(name="Elsewhere"), Membership.Role.ADMIN)
    assert posts_approve(user=stranger, post_ids=[post.pk]).done == []
    assert Post.objects.get(pk=post.pk).status == Post.Status.DRAFT


def test_an_admin_cannot_approve_what_waits_for_headquarters_but_headquarters_can(shop, staff, admin, hq):
    shop.approval_policy = ApprovalPolicy.HEADQUARTERS
    shop.save()
    post = _waiting(shop, staff)
    assert posts_approve(user=admin, post_ids=[post.pk]).done == []
    assert posts_approve(user=hq, post_ids=[post.pk]).done == [post]
    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED and post.approval_waiting_for == ""
    assert PostEvent.objects.filter(post=post, action=PostEvent.Action.APPROVED, actor=hq).exists()


def test_brand_rules_still_apply_on_approval(shop, staff, admin):
    post = _waiting(shop, staff)
    BrandRules.objects.create(banned_phrases="beans")
    outcome = posts_approve(user=admin, post_ids=[post.pk])
    assert outcome.done == [] and "beans" in str(outcome.refused[post.pk]).lower()
    assert Post.objects.get(pk=post.pk).approval_waiting_for == "admin"


def test_a_rejection_reaches_the_author_and_can_be_undone(shop, staff, admin):
    post = _waiting(shop, staff)
    with pytest.raises(PostActionError):
        posts_approval_reject(user=admin, post_ids=[post.pk], reason="  ")
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        outcome = posts_approval_reject(user=admin, post_ids=[post.pk], reason="Wrong opening hours")
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT and post.approval_waiting_for == ""
    assert mail.outbox[-1].to == ["staff@example.com"] and "Wrong opening hours" in mail.outbox[-1].body
    event = PostEvent.objects.get(post=post, action=PostEvent.Action.APPROVAL_REFUSED)
    assert "Wrong opening hours" in event.detail
    approval_decisions_undo(user=admin, batch=outcome.batch)
    assert Post.objects.get(pk=post.pk).approval_waiting_for == "admin"


def test_an_approval_is_undone_within_the_window_only(shop, staff, admin):
    post = _waiting(shop, staff)
    outcome = posts_approve(user=admin, post_ids=[post.pk])
    with pytest.raises(PostActionError):
        approval_decisions_undo(user=make_user(superuser=True), batch=outcome.batch)  # not theirs
    approval_decisions_undo(user=admin, batch=outcome.batch)
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT and post.approval_waiting_for == "admin"
    outcome = posts_approve(user=admin, post_ids=[post.pk])
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=31)), pytest.raises(PostActionError):
        approval_decisions_undo(user=admin, batch=outcome.batch)


# --- editing after approval ---------------------------------------------------------------------------


def test_editing_an_approved_post_sends_it_back_unless_only_its_time_changes(shop, staff, admin):
    post = _waiting(shop, staff)
    posts_approve(user=admin, post_ids=[post.pk])
    post = post_schedule(post=Post.objects.get(pk=post.pk), at=_ahead(3), user=staff)
    assert post.status == Post.Status.SCHEDULED  # only its time: still approved
    post = post_update(post=post, user=staff, summary="Fresh beans, now cheaper.")
    assert post.status == Post.Status.DRAFT and post.approval_waiting_for == "admin"
    posts_approve(user=admin, post_ids=[post.pk])
    post = post_update(post=Post.objects.get(pk=post.pk), user=admin, summary="An admin's change.")
    assert post.status == Post.Status.SCHEDULED  # the approver's own edit needs nobody


def test_a_live_post_cannot_be_changed_by_someone_who_needs_approval(shop, staff):
    post = make_post(
        franchise=shop, status=Post.Status.PUBLISHED, google_post_name="accounts/1/locations/2/localPosts/3"
    )
    with pytest.raises(PostActionError, match="a franchise admin"):
        post_update(post=post, user=staff, summary="Changed live.")


# --- signed links ----------------------------------------------------------------------------------------


def test_a_review_link_approves_once_and_is_logged(client, shop, staff, admin):
    post = _waiting(shop, staff)
    with pytest.raises(PostActionError):
        approval_link_create(post=post, user=staff)  # staff cannot make one
    token = approval_link_create(post=post, user=admin, reviewer="Our lawyer")
    url = reverse("posts:approval_link", args=[token])
    assert client.get(url).status_code == 200
    response = client.post(url, {"action": "approve"})
    assert "Approved" in response.content.decode()
    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED
    event = PostEvent.objects.get(post=post, action=PostEvent.Action.APPROVED)
    assert "signed link (Our lawyer)" in event.detail
    assert client.post(url, {"action": "approve"}).status_code == 410  # used
    assert client.get(url).status_code == 410


def test_a_review_link_is_single_use_in_the_database(shop, staff, admin):
    post = _waiting(shop, staff)
    token = approval_link_create(post=post, user=admin)
    ApprovalLink.objects.update(used_at=timezone.now())  # another click won the UPDATE
    with pytest.raises(PostActionError, match="used already"):
        approval_link_decide(token=token, approve=True)
    assert Post.objects.get(pk=post.pk).approval_waiting_for == "admin"


def test_an_expired_link_is_refused(client, shop, staff, admin):
    post = _waiting(shop, staff)
    token = approval_link_create(post=post, user=admin)
    with time_machine.travel(timezone.now() + LINK_LIFETIME + dt.timedelta(minutes=1)):
        response = client.post(reverse("posts:approval_link", args=[token]), {"action": "approve"})
    assert response.status_code == 410 and "expired" in response.content.decode()
    assert Post.objects.get(pk=post.pk).approval_waiting_for == "admin"


def test_a_tampered_link_is_refused(client, shop, staff, admin):
    post = _waiting(shop, staff)
    token = approval_link_create(post=post, user=admin)
    other = make_post(franchise=shop)
    forged = signing.dumps(str(other.pk), salt="not-ours")
    for bad in (token[:-2] + "xx", forged):
        response = client.post(reverse("posts:approval_link", args=[bad]), {"action": "approve"})
        assert response.status_code == 410 and "not valid" in response.content.decode()
    assert Post.objects.get(pk=post.pk).approval_waiting_for == "admin"


def test_a_link_made_before_an_edit_no_longer_works(shop, staff, admin):
    post = _waiting(shop, staff)
    token = approval_link_create(post=post, user=admin)
    post_update(post=post, user=staff, summary="Changed after the link.")
    with pytest.raises(PostActionError, match="changed"):
        approval_link_decide(token=token, approve=True)


def test_rejecting_through_a_link_needs_a_reason(shop, staff, admin):
    post = _waiting(shop, staff)
    token = approval_link_create(post=post, user=admin)
    with pytest.raises(PostActionError, match="Say why"):
        approval_link_decide(token=token, approve=False, reason="")
    approval_link_decide(token=token, approve=False, reason="Not our tone.")
    assert PostEvent.objects.filter(post=post, action=PostEvent.Action.APPROVAL_REFUSED).exists()


# --- the pages ---------------------------------------------------------------------------------------------


def test_the_queue_shows_what_the_admin_may_approve_and_bulk_approves(client, shop, staff, admin):
    mine = [_waiting(shop, staff) for _ in range(2)]
    elsewhere = make_franchise(name="Elsewhere", approval_policy=ApprovalPolicy.ADMIN)
    theirs = _waiting(elsewhere, make_member(elsewhere, Membership.Role.STAFF))
    logged_in(client, admin)
    response = client.get(reverse("posts:approvals"))
    assert {row["post"].pk for row in response.context["rows"]} == {post.pk for post in mine}
    response = client.post(
        reverse("posts:approvals_many"), {"action": "approve", "post": [p.pk for p in mine] + [theirs.pk]}, follow=True
    )
    assert Post.objects.filter(pk__in=[p.pk for p in mine], status=Post.Status.SCHEDULED).count() == 2
    assert Post.objects.get(pk=theirs.pk).approval_waiting_for == "admin"
    assert any("2 posts approved" in text for text in messages_of(response))


def test_staff_get_no_approve_buttons_and_the_post_page_says_who_must_act(client, shop, staff):
    post = _waiting(shop, staff)
    logged_in(client, staff)
    body = client.get(reverse("posts:detail", args=[post.pk])).content.decode()
    assert "Waiting for a franchise admin to approve it." in body
    assert 'id="approve-in-queue"' not in body
    response = client.post(reverse("posts:approval_link_new", args=[post.pk]), {}, follow=True)
    assert ApprovalLink.objects.count() == 0
    assert re.search("No link made", " ".join(messages_of(response)))


def test_headquarters_sets_a_policy_on_the_manage_page_and_an_admin_cannot(client, shop, admin, hq):
    url = reverse("franchises:manage", args=[shop.pk])
    logged_in(client, admin)
    assert client.post(url, {"action": "approval_policy", "approval_policy": "direct"}).status_code == 403
    logged_in(client, hq)
    client.post(url, {"action": "approval_policy", "approval_policy": ApprovalPolicy.HEADQUARTERS})
    shop.refresh_from_db()
    assert shop.approval_policy == ApprovalPolicy.HEADQUARTERS
    assert shop.events.filter(action="approval_policy", actor=hq).exists()
    response = client.post(url, {"action": "approval_policy", "approval_policy": "anyone"}, follow=True)
    assert any("Unknown approval policy" in text for text in messages_of(response))
    assert 'id="approval-policy"' in client.get(url).content.decode()


def test_publish_now_says_it_sends_for_approval_and_does(client, sandbox):
    shop = franchise_connected_to_sandbox(sandbox, name="Connected Cafe", approval_policy=ApprovalPolicy.ADMIN)
    staff = make_member(shop, Membership.Role.STAFF)
    post = make_post(franchise=shop, summary="Now please.")
    logged_in(client, staff)
    url = reverse("posts:publish_now", args=[post.pk])
    assert "sends it to a franchise admin for approval" in client.get(url).content.decode()
    response = client.post(url, follow=True)
    assert any("Sent for approval" in text for text in messages_of(response))
    assert Post.objects.get(pk=post.pk).approval_waiting_for == "admin"
