"""Removing a post's row while keeping its copy on Google accounted for: the one path every
delete takes (a person's, "cancel all", a cancellation finished by the publish job)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from franchises.google import business_profile
from gbp_scheduler import clock

from ..models import GoogleDeletion, Post
from .google_copy import copy_key, marker_body, marker_location
from .locks import lock_free
from .photos import post_photo_release


def post_row_remove(*, post_id, only: Q | None = None) -> tuple[Post, GoogleDeletion | None] | None:
    """Delete the post's row where no live publish lock is held (and `only` still holds), handing
    its copy on Google (by name, or a create that may have landed) to a pending deletion in the
    same transaction, and release a stored photo nothing else uses. The row as it was and the
    deletion, or None when the post is held, gone or no longer `only`."""
    with transaction.atomic():
        rows = Post.objects.select_for_update().select_related("franchise").filter(lock_free(clock.now()), pk=post_id)
        row = rows.filter(only or Q()).first()
        if row is None:
            return None
        deletion = google_deletion_of(row) if row.google_post_name or row.google_create_sent_at else None
        row.delete()
    post_photo_release(url=row.media_url)  # the stored photo goes with its last post
    return row, deletion


def google_deletion_of(row: Post) -> GoogleDeletion:
    """The pending deletion of the row's copy on Google (in the caller's transaction): by its name,
    where the name says; or, when only a create that may have landed is known, by what was sent,
    where it was sent (taking the create's key over)."""
    if row.google_post_name:
        return GoogleDeletion.objects.create(
            franchise_id=row.franchise_id,
            post_id=row.pk,
            google_post_name=row.google_post_name,
            location=business_profile.location_of(row.google_post_name),
        )
    location, body = marker_location(row), marker_body(row)
    return GoogleDeletion.objects.create(
        franchise_id=row.franchise_id,
        post_id=row.pk,
        location=location,
        sent_body=body,
        sent_at=row.google_create_sent_at,
        sent_key=row.google_sent_key or copy_key(location, body),
    )
