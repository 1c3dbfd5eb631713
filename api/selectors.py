"""What a key may read: its user's franchises now, narrowed to the key's own."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404

from franchises.models import Franchise
from franchises.selectors import franchises_for_user
from posts.models import Post
from posts.selectors import post_get_for_user

from .models import ApiKey


def franchises_for_key(*, key: ApiKey) -> QuerySet[Franchise]:
    """The franchises the key reaches: its user's, as they are now (a membership removed takes the
    franchise away from the key), and only those chosen when the key was made for some."""
    visible = franchises_for_user(user=key.user)
    if key.all_franchises:
        return visible
    return visible.filter(pk__in=key.franchises.through.objects.filter(apikey_id=key.pk).values("franchise_id"))


def franchise_get_for_key(*, key: ApiKey, franchise_id) -> Franchise:
    franchise = franchises_for_key(key=key).filter(pk=franchise_id).first()
    if franchise is None:
        raise Http404("No such franchise.")
    return franchise


def post_get_for_key(*, key: ApiKey, post_id) -> Post:
    """The post, or 404 outside what the key reaches (another tenant's post does not exist for it)."""
    post = post_get_for_user(user=key.user, post_id=post_id)
    if not key.all_franchises and not key.franchises.filter(pk=post.franchise_id).exists():
        raise Http404("No such post.")
    return post


def posts_of_key(posts: QuerySet[Post], *, key: ApiKey) -> QuerySet[Post]:
    """`posts` (already the user's) narrowed to the key's franchises."""
    if key.all_franchises:
        return posts
    return posts.filter(franchise__in=key.franchises.through.objects.filter(apikey_id=key.pk).values("franchise_id"))


def api_keys_of_user(*, user: AbstractBaseUser) -> QuerySet[ApiKey]:
    """The user's keys, usable ones first, newest first, with their franchises."""
    return ApiKey.objects.filter(user=user).prefetch_related("franchises").order_by("revoked_at", "-created_at")
