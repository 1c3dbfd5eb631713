"""Franchises, posts, reviews, users and members: real rows through the ORM, no fixture files."""

from __future__ import annotations

import datetime as dt
from itertools import count

from django.contrib.auth import get_user_model
from django.utils import timezone

from franchises.models import Franchise, Membership
from posts.models import Post
from reviews.models import Review

_seq = count(1)


# What headquarters fills in to add a franchise (the dashboard's form and the Django admin's).
NEW_FRANCHISE_FORM = {
    "name": "Lisbon Bakery",
    "city": "Lisbon",
    "website": "bakery.example",
    "timezone": "Europe/Lisbon",
    "description": "A neighbourhood bakery.",
    "services": "Bread\nCakes to order",
    "tone": "warm",
    "posts_per_week": "2",
    "ai_drafts_enabled": "on",
}


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


def make_user(*, superuser: bool = False, password: str | None = None, **fields):
    """A user named user<n> unless `username` is given; no email unless given. No password unless
    a test logs in with one: hashing costs half a second of shared CPU."""
    fields.setdefault("username", f"user{next(_seq)}")
    User = get_user_model()
    if superuser:
        fields.setdefault("email", "")
        return User.objects.create_superuser(password=password, **fields)
    return User.objects.create_user(password=password, **fields)


def make_member(franchise: Franchise, role: str, **fields):
    """A new user holding `role` (Membership.Role.ADMIN or .STAFF: always said, never assumed) in
    `franchise`; `fields` go to make_user (username, email, password, is_staff, ...)."""
    user = make_user(**fields)
    Membership.objects.create(user=user, franchise=franchise, role=role)
    return user


_review_numbers = count(1)


def make_review(franchise, **fields) -> Review:
    """A review row of `franchise` as sync-reviews would store it (its Google name made up)."""
    n = next(_review_numbers)
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
