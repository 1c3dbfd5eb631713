"""What every posts view shares: the errors an action can end with, and what an action tells."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect

from franchises.approval_policy import APPROVER_WORDS
from franchises.google import business_profile
from franchises.models import Franchise
from franchises.zones import render_in_zone
from gbp_scheduler.http import safe_next

from ..gbp_mapping import PostNotPublishable
from ..services import PhotoRefused, PostActionError, Result, post_photo_store
from ..services.photos import upload_max_bytes

__all__ = ["ACTION_ERRORS", "back_to", "publish_result_told", "refusals_told", "render_in_zone", "scheduled_told"]

# An action refused or failed for a reason the person can act on: shown as a message, not a 500.
ACTION_ERRORS = (PostActionError, PostNotPublishable, *business_profile.GOOGLE_ERRORS)


def back_to(request: HttpRequest, *, fallback: str) -> HttpResponse:
    """Back to the page the action was taken on (a form's `next`, when it is a page of this
    site), else to `fallback`."""
    return redirect(safe_next(request, request.POST.get("next")) or fallback)


def refusals_told(request: HttpRequest, refused: dict, *, noun: str, verb: str) -> None:
    """One error message per reason the decision refused some of the picked items, with how many:
    "2 drafts not approved: ..."."""
    reasons = [str(reason) for reason in refused.values()]
    for reason in sorted(set(reasons)):
        count = reasons.count(reason)
        messages.error(request, f"{count} {noun}{'s' if count != 1 else ''} not {verb}: {reason}")


def scheduled_told(request: HttpRequest, post, *, done: str = "Approved and scheduled.") -> None:
    """What putting a post on the schedule ended with: scheduled, or waiting for an approver."""
    post.refresh_from_db(fields=["status", "approval_waiting_for"])
    if post.approval_waiting_for:
        who = APPROVER_WORDS.get(post.approval_waiting_for, post.approval_waiting_for)
        messages.info(request, f"Sent for approval: it goes out once {who} approves it.")
    else:
        messages.success(request, done)


def publish_result_told(request: HttpRequest, result: Result) -> None:
    """What a publish attempt made in this request (publish now, retry now) ended with, as a message."""
    if result.outcome == "published":
        messages.success(request, "Published on Google.")
    elif result.outcome == "deferred":
        messages.warning(request, f"Google did not take it yet; it will be retried automatically. {result.message}")
    elif result.outcome == "skipped_locked":
        messages.info(request, "Another run is publishing this post right now.")
    else:
        messages.error(request, f"Publishing failed: {result.message}")


def photo_context(*, upload_url: str) -> dict:
    """What an editor's photo field needs: whether uploads are on, where they go, and the size limit."""
    return {
        "photo_uploads": settings.PHOTO_UPLOADS_ENABLED,
        "photo_upload_url": upload_url,
        "photo_max_bytes": upload_max_bytes(),
    }


def with_uploaded_photo(request: HttpRequest, *, franchise: Franchise | None) -> tuple[QueryDict | None, str]:
    """The form's data, with a photo sent along with the form (an editor without JavaScript; the
    drop zone uploads on its own) stored and put in as the photo URL; and why a photo was refused
    ("" when none was, or none was sent). `franchise` None: headquarters' own (an announcement's)."""
    if request.method != "POST":
        return None, ""
    upload = request.FILES.get("photo")
    if upload is None:
        return request.POST or None, ""
    try:
        photo = post_photo_store(franchise=franchise, upload=upload, user=request.user)
    except PhotoRefused as exc:
        return request.POST or None, str(exc)
    data = request.POST.copy()
    data["media_url"] = photo.url
    return data, ""


def photo_refused(form, error: str) -> bool:
    if error:
        form.add_error("media_url", f"Photo not uploaded: {error}")
    return bool(error)
