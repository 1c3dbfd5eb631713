"""Small factories for tests: real rows through the ORM, no fixture files."""

from __future__ import annotations

from itertools import count

from django.utils import timezone

from franchises.models import Franchise
from posts.models import Post

_seq = count(1)


def make_franchise(**fields) -> Franchise:
    n = next(_seq)
    fields.setdefault("name", f"Franchise {n}")
    fields.setdefault("timezone", "America/New_York")
    return Franchise.objects.create(**fields)


def make_post(*, franchise: Franchise | None = None, **fields) -> Post:
    fields.setdefault("summary", f"Fresh news from us, number {next(_seq)}.")
    if fields.get("status") == Post.Status.SCHEDULED:
        fields.setdefault("scheduled_at", timezone.now())
    return Post.objects.create(franchise=franchise or make_franchise(), **fields)
