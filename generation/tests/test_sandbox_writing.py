"""What a newcomer sees of the AI in the demo and the tests: the sandbox's Claude answers the app's
own requests with drafts built from each franchise's profile that differ from one another, and with
suggestions that rewrite the text they were given; the same request gets the same answer."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from gbp_scheduler.jobs import TimeBudget
from generation.models import GenerationQueue
from generation.services import generation_queue_process
from generation.services.assist import post_text_suggest
from generation.tests.drafting import franchise_for_drafts
from testkit.factories import make_user

pytestmark = pytest.mark.django_db
TEXT = (
    "Our winter menu starts on Saturday. We are baking rye with caraway and a spiced pear tart. "
    "The first twenty customers get a free coffee! Come early and say hello."
)


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def suggestion(franchise, action: str, text: str = TEXT) -> str:
    return post_text_suggest(franchise=franchise, action=action, text=text, user=make_user()).text


def test_a_group_weeks_drafts_differ_and_each_is_written_from_its_franchises_profile(claude):
    profiles = {
        "Sunrise Bakery": ("Sourdough bread\nPastries\nWedding cakes", "Family bakery since 1998."),
        "Harbor Cycles": ("Bike repair\nE-bike servicing\nKids' bikes", "Mechanics who ride every day."),
        "Maple Dental": ("Check-ups\nTeeth whitening\nEmergency visits", "A calm practice for the whole family."),
    }
    monday = dt.date(2026, 3, 2)
    for name, (services, about) in profiles.items():
        franchise = franchise_for_drafts(name=name, services=services, description=about, city="Portland")
        for slot in range(4):
            GenerationQueue.objects.create(
                franchise=franchise,
                week_start=monday,
                slot=slot,
                scheduled_for=timezone.now() + dt.timedelta(days=1 + slot),
            )

    generation_queue_process(budget=TimeBudget(seconds=60))

    drafts = {row.franchise.name: [] for row in GenerationQueue.objects.select_related("franchise")}
    for row in GenerationQueue.objects.select_related("post", "franchise").order_by("slot"):
        drafts[row.franchise.name].append(row.post.summary)
    texts = [text for group in drafts.values() for text in group]
    assert len(texts) == 12 and len(set(texts)) == 12
    openings = {" ".join(text.split()[:4]) for text in texts}
    assert len(openings) >= 8, openings  # not twelve variations of one sentence
    for name, group in drafts.items():
        services = [s.lower() for s in profiles[name][0].splitlines()]
        for text in group:
            assert name in text, text
            assert any(service in text.lower() for service in services), text
            assert "Something fresh is happening" not in text


def test_rewrite_keeps_the_texts_facts_in_fresher_words(claude):
    franchise = franchise_for_drafts(name="Sunrise Bakery")
    rewritten = suggestion(franchise, "rewrite")
    assert rewritten != TEXT
    assert {"saturday", "rye", "caraway", "pear", "twenty", "coffee"} <= words(rewritten)


def test_shorter_is_about_half_as_long_and_from_the_text(claude):
    franchise = franchise_for_drafts(name="Sunrise Bakery")
    short = suggestion(franchise, "shorter")
    assert len(short) <= len(TEXT) * 0.7
    assert words(short) - {"and"} <= words(TEXT) | words("Sunrise Bakery")
    assert "saturday" in words(short)


def test_friendlier_and_more_formal_change_the_tone_not_the_facts(claude):
    franchise = franchise_for_drafts(name="Sunrise Bakery", city="Portland")
    warm = suggestion(franchise, "friendlier")
    formal = suggestion(franchise, "formal", text=warm)
    assert "We're baking" in warm and warm != TEXT
    assert "!" not in formal and "We are baking" in formal and "We're" not in formal
    for text in (warm, formal):
        assert {"saturday", "rye", "caraway", "pear", "coffee"} <= words(text)


def test_another_angle_is_a_new_post_from_the_profile_not_the_text(claude):
    franchise = franchise_for_drafts(name="Sunrise Bakery", services="Sourdough bread\nPastries")
    other = suggestion(franchise, "angle")
    assert "Sunrise Bakery" in other and "caraway" not in other
    assert "sourdough bread" in other.lower() or "pastries" in other.lower()


def test_the_same_request_gets_the_same_answer(claude):
    franchise = franchise_for_drafts(name="Sunrise Bakery")
    assert suggestion(franchise, "rewrite") == suggestion(franchise, "rewrite")
    assert suggestion(franchise, "rewrite") != suggestion(franchise, "rewrite", text=TEXT + " Open till six.")
