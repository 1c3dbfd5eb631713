from __future__ import annotations

import json

import pytest

from generation.validation import DraftInvalid, draft_parse

SITE = "https://www.sunrise-bakery.example"


def answer(summary="Fresh sourdough every morning.", cta=None, **extra):
    return json.dumps({"summary": summary, "topic_type": "STANDARD", "call_to_action": cta, **extra})


def test_a_good_answer_becomes_a_draft_with_its_button():
    draft = draft_parse(
        text=answer(cta={"action_type": "ORDER", "url": "https://sunrise-bakery.example/order"}), website=SITE
    )
    assert draft.summary == "Fresh sourdough every morning."
    assert (draft.topic_type, draft.cta_action_type, draft.cta_url) == (
        "STANDARD",
        "ORDER",
        "https://sunrise-bakery.example/order",
    )


@pytest.mark.parametrize(
    "phone",
    [
        "(503) 555-0143",
        "503-555-0143",
        "503.555.0143",
        "+1 503 555 0143",
        "+44 20 7946 0958",
        "5035550143",
        "(503)555-0143",
    ],
)
def test_a_phone_number_is_refused(phone):
    with pytest.raises(DraftInvalid, match="phone number"):
        draft_parse(text=answer(f"Call us at {phone} to order."), website=SITE)


@pytest.mark.parametrize(
    "text",
    ["Open 10:00-14:00 on 2026-03-02.", "Over 1,500 loaves sold since 1998!", "Cakes from $12.50, 3 sizes."],
)
def test_dates_times_and_prices_are_not_phone_numbers(text):
    assert draft_parse(text=answer(text), website=SITE).summary == text


def test_a_summary_over_1500_characters_is_refused():
    with pytest.raises(DraftInvalid, match="1501 characters"):
        draft_parse(text=answer("a" * 1501), website=SITE)
    assert len(draft_parse(text=answer("a" * 1500), website=SITE).summary) == 1500


def test_an_answer_that_is_not_json_is_refused():
    with pytest.raises(DraftInvalid, match="not valid JSON"):
        draft_parse(text="Here is your post: Fresh bread!", website=SITE)


def test_a_button_to_another_site_is_refused():
    with pytest.raises(DraftInvalid, match="website"):
        draft_parse(text=answer(cta={"action_type": "LEARN_MORE", "url": "https://evil.example/x"}), website=SITE)


def test_a_button_is_dropped_when_the_business_has_no_website():
    draft = draft_parse(text=answer(cta={"action_type": "LEARN_MORE", "url": "https://example.com"}), website="")
    assert (draft.cta_action_type, draft.cta_url) == ("", "")


def test_a_call_button_or_an_unknown_topic_is_refused():
    with pytest.raises(DraftInvalid, match="action_type"):
        draft_parse(text=answer(cta={"action_type": "CALL", "url": SITE}), website=SITE)
    with pytest.raises(DraftInvalid, match="topic_type"):
        draft_parse(text=json.dumps({"summary": "Hi", "topic_type": "ALERT"}), website=SITE)
