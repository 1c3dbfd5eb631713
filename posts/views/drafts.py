"""The AI drafts review queue: edit, approve (schedule) or reject drafts; see failed generations."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from ..forms import ScheduleForm
from ..selectors import drafts_for_review, generation_failures_for_user, post_get_for_user
from ..services import post_reject
from ._common import ACTION_ERRORS, zone_of

QUEUE_LIMIT = 100


@login_required
@require_GET
def drafts_queue(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = []
    for post in drafts_for_review(user=request.user)[:QUEUE_LIMIT]:
        # Approve at the planned time when it is still ahead; otherwise the person picks one.
        planned = post.scheduled_at if post.scheduled_at and post.scheduled_at > now else None
        with timezone.override(zone_of(post.franchise)):
            form = ScheduleForm(initial={"scheduled_at": planned}, auto_id=f"id_{post.pk}_%s")
            rows.append({"post": post, "form": form, "form_html": form["scheduled_at"].as_widget()})
    context = {"rows": rows, "failures": generation_failures_for_user(user=request.user)}
    return render(request, "posts/drafts.html", context)


@login_required
@require_POST
def draft_reject(request: HttpRequest, post_id) -> HttpResponse:
    post = post_get_for_user(user=request.user, post_id=post_id)
    try:
        post_reject(post=post, user=request.user)
    except ACTION_ERRORS as exc:
        messages.error(request, f"Not rejected: {exc}")
    else:
        messages.success(request, "Draft rejected and deleted.")
    return redirect("posts:drafts")
