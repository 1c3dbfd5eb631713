"""The AI drafts review queue: every AI draft waiting for a person (approve, edit or reject each,
through the posts pages' actions), and the generations that failed with their reasons."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from posts.forms import ScheduleForm
from posts.selectors import drafts_for_review

from .selectors import generation_failures_for_user

QUEUE_LIMIT = 100


@login_required
@require_GET
def drafts_queue(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = []
    for post in drafts_for_review(user=request.user)[:QUEUE_LIMIT]:
        # Approve at the planned time when it is still ahead; otherwise the person picks one.
        planned = post.scheduled_at if post.scheduled_at and post.scheduled_at > now else None
        with timezone.override(post.franchise.zone):
            form = ScheduleForm(initial={"scheduled_at": planned}, auto_id=f"id_{post.pk}_%s")
            rows.append({"post": post, "form": form, "form_html": form["scheduled_at"].as_widget()})
    context = {"rows": rows, "failures": generation_failures_for_user(user=request.user)}
    return render(request, "generation/drafts.html", context)
