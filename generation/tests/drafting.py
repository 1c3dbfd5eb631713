"""The franchise the draft queue writes for, in the generation tests."""

from __future__ import annotations

from testkit.google import franchise_with_fake_grant

WEBSITE = "https://sunrise-bakery.example"


def franchise_for_drafts(**fields):
    """A franchise the queue fills and Claude (the sandbox) writes for: a fake grant (connected, but
    drafting never calls Google with it) and a business profile to write from; `fields` override."""
    fields.setdefault("website", WEBSITE)
    fields.setdefault("city", "Portland")
    fields.setdefault("services", "Sourdough bread\nPastries")
    fields.setdefault("posts_per_week", 2)
    return franchise_with_fake_grant(**fields)
