"""Approvals under concurrency (PostgreSQL): a review link clicked in two tabs at once decides
once, and two approvers approving one post at once schedule it once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from franchises.models import ApprovalPolicy, Membership
from posts.models import ApprovalDecision, Post, PostEvent
from posts.services import post_schedule
from posts.services.approvals import approval_link_create, approval_link_decide, posts_approve
from testkit.factories import make_franchise, make_member, make_post, make_user
from testkit.threads import together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _waiting() -> Post:
    shop = make_franchise(name="Bean There", approval_policy=ApprovalPolicy.ADMIN)
    staff = make_member(shop, Membership.Role.STAFF)
    post = make_post(franchise=shop, summary="Fresh beans today.")
    return post_schedule(post=post, at=timezone.now() + dt.timedelta(days=1), user=staff)


def test_a_review_link_clicked_twice_at_once_decides_once():
    post = _waiting()
    token = approval_link_create(post=post, user=make_user(superuser=True))
    results, errors = together(4, lambda: approval_link_decide(token=token, approve=True))
    assert len(results) == 1 and len(errors) == 3
    assert ApprovalDecision.objects.filter(post=post).count() == 1
    assert PostEvent.objects.filter(post=post, action=PostEvent.Action.APPROVED).count() == 1
    assert Post.objects.get(pk=post.pk).status == Post.Status.SCHEDULED


def test_two_approvers_at_once_approve_a_post_once():
    post = _waiting()
    approvers = [make_user(superuser=True) for _ in range(2)]
    picks = iter(approvers)
    results, errors = together(2, lambda: posts_approve(user=next(picks), post_ids=[post.pk]))
    assert errors == []
    assert sum(len(outcome.done) for outcome in results) == 1
    assert ApprovalDecision.objects.filter(post=post).count() == 1
