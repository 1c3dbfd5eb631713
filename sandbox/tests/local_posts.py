"""The sandbox's demo location's posts endpoint and a post body it accepts, for the sandbox's own tests."""

from __future__ import annotations

POSTS = "/v4/accounts/1001/locations/2001/localPosts"


def standard_post(summary: str = "Fresh sourdough every morning.", **extra: object) -> dict[str, object]:
    return {
        "languageCode": "en",
        "summary": summary,
        "topicType": "STANDARD",
        "callToAction": {"actionType": "LEARN_MORE", "url": "https://sunrise-bakery.example"},
        **extra,
    }
