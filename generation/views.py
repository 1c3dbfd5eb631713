"""The AI drafts review queue: every AI draft waiting for a person (approve, edit or reject each,
through the posts pages' actions), and the generations that failed with their reasons. And the
editor's AI help: the editor (posts) posts its text here and shows the suggestion that comes back."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from franchises.models import Franchise
from franchises.selectors import franchise_get_for_user
from gbp_scheduler.http import body_limit
from posts.forms import ScheduleForm
from posts.models import Post
from posts.selectors import drafts_for_review, post_get_for_user

from .selectors import generation_failures_for_user
from .services.assist import AssistRefused, post_text_suggest

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


@never_cache
@login_required
@require_POST
@body_limit()
def post_assist(request: HttpRequest, post_id) -> HttpResponse:
    """A suggestion for the text of one of the user's posts (404 for another franchise's), as long
    as it is not published: a live post is changed through its own edit, on Google too."""
    post = post_get_for_user(user=request.user, post_id=post_id)
    if post.status == Post.Status.PUBLISHED:
        error = "This post is live on Google: AI help is for drafts and posts not yet published."
        return _suggestion_answer(request, error=error, status=409)
    return _assist(request, franchise=post.franchise)


@never_cache
@login_required
@require_POST
@body_limit()
def franchise_assist(request: HttpRequest, franchise_id) -> HttpResponse:
    """A suggestion for the text of a new post of one of the user's franchises."""
    return _assist(request, franchise=franchise_get_for_user(user=request.user, franchise_id=franchise_id))


def _assist(request: HttpRequest, *, franchise: Franchise) -> HttpResponse:
    try:
        suggestion = post_text_suggest(
            franchise=franchise,
            action=request.POST.get("ai_action", ""),
            text=request.POST.get("summary", ""),
            user=request.user,
        )
    except AssistRefused as exc:
        return _suggestion_answer(request, error=str(exc), status=exc.status)
    return _suggestion_answer(request, suggestion=suggestion)


def _suggestion_answer(request: HttpRequest, *, suggestion=None, error: str = "", status: int = 200) -> HttpResponse:
    context = {"suggestion": suggestion, "error": error}
    return render(request, "generation/_assist_suggestion.html", context, status=status)
