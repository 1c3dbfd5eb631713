"""What a key may read: its user's franchises now, narrowed to the key's own."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from franchises.models import Franchise
from franchises.selectors import franchises_for_user, user_is_headquarters
from posts.models import Announcement, Post, PostSeries
from posts.selectors import post_get_for_user, series_get_for_user
from reviews.models import Review
from reviews.selectors import review_get_for_user

from .models import ApiKey


def franchises_for_key(*, key: ApiKey) -> QuerySet[Franchise]:
    """The franchises the key reaches: its user's, as they are now (a membership removed takes the
    franchise away from the key), and only those chosen when the key was made for some."""
    return of_key(franchises_for_user(user=key.user), key=key, through="pk")


def franchise_get_for_key(*, key: ApiKey, franchise_id) -> Franchise:
    franchise = franchises_for_key(key=key).filter(pk=franchise_id).first()
    if franchise is None:
        raise Http404("No such franchise.")
    return franchise


def post_get_for_key(*, key: ApiKey, post_id) -> Post:
    """The post, or 404 outside what the key reaches (another tenant's post does not exist for it)."""
    post = post_get_for_user(user=key.user, post_id=post_id)
    _reached_or_404(key, post.franchise_id, "No such post.")
    return post


def of_key(rows: QuerySet, *, key: ApiKey, through: str = "franchise") -> QuerySet:
    """Any franchise's rows (already the user's: posts, reviews, franchises with through="pk")
    narrowed to the key's franchises."""
    if key.all_franchises:
        return rows
    chosen = key.franchises.through.objects.filter(apikey_id=key.pk).values("franchise_id")
    return rows.filter(**{f"{through}__in": chosen})


def series_get_for_key(*, key: ApiKey, series_id) -> PostSeries:
    series = series_get_for_user(user=key.user, series_id=series_id)
    _reached_or_404(key, series.franchise_id, "No such repeating post.")
    return series


def review_get_for_key(*, key: ApiKey, review_id) -> Review:
    review = review_get_for_user(user=key.user, review_id=review_id)
    _reached_or_404(key, review.franchise_id, "No such review.")
    return review


def headquarters_key_check(*, key: ApiKey, what: str) -> None:
    """403 unless the key is headquarters' for every franchise: an announcement reaches many, so
    a key narrowed to some may not read or change one."""
    if not user_is_headquarters(key.user):
        raise PermissionDenied(f"Only headquarters can {what}.")
    if not key.all_franchises:
        raise PermissionDenied(f"To {what}, use a key for all franchises: this one reaches only some.")


def announcement_get_for_key(*, key: ApiKey, announcement_id) -> Announcement:
    headquarters_key_check(key=key, what="see an announcement")
    announcement = Announcement.objects.filter(pk=announcement_id).first()
    if announcement is None:
        raise Http404("No such announcement.")
    return announcement


# What a request names, by its parameter's name, and how the key reaches it (the idempotency
# replay asks again: api/idempotency.py).
GETTERS = {
    "franchise_id": lambda key, pk: franchise_get_for_key(key=key, franchise_id=pk),
    "post_id": lambda key, pk: post_get_for_key(key=key, post_id=pk),
    "series_id": lambda key, pk: series_get_for_key(key=key, series_id=pk),
    "review_id": lambda key, pk: review_get_for_key(key=key, review_id=pk),
    "announcement_id": lambda key, pk: announcement_get_for_key(key=key, announcement_id=pk),
}


def named_objects_check(*, key: ApiKey, named: dict) -> None:
    """404 (or 403) unless the key reaches every object `named` ({parameter name: id or ids})."""
    for name, ids in named.items():
        for pk in ids if isinstance(ids, list | tuple | set) else [ids]:
            GETTERS[name](key, pk)


def api_keys_of_user(*, user: AbstractBaseUser) -> QuerySet[ApiKey]:
    """The user's keys, usable ones first, newest first, with their franchises."""
    return ApiKey.objects.filter(user=user).prefetch_related("franchises").order_by("revoked_at", "-created_at")


def _reached_or_404(key: ApiKey, franchise_id, message: str) -> None:
    """A row of the user's whose franchise the key was not made for does not exist for the key."""
    if not key.all_franchises and not key.franchises.filter(pk=franchise_id).exists():
        raise Http404(message)
