"""The AI drafts review queue and headquarters announcements."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from franchises.models import Membership
from generation.models import GenerationQueue
from posts.models import Post, PostEvent
from posts.selectors import rejection_reasons_recent
from testkit.factories import make_franchise, make_member, make_post, make_user
from testkit.web import logged_in, messages_of

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.fixture
def franchise():
    return make_franchise(timezone="America/Chicago", name="Bean There", city="Dallas")


@pytest.fixture
def staff(client, franchise):
    user = make_member(franchise, Membership.Role.STAFF)
    logged_in(client, user)
    return user


def _failed_generation(franchise, error: str) -> GenerationQueue:
    return GenerationQueue.objects.create(
        franchise=franchise,
        status=GenerationQueue.Status.FAILED,
        week_start=dt.date(2026, 11, 30),
        slot=0,
        scheduled_for=dt.datetime(2026, 12, 1, 15, tzinfo=UTC),
        attempts=5,
        error=error,
    )


def test_the_queue_lists_ai_drafts_with_their_planned_time(client, franchise, staff):
    planned = timezone.now() + dt.timedelta(days=3)
    draft = make_post(franchise=franchise, source=Post.Source.AI, scheduled_at=planned, summary="Try our latte.")
    make_post(franchise=franchise, source=Post.Source.MANUAL, summary="A manual draft.")
    make_post(franchise=franchise, source=Post.Source.AI, status=Post.Status.SCHEDULED, summary="Already approved.")
    response = client.get(reverse("generation:drafts"))
    body = response.content.decode()
    assert [row["post"] for row in response.context["rows"]] == [draft]
    assert "Try our latte." in body
    assert "A manual draft." not in body and "Already approved." not in body
    # The approve field is filled with the planned time, in Chicago time.
    assert f'id="id_{draft.pk}_scheduled_at"' in body
    chicago = planned.astimezone(zoneinfo.ZoneInfo("America/Chicago"))
    assert f'value="{chicago:%Y-%m-%dT%H:%M}"' in body


def test_the_queue_shows_why_generations_failed(client, franchise, staff):
    _failed_generation(franchise, "Claude's answer was not a valid post: the text is empty.")
    _failed_generation(make_franchise(), "Someone else's failure.")
    body = client.get(reverse("generation:drafts")).content.decode()
    assert "Claude&#x27;s answer was not a valid post: the text is empty." in body
    assert "Someone else" not in body


def test_approving_a_draft_schedules_it_and_returns_to_the_queue(client, franchise, staff):
    draft = make_post(franchise=franchise, source=Post.Source.AI)
    response = client.post(
        reverse("posts:schedule", args=[draft.pk]),
        {"scheduled_at": "2030-07-04T08:00", "next": reverse("generation:drafts")},
    )
    assert response["Location"] == reverse("generation:drafts")
    draft.refresh_from_db()
    assert draft.status == Post.Status.SCHEDULED
    assert draft.scheduled_at == dt.datetime(2030, 7, 4, 13, 0, tzinfo=UTC)  # 08:00 CDT
    assert PostEvent.objects.get(post=draft).actor == staff


def test_rejecting_a_draft_deletes_it_and_keeps_a_record(client, franchise, staff):
    draft = make_post(franchise=franchise, source=Post.Source.AI, summary="Meh.")
    response = client.post(reverse("posts:reject", args=[draft.pk]), follow=True)
    assert "Draft rejected and deleted." in messages_of(response)
    assert not Post.objects.filter(pk=draft.pk).exists()
    event = PostEvent.objects.get()
    assert (event.action, event.actor, event.post_excerpt, event.franchise) == ("rejected", staff, "Meh.", franchise)


def test_a_rejection_reason_is_kept_in_the_history_and_read_back_for_the_next_drafts(client, franchise, staff):
    first = make_post(franchise=franchise, source=Post.Source.AI, summary="Buy now!!!")
    second = make_post(franchise=franchise, source=Post.Source.AI, summary="Open Sundays.")
    silent = make_post(franchise=franchise, source=Post.Source.AI, summary="Whatever.")
    client.post(reverse("posts:reject", args=[first.pk]), {"reason": "  Too   salesy. "})
    client.post(reverse("posts:reject", args=[second.pk]), {"reason": "We are closed on Sundays." + "!" * 400})
    client.post(reverse("posts:reject", args=[silent.pk]))

    details = list(PostEvent.objects.order_by("created_at").values_list("detail", flat=True))
    assert details[0] == "Draft rejected and deleted. Reason: Too salesy."
    assert details[2] == "Draft rejected and deleted."
    reasons = rejection_reasons_recent(franchise_id=franchise.id)
    assert reasons[1] == "Too salesy."
    assert reasons[0].startswith("We are closed on Sundays.") and len(reasons[0]) == 300
    assert rejection_reasons_recent(franchise_id=make_franchise().id) == []


def test_the_drafts_queue_offers_a_reason_field_with_each_reject_button(client, franchise, staff):
    draft = make_post(franchise=franchise, source=Post.Source.AI, summary="Meh.")
    body = client.get(reverse("generation:drafts")).content.decode()
    assert f'name="reason" id="reason-{draft.pk}" maxlength="300"' in body


def test_only_drafts_can_be_rejected(client, franchise, staff):
    post = make_post(franchise=franchise, source=Post.Source.AI, status=Post.Status.SCHEDULED)
    response = client.post(reverse("posts:reject", args=[post.pk]), follow=True)
    assert any("Only a draft can be rejected" in text for text in messages_of(response))
    assert Post.objects.filter(pk=post.pk).exists()


# --- headquarters announcements -------------------------------------------------------------------


@pytest.fixture
def headquarters(client):
    user = make_user(superuser=True)
    logged_in(client, user)
    return user


def _announcement(*franchises, **fields) -> dict:
    data = {
        "franchises": [str(f.pk) for f in franchises],
        "summary": "Happy holidays from {name} in {city}! {not a placeholder}",
        "date": "2030-12-20",
        "local_time": "09:00",
        "cta_action_type": "LEARN_MORE",
        "cta_url": "https://example.com/holidays",
    }
    data.update(fields)
    return data


def test_an_announcement_is_previewed_per_franchise_before_anything_is_created(client, headquarters, franchise):
    paris = make_franchise(timezone="Europe/Paris", name="Café Paris", city="Paris")
    response = client.post(reverse("posts:announcement_new"), _announcement(franchise, paris, step="preview"))
    body = response.content.decode()
    assert "Happy holidays from Bean There in Dallas! {not a placeholder}" in body
    assert "Happy holidays from Café Paris in Paris!" in body
    assert body.count('data-testid="announcement-preview"') == 2
    assert 'id="announcement-schedule"' in body
    assert not Post.objects.exists()


def test_scheduling_an_announcement_creates_one_post_per_franchise_at_local_time(client, headquarters, franchise):
    paris = make_franchise(timezone="Europe/Paris", name="Café Paris", city="Paris")
    make_franchise(name="Left out")
    response = client.post(reverse("posts:announcement_new"), _announcement(franchise, paris, step="schedule"))
    assert response.status_code == 302
    posts = {post.franchise.name: post for post in Post.objects.select_related("franchise")}
    assert set(posts) == {"Bean There", "Café Paris"}
    assert posts["Café Paris"].summary == "Happy holidays from Café Paris in Paris! {not a placeholder}"
    assert posts["Café Paris"].scheduled_at == dt.datetime(2030, 12, 20, 8, 0, tzinfo=UTC)  # 09:00 CET
    assert posts["Bean There"].scheduled_at == dt.datetime(2030, 12, 20, 15, 0, tzinfo=UTC)  # 09:00 CST
    assert all(post.status == Post.Status.SCHEDULED and post.created_by == headquarters for post in posts.values())
    assert PostEvent.objects.filter(action="scheduled", actor=headquarters).count() == 2


def test_an_announcement_google_would_reject_is_not_scheduled_anywhere(client, headquarters, franchise):
    too_long = "{name} " + "x" * 1490  # fits for short names only
    long_name = make_franchise(name="A franchise with a much longer name than most")
    data = _announcement(franchise, long_name, summary=too_long, step="schedule")
    response = client.post(reverse("posts:announcement_new"), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "A franchise with a much longer name than most: The text is" in body
    assert 'id="announcement-schedule"' not in body
    assert not Post.objects.exists()


def test_franchise_admins_cannot_post_announcements(client, franchise):
    logged_in(client, make_member(franchise, Membership.Role.ADMIN))
    response = client.post(reverse("posts:announcement_new"), _announcement(franchise, step="schedule"))
    assert response.status_code == 403
    assert not Post.objects.exists()
