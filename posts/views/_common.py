"""What every posts view shares: the errors an action can end with, and what an action tells."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from franchises.google import business_profile
from franchises.zones import render_in_zone
from gbp_scheduler.http import safe_next

from ..gbp_mapping import PostNotPublishable
from ..services import PostActionError, Result

__all__ = ["ACTION_ERRORS", "back_to", "publish_result_told", "render_in_zone"]

# An action refused or failed for a reason the person can act on: shown as a message, not a 500.
ACTION_ERRORS = (PostActionError, PostNotPublishable, *business_profile.GOOGLE_ERRORS)


def back_to(request: HttpRequest, *, fallback: str) -> HttpResponse:
    """Back to the page the action was taken on (a form's `next`, when it is a page of this
    site), else to `fallback`."""
    return redirect(safe_next(request, request.POST.get("next")) or fallback)


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
