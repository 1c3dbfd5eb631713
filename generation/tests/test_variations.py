"""A repeating post that asks Claude for a variation of each post: its occurrences wait as drafts,
the generation queue asks the sandbox's Anthropic (in a Message Batch, or synchronously when the
post is near), each answer becomes an AI draft for review, and an approved one publishes once."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine

from gbp_scheduler.jobs import TimeBudget
from generation.models import GenerationQueue, GenerationUsage
from generation.prompt import VARIATION_SYSTEM_PROMPT
from generation.services import generation_queue_process
from generation.services.review import drafts_approve
from posts.models import Post
from posts.selectors import drafts_for_review
from posts.services import post_update, posts_publish_due
from posts.services.series import series_create, series_end, series_rule_build
from testkit.factories import make_user
from testkit.google import franchise_connected_to_sandbox, google_posts

pytestmark = pytest.mark.django_db
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
TEXT = "Monday muffins: fresh from the oven at eight."
VARIED = "Eight o'clock on Monday means warm muffins: come early, they go fast."


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NEW_YORK)


@pytest.fixture(autouse=True)
def _one_worker(settings):
    settings.PUBLISH_CONCURRENCY = 1


def varied_series(sandbox, **fields):
    franchise = franchise_connected_to_sandbox(sandbox, timezone="America/New_York", city="Portland")
    return series_create(
        franchise=franchise,
        user=None,
        rule=series_rule_build(frequency="weekly", weekdays=["MO"], count=2),
        starts_on=dt.date(2026, 10, 19),
        local_time=dt.time(9, 0),
        summary=TEXT,
        vary_with_claude=True,
        **fields,
    )


def process():
    return generation_queue_process(budget=TimeBudget(seconds=60))


@pytest.mark.usefixtures("quota_unpaced")
def test_each_post_waits_as_a_draft_until_claude_varies_it_and_a_person_approves_it(claude, settings):
    settings.ANTHROPIC_USE_BATCHES = True
    settings.GENERATION_SYNC_LEAD_HOURS = 6
    claude.client.batch_config(delay_seconds=3600)
    with time_machine.travel(at(2026, 10, 18, 12, 0), tick=False):
        series = varied_series(claude)
        posts = list(Post.objects.filter(series=series).order_by("scheduled_at"))
        assert [(p.status, p.source, p.summary) for p in posts] == [("draft", "manual", TEXT)] * 2
        assert not drafts_for_review(user=make_user(superuser=True)).exists()  # nothing to review yet

        first = process()
        assert (first["variations_queued"], first["submitted"], first["batches"]) == (2, 2, 1)
        assert process()["variations_queued"] == 0  # one row per post, however many runs
        [sent, _] = [r for r in claude.client.anthropic_requests() if r.get("_batch")]
        assert sent["system"][0]["text"] == VARIATION_SYSTEM_PROMPT
        assert TEXT in sent["messages"][0]["content"]
        assert sent["output_config"]["format"]["schema"]["required"] == ["summary"]

        claude.client.script_messages({"json": {"summary": VARIED}}, {"json": {"summary": VARIED + " Twice."}})
        claude.client.finish_batches()
        assert process()["completed"] == 2
        assert claude.client.calls("messages") == 0  # answered in the batch, at half price

    varied = list(Post.objects.filter(series=series).order_by("scheduled_at"))
    assert {(p.status, p.source, p.series_edited) for p in varied} == {("draft", "ai", True)}
    assert {p.summary for p in varied} == {VARIED, VARIED + " Twice."}
    assert all(r.post_id and r.status == "completed" and r.from_batch for r in GenerationQueue.objects.all())
    assert set(GenerationUsage.objects.values_list("purpose", flat=True)) == {"variation"}
    hq = make_user(superuser=True)
    assert set(drafts_for_review(user=hq)) == set(varied)

    with time_machine.travel(at(2026, 10, 19, 9, 1), tick=False):
        assert posts_publish_due(budget=TimeBudget(seconds=30))["published"] == 0  # unreviewed: never out
        assert drafts_approve(user=hq, post_ids=[varied[0].pk]).done == 1
        runs = [posts_publish_due(budget=TimeBudget(seconds=30))["published"] for _ in range(2)]

    assert runs == [1, 0]
    [on_google] = google_posts(claude, series.franchise)
    assert on_google["summary"] == Post.objects.get(pk=varied[0].pk).summary
    assert Post.objects.get(pk=varied[1].pk).status == "draft"


def test_a_near_post_is_varied_synchronously(claude):
    with time_machine.travel(at(2026, 10, 19, 7, 0), tick=False):
        series = varied_series(claude)
        claude.client.script_messages({"json": {"summary": VARIED}})
        counts = process()

    assert counts["completed"] == 2 and counts.get("submitted", 0) == 0
    post = Post.objects.filter(series=series).order_by("scheduled_at").first()
    assert (post.status, post.source, post.summary) == ("draft", "ai", VARIED)


def test_a_post_edited_by_a_person_before_the_variation_arrives_keeps_their_words(claude):
    with time_machine.travel(at(2026, 10, 18, 12, 0), tick=False):
        series = varied_series(claude)
        first = Post.objects.filter(series=series).order_by("scheduled_at").first()
        post_update(post=first, summary="Our own words, thank you.")
        counts = process()

    assert counts["variations_queued"] == 1  # only the other post waits for one
    assert Post.objects.get(pk=first.pk).summary == "Our own words, thank you."
    assert Post.objects.filter(series=series, source="ai").count() == 1


def test_ending_the_series_skips_the_variations_not_written_yet(claude, settings):
    settings.ANTHROPIC_USE_BATCHES = True
    settings.GENERATION_SYNC_LEAD_HOURS = 6
    claude.client.batch_config(delay_seconds=3600)
    with time_machine.travel(at(2026, 10, 18, 12, 0), tick=False):
        series = varied_series(claude)
        process()
        series_end(series=series, user=None)
        claude.client.finish_batches()
        counts = process()

    assert counts.get("completed", 0) == 0 and counts["skipped"] == 2
    assert not Post.objects.filter(series=series).exists()


def test_a_row_whose_post_was_deleted_does_not_stop_other_posts_getting_theirs(claude):
    with time_machine.travel(at(2026, 10, 18, 12, 0), tick=False):
        series = varied_series(claude)
        process()  # both posts varied
        first = Post.objects.filter(series=series).order_by("scheduled_at").first()
        first.delete()  # its row keeps a NULL post
        other = varied_series(claude)
        counts = process()

    assert counts["variations_queued"] == 2
    assert Post.objects.filter(series=other, source="ai").count() == 2
