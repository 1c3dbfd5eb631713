"""A repeating post is made in the post editor, on a desktop and on a 390x844 phone: the rule shows
only what was chosen (weekly days, or a day or weekday of the month; an end date or a count), the
summary says it in plain words as it is typed, an event's fields show for an event only, and
errors are summed up at the top. Every page on the way is axe-clean and fits the phone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from franchises.models import Membership
from posts.models import Post, PostSeries
from testkit.factories import make_franchise, make_member

from .test_accessibility import VIEWPORTS, _violations


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_repeating_event_is_made_in_the_post_editor_with_its_rule_in_plain_words(site, viewport):
    page = site.page
    page.set_viewport_size(VIEWPORTS[viewport])
    franchise = make_franchise(name="Harbor Cafe", timezone="America/New_York")
    make_member(franchise, Membership.Role.STAFF, username="harbor-staff")
    site.sign_in("harbor-staff")
    today = timezone.localtime(timezone.now(), franchise.zone).date()
    friday = today + dt.timedelta(days=-today.weekday() % 7 + 4)  # the Friday after its first Monday

    site.goto(f"/franchises/{franchise.pk}/series/")
    page.click("#series-new-link")
    page.wait_for_selector("#series-form")
    # Errors first: nothing picked. The summary at the top takes the focus and names each field.
    page.click("#series-save")
    page.wait_for_selector("#form-errors")
    expect(page.locator("#form-errors")).to_be_focused()  # autofocus applies after parsing: wait
    errors = page.inner_text("#form-errors")
    assert "Pick the days of the week" in errors and "Text: This field is required." in errors
    assert _violations(page) == [] and _fits(page)

    site.goto(f"/franchises/{franchise.pk}/series/new/")
    # Weekly: only the days show; monthly's fields and the end's date and count stay hidden.
    assert page.locator("#field-weekdays").is_visible()
    for hidden in ("#field-monthly_by", "#field-month_day", "#field-nth", "#field-until", "#field-count"):
        assert not page.locator(hidden).is_visible(), hidden
    assert not page.locator("#event-fields").is_visible()

    page.fill("#summary", "Quiz night on Friday: teams of four, prizes for the top three.")
    page.select_option("#id_topic_type", "EVENT")
    page.fill("#id_event_title", "Quiz night")
    page.fill("#id_event_start", f"{friday:%Y-%m-%d}T19:00")
    page.fill("#id_event_end", f"{friday:%Y-%m-%d}T22:00")
    page.check("#id_weekdays_0")  # Monday
    page.fill("#id_local_time", "09:00")
    page.check("#id_ends_2")  # after a number of posts
    assert page.locator("#field-count").is_visible() and not page.locator("#field-until").is_visible()
    page.fill("#id_count", "12")
    page.locator("#id_count").dispatch_event("change")
    page.wait_for_selector("#series-summary:has-text('Every Monday at 09:00, 12 times, next: Mon')")
    assert "event from Fri" in page.inner_text("#series-upcoming")

    # Monthly instead: the days hide, a day of the month shows; then back to weekly.
    page.check("#id_frequency_1")
    assert page.locator("#field-monthly_by").is_visible() and page.locator("#field-month_day").is_visible()
    assert not page.locator("#field-weekdays").is_visible() and not page.locator("#field-nth").is_visible()
    page.check("#id_monthly_by_1")
    assert page.locator("#field-nth").is_visible() and not page.locator("#field-month_day").is_visible()
    page.check("#id_frequency_0")
    page.wait_for_selector("#series-summary:has-text('Every Monday at 09:00, 12 times')")
    assert _violations(page) == [] and _fits(page)
    site.screenshot("series-editor" if viewport == "desktop" else "series-editor-phone")

    page.click("#series-save")
    page.wait_for_selector("#series-describe")
    series = PostSeries.objects.get()
    assert (series.topic_type, series.event_title) == (Post.TopicType.EVENT, "Quiz night")
    assert "Every Monday at 09:00, 12 times, next: Mon" in page.inner_text("#series-describe")
    first = Post.objects.filter(series=series).order_by("scheduled_at").first()
    assert timezone.localtime(first.event_start, franchise.zone).weekday() == 4  # that week's Friday
    assert _violations(page) == [] and _fits(page)
    assert site.csp_violations() == []


TEXTS = [
    "Monday muffins at eight: blueberry, lemon and plain.",
    "Our rye rests overnight before it meets the oven.",
    "Coffee and a roll for the road, ready when you are.",
]


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_series_with_three_texts_previews_its_next_posts_each_with_another_text(site, viewport):
    page = site.page
    page.set_viewport_size(VIEWPORTS[viewport])
    franchise = make_franchise(name="Harbor Cafe", timezone="America/New_York")
    make_member(franchise, Membership.Role.STAFF, username="harbor-staff")
    site.sign_in("harbor-staff")

    site.goto(f"/franchises/{franchise.pk}/series/new/")
    page.fill("#summary", TEXTS[0])
    page.fill("#id_more_texts", f"{TEXTS[1]}\n---\n{TEXTS[2]}")
    page.check("#id_weekdays_0")  # Monday
    page.fill("#id_local_time", "09:00")
    page.locator("#id_local_time").dispatch_event("change")
    page.wait_for_selector("#series-upcoming li >> nth=2")
    upcoming = page.locator("#series-upcoming li").all_inner_texts()
    for n, (line, text) in enumerate(zip(upcoming, TEXTS, strict=True), 1):
        assert f"text {n} of 3: “{text}”" in line
    # Three texts repeat every three weeks: the editor says how many and warns.
    expect(page.locator("#series-variety")).to_have_text("3 different texts.")
    expect(page.locator("#series-variety-warning")).to_contain_text("at least 10")
    assert _violations(page) == [] and _fits(page)
    site.screenshot("series-texts" if viewport == "desktop" else "series-texts-phone")

    page.click("#series-save")
    page.wait_for_selector("#series-describe")
    series = PostSeries.objects.get()
    made = list(Post.objects.filter(series=series).order_by("scheduled_at").values_list("summary", flat=True))
    assert made[:3] == TEXTS
    assert "Text 2:" in page.inner_text("#series-occurrences")
    assert _violations(page) == [] and _fits(page)
    assert site.csp_violations() == []
