from __future__ import annotations

import datetime as dt

import pytest

from posts.gbp_mapping import PostNotPublishable, local_post_body
from posts.models import Post
from testkit.factories import make_post

pytestmark = pytest.mark.django_db


def test_a_standard_post_with_a_button_and_photo_maps_to_googles_fields():
    post = make_post(
        summary="Spring cleanup slots are open.",
        cta_action_type=Post.ActionType.BOOK,
        cta_url="https://example.com/book",
        media_url="https://example.com/p.jpg",
    )
    assert local_post_body(post) == {
        "languageCode": "en",
        "summary": "Spring cleanup slots are open.",
        "topicType": "STANDARD",
        "callToAction": {"actionType": "BOOK", "url": "https://example.com/book"},
        "media": [{"mediaFormat": "PHOTO", "sourceUrl": "https://example.com/p.jpg"}],
    }


def test_a_call_button_carries_no_link():
    post = make_post(cta_action_type=Post.ActionType.CALL)
    assert local_post_body(post)["callToAction"] == {"actionType": "CALL"}


def test_an_event_schedule_is_sent_in_the_franchises_local_time():
    start = dt.datetime(2026, 12, 5, 15, 0, tzinfo=dt.UTC)  # 10:00 in New York
    post = make_post(
        topic_type=Post.TopicType.EVENT,
        event_title="Open house",
        event_start=start,
        event_end=start + dt.timedelta(hours=2),
    )
    post.franchise.timezone = "America/New_York"
    schedule = local_post_body(post)["event"]["schedule"]
    assert schedule["startDate"] == {"year": 2026, "month": 12, "day": 5}
    assert schedule["startTime"] == {"hours": 10, "minutes": 0, "seconds": 0, "nanos": 0}
    assert schedule["endTime"]["hours"] == 12


def test_an_offer_drops_the_button_and_keeps_its_coupon():
    start = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    post = make_post(
        topic_type=Post.TopicType.OFFER,
        event_title="10% off",
        event_start=start,
        event_end=start + dt.timedelta(days=7),
        offer_coupon_code="SAVE10",
        cta_action_type=Post.ActionType.LEARN_MORE,
        cta_url="https://example.com",
    )
    body = local_post_body(post)
    assert "callToAction" not in body
    assert body["offer"] == {"couponCode": "SAVE10"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"summary": "x" * 1501}, "1,501 characters"),
        ({"summary": "   "}, "no text"),
        ({"topic_type": "EVENT"}, "needs a title"),
        ({"cta_action_type": "BOOK"}, "needs a link"),
        ({"cta_action_type": "CALL", "cta_url": "https://example.com"}, "takes no link"),
    ],
)
def test_what_google_would_refuse_is_refused_before_calling_it(fields, message):
    post = make_post()
    for name, value in fields.items():
        setattr(post, name, value)
    with pytest.raises(PostNotPublishable, match=message):
        local_post_body(post)
