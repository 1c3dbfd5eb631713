"""The AI drafts queue at group scale: one franchise's drafts or all, many approved (each at its
planned time) or rejected in one request with a constant number of queries, a rejection's
reason told to the next drafts, undo for a while, and Edit coming back to the queue."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from franchises.models import Membership
from generation.models import DraftRejection, GenerationQueue
from generation.selectors import UNDO_WINDOW, rejection_reasons_for_drafts
from generation.services.drafting import draft_brief
from generation.views import QUEUE_PAGE_SIZE
from posts.models import Post, PostEvent
from testkit.factories import make_franchise, make_member, make_post
from testkit.web import logged_in, messages_of

pytestmark = pytest.mark.django_db

QUEUE = reverse("generation:drafts")
BULK = reverse("generation:drafts_bulk")
UNDO = reverse("generation:drafts_undo")


@pytest.fixture
def franchise():
    return make_franchise(timezone="America/Chicago", name="Bean There", city="Dallas")


@pytest.fixture
def staff(client, franchise):
    user = make_member(franchise, Membership.Role.STAFF)
    logged_in(client, user)
    return user


def _drafts(franchise, count: int, **fields) -> list[Post]:
    start = timezone.now() + dt.timedelta(days=2)
    return [
        make_post(
            franchise=franchise,
            source=Post.Source.AI,
            scheduled_at=start + dt.timedelta(hours=n),
            summary=f"Draft number {n}.",
            **fields,
        )
        for n in range(count)
    ]


def _bulk(client, posts, action: str, **extra):
    data = {"action": action, "post": [str(post.pk) for post in posts], "next": QUEUE, **extra}
    return client.post(BULK, data, follow=True)


def test_the_queue_shows_one_franchise_when_asked_and_refuses_another_tenants(client, franchise, staff):
    mine = _drafts(franchise, 1)[0]
    other = make_franchise(name="Elsewhere")
    theirs = _drafts(other, 1)[0]
    body = client.get(QUEUE, {"franchise": str(franchise.pk)}).content.decode()
    assert f'id="draft-{mine.pk}"' in body and f'id="draft-{theirs.pk}"' not in body
    assert f'<option value="{franchise.pk}" selected>Bean There</option>' in body
    assert client.get(QUEUE, {"franchise": str(other.pk)}).status_code == 404


def test_the_queue_shows_each_drafts_button_and_link(client, franchise, staff):
    _drafts(franchise, 1, cta_action_type="BOOK", cta_url="https://bean.example/book")
    body = client.get(QUEUE).content.decode()
    assert "Button: <strong>Book</strong>" in body and 'href="https://bean.example/book"' in body


def test_approving_many_schedules_each_at_its_planned_time(client, franchise, staff):
    drafts = _drafts(franchise, 3)
    response = _bulk(client, drafts, "approve")
    assert "3 drafts approved, each scheduled at its planned time." in messages_of(response)
    for draft in drafts:
        planned = draft.scheduled_at
        draft.refresh_from_db()
        assert (draft.status, draft.scheduled_at) == (Post.Status.SCHEDULED, planned)
        assert PostEvent.objects.get(post=draft).action == PostEvent.Action.SCHEDULED
    assert response.redirect_chain[-1][0] == QUEUE


def test_a_draft_whose_time_passed_is_not_approved_and_says_why(client, franchise, staff):
    ok = _drafts(franchise, 1)[0]
    late = make_post(franchise=franchise, source=Post.Source.AI, scheduled_at=timezone.now() - dt.timedelta(hours=1))
    response = _bulk(client, [ok, late], "approve")
    assert "1 draft approved, each scheduled at its planned time." in messages_of(response)
    assert "1 draft not approved: Its planned time has passed: pick a new one on its page." in messages_of(response)
    late.refresh_from_db()
    assert late.status == Post.Status.DRAFT


def test_the_queue_pages_through_the_drafts_soonest_first_keeping_the_filter(client, franchise, staff):
    drafts = _drafts(franchise, QUEUE_PAGE_SIZE + 5)
    first = client.get(QUEUE, {"franchise": str(franchise.pk)}).content.decode()
    shown = re.findall(r'id="draft-([0-9a-f-]+)"', first)
    assert shown == [str(post.pk) for post in drafts[:QUEUE_PAGE_SIZE]]
    assert f"Page 1 of 2 ({QUEUE_PAGE_SIZE + 5} drafts)" in first
    assert f'href="?franchise={franchise.pk}&amp;page=2" rel="next"' in first
    second = client.get(QUEUE, {"franchise": str(franchise.pk), "page": "2"}).content.decode()
    assert re.findall(r'id="draft-([0-9a-f-]+)"', second) == [str(post.pk) for post in drafts[QUEUE_PAGE_SIZE:]]
    assert 'rel="prev"' in second and 'rel="next"' not in second
    # A page past the end (the last drafts approved meanwhile) shows the last page.
    assert re.findall(r'id="draft-([0-9a-f-]+)"', client.get(QUEUE, {"page": "9"}).content.decode()) == [
        str(post.pk) for post in drafts[QUEUE_PAGE_SIZE:]
    ]


def test_a_page_of_the_queue_takes_as_many_queries_for_many_drafts_as_for_a_few(client, franchise, staff):
    counts = []
    for count in (2, QUEUE_PAGE_SIZE * 3):
        _drafts(franchise, count)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(QUEUE).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_fifty_drafts_take_one_request_and_as_many_queries_as_five(client, franchise, staff, action):
    few, many = _drafts(franchise, 5), _drafts(franchise, 50)
    counts = []
    for posts in (few, many):
        with CaptureQueriesContext(connection) as queries:
            response = client.post(BULK, {"action": action, "post": [str(p.pk) for p in posts], "next": QUEUE})
        assert response.status_code == 302
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert not Post.objects.filter(status=Post.Status.DRAFT).exists()  # every one approved, or rejected


def test_fifty_drafts_approved_in_a_bounded_number_of_queries(client, franchise, staff, django_assert_max_num_queries):
    drafts = _drafts(franchise, 50)
    with django_assert_max_num_queries(12):
        response = client.post(BULK, {"action": "approve", "post": [str(p.pk) for p in drafts]})
    assert response.status_code == 302
    assert Post.objects.filter(status=Post.Status.SCHEDULED).count() == 50


def test_another_franchises_drafts_in_the_form_are_left_alone(client, franchise, staff):
    theirs = _drafts(make_franchise(), 2)
    _bulk(client, theirs, "reject")
    _bulk(client, theirs, "approve")
    assert Post.objects.filter(pk__in=[p.pk for p in theirs], status=Post.Status.DRAFT).count() == 2


def test_rejecting_many_with_a_reason_tells_the_next_drafts_and_can_be_undone(client, franchise, staff):
    drafts = _drafts(franchise, 2, cta_action_type="LEARN_MORE", cta_url="https://bean.example")
    planned = {d.summary: d.scheduled_at for d in drafts}
    response = _bulk(client, drafts, "reject", reason="Too salesy.")
    assert "2 drafts rejected. Claude is told why for the next drafts. Undo it below if that was a mistake." in (
        messages_of(response)
    )
    assert not Post.objects.exists()
    assert rejection_reasons_for_drafts(franchise_id=franchise.id) == ["Too salesy.", "Too salesy."]
    row = GenerationQueue(franchise=franchise, week_start=dt.date(2026, 12, 7), slot=0, scheduled_for=timezone.now())
    brief = draft_brief(row=row, franchise=franchise)[0]["content"]
    assert "Staff rejected recent drafts for these reasons" in brief and "- Too salesy." in brief

    body = response.content.decode()
    assert 'data-testid="undo-rejection"' in body and "You rejected 2 drafts" in body
    batch = DraftRejection.objects.values_list("batch", flat=True).first()
    response = client.post(UNDO, {"batch": str(batch), "next": QUEUE}, follow=True)
    assert "Rejection undone: 2 drafts back in the queue." in messages_of(response)
    restored = {p.summary: p for p in Post.objects.all()}
    assert {s: p.scheduled_at for s, p in restored.items()} == planned
    assert all(
        (p.status, p.source, p.cta_url) == (Post.Status.DRAFT, Post.Source.AI, "https://bean.example")
        for p in restored.values()
    )
    assert rejection_reasons_for_drafts(franchise_id=franchise.id) == []  # an undone reason is not told
    assert 'data-testid="undo-rejection"' not in response.content.decode()


def test_a_rejection_cannot_be_undone_after_a_while_nor_by_someone_else(client, franchise, staff):
    _bulk(client, _drafts(franchise, 1), "reject")
    batch = DraftRejection.objects.get().batch
    logged_in(client, make_member(franchise, Membership.Role.STAFF))
    response = client.post(UNDO, {"batch": str(batch)}, follow=True)
    assert any("can no longer be undone" in text for text in messages_of(response))
    logged_in(client, staff)
    with time_machine.travel(timezone.now() + UNDO_WINDOW + dt.timedelta(minutes=1)):
        response = client.post(UNDO, {"batch": str(batch)}, follow=True)
    assert any("can no longer be undone" in text for text in messages_of(response))
    assert not Post.objects.exists()


def test_someone_removed_from_the_franchise_cannot_undo_their_rejection_there(client, franchise, staff):
    """Undoing an earlier rejection recreated the drafts in a franchise its author had left."""
    _bulk(client, _drafts(franchise, 2), "reject", reason="Not us.")
    batch = DraftRejection.objects.values_list("batch", flat=True).first()
    Membership.objects.filter(user=staff, franchise=franchise).delete()  # removed by an admin

    assert 'data-testid="undo-rejection"' not in client.get(QUEUE).content.decode()
    response = client.post(UNDO, {"batch": str(batch)}, follow=True)
    assert any("can no longer be undone" in text for text in messages_of(response))
    assert not Post.objects.exists()
    assert rejection_reasons_for_drafts(franchise_id=franchise.id) == ["Not us.", "Not us."]  # still told


def test_the_single_reject_button_goes_through_the_same_undoable_path(client, franchise, staff):
    draft = _drafts(franchise, 1)[0]
    body = client.get(QUEUE).content.decode()
    assert f'name="reason" id="reason-{draft.pk}" maxlength="300"' in body
    client.post(BULK, {"action": "reject", "post": str(draft.pk), "reason": "Wrong hours."})
    assert DraftRejection.objects.get().reason == "Wrong hours."


def test_edit_from_the_queue_comes_back_to_the_queue(client, franchise, staff):
    draft = _drafts(franchise, 1)[0]
    queue = f"{QUEUE}?franchise={franchise.pk}"
    body = client.get(queue).content.decode()
    edit = f"{reverse('posts:edit', args=[draft.pk])}?next={QUEUE}%3Ffranchise%3D{franchise.pk}"
    assert f'href="{edit}"' in body
    form = client.get(edit).content.decode()
    assert f'name="next" value="{queue}"' in form
    data = {"summary": "Better words.", "topic_type": "STANDARD", "cta_action_type": "", "intent": "draft"}
    response = client.post(edit, {**data, "version": draft.version, "next": queue})
    assert response.status_code == 302 and response["Location"] == queue
    draft.refresh_from_db()
    assert draft.summary == "Better words."


def test_copies_of_rejections_past_the_undo_window_are_dropped(client, franchise, staff):
    _bulk(client, _drafts(franchise, 1), "reject", reason="Old.")
    old = DraftRejection.objects.get()
    with time_machine.travel(timezone.now() + UNDO_WINDOW + dt.timedelta(minutes=1)):
        _bulk(client, _drafts(franchise, 1), "reject")
    assert not DraftRejection.objects.filter(pk=old.pk).exists()
    assert DraftRejection.objects.count() == 1
    assert rejection_reasons_for_drafts(franchise_id=franchise.id) == ["Old."]  # the history keeps it
