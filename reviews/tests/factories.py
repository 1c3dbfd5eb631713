"""Reviews as rows, for the pages' tests (the sync's and replies' tests read them from the sandbox)."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from reviews.models import Review

_numbers = itertools.count(1)


def make_review(franchise, **fields) -> Review:
    n = next(_numbers)
    created = fields.pop("created_at", timezone.now() - dt.timedelta(days=n % 20))
    location = franchise.google_location_id or "x"
    defaults = {
        "google_name": f"accounts/1/locations/{location}/reviews/r{n}-{franchise.pk.hex[:6]}",
        "reviewer_name": f"Reviewer {n}",
        "stars": 4,
        "comment": f"Review number {n}.",
        "created_at": created,
        "google_updated_at": created,
    }
    return Review.objects.create(franchise=franchise, **{**defaults, **fields})
