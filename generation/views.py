"""The AI drafts review queue: every AI draft waiting for a person (approve, edit or reject each,
through the posts pages' actions), and the generations that failed with their reasons. And the
editor's AI help: the editor (posts) posts its text here and shows the suggestion that comes back."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from franchises.models import Franchise
from franchises.picking import franchise_choices, franchise_chosen, franchise_filter_widget
from franchises.selectors import franchise_get_for_user
from gbp_scheduler.http import body_limit, id_parameters, is_uuid
from gbp_scheduler.paging import CappedPaginator
from posts.forms import ScheduleForm
from posts.models import REJECTION_REASON_MAX_LENGTH, Post
from posts.selectors import post_get_for_user
from posts.services import PostActionError
from posts.views._common import back_to, refusals_told

from .selectors import UNDO_WINDOW, draft_rejections_undoable, drafts_queue_for_user, generation_failures_for_user
from .services.assist import AssistRefused, post_text_suggest
from .services.review import drafts_approve, drafts_reject, drafts_reject_undo

QUEUE_PAGE_SIZE = 25
BULK_ACTIONS = {"approve", "reject"}


@login_required
@require_GET
@id_parameters("franchise")
def drafts_queue(request: HttpRequest) -> HttpResponse:
    """The drafts waiting for review, every franchise's or one's (`?franchise=`), QUEUE_PAGE_SIZE a
    page (`?page=`), each with its own approve, edit and reject, and boxes to approve or reject
    many in one click."""
    now = timezone.now()
    chosen = request.GET.get("franchise", "")
    franchise = franchise_chosen(user=request.user, franchise_id=chosen)
    franchise_select = franchise_filter_widget(
        franchise_choices(user=request.user), chosen=franchise, attrs={"id": "drafts-franchise"}
    )
    rows = []
    drafts = drafts_queue_for_user(user=request.user, franchise=franchise)
    page = CappedPaginator(drafts, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    for post in page.object_list:
        # Approve at the planned time when it is still ahead; otherwise the person picks one.
        planned = post.scheduled_at if post.scheduled_at and post.scheduled_at > now else None
        with timezone.override(post.franchise.zone):
            form = ScheduleForm(initial={"scheduled_at": planned}, auto_id=f"id_{post.pk}_%s")
            rows.append({"post": post, "form": form, "form_html": form["scheduled_at"].as_widget(), "planned": planned})
    context = {
        "rows": rows,
        "page": page,
        "query": urlencode({"franchise": franchise.pk} if franchise else {}),
        "franchise_select": franchise_select.render("franchise", chosen),
        "franchise": franchise,
        "undoable": draft_rejections_undoable(user=request.user, now=now),
        "undo_minutes": int(UNDO_WINDOW.total_seconds() // 60),
        "failures": generation_failures_for_user(user=request.user),
        "reason_max": REJECTION_REASON_MAX_LENGTH,
    }
    return render(request, "generation/drafts.html", context)


@login_required
@require_POST
def drafts_bulk(request: HttpRequest) -> HttpResponse:
    """Approve (each at its planned time) or reject (with the optional reason) the picked drafts,
    in one request; back to the queue as it was filtered."""
    action = request.POST.get("action", "")
    post_ids = [value for value in request.POST.getlist("post") if is_uuid(value)]
    if action not in BULK_ACTIONS or not post_ids:
        messages.error(request, "Pick at least one draft, then Approve or Reject.")
        return back_to(request, fallback=reverse("generation:drafts"))
    if action == "approve":
        outcome = drafts_approve(user=request.user, post_ids=post_ids)
        if outcome.done:
            messages.success(request, f"{_drafts(outcome.done)} approved, each scheduled at its planned time.")
    else:
        reason = request.POST.get("reason", "")[:REJECTION_REASON_MAX_LENGTH]
        outcome = drafts_reject(user=request.user, post_ids=post_ids, reason=reason)
        if outcome.done:
            told = " Claude is told why for the next drafts." if reason.strip() else ""
            messages.success(request, f"{_drafts(outcome.done)} rejected.{told} Undo it below if that was a mistake.")
    refusals_told(request, outcome.refused, noun="draft", verb="approved" if action == "approve" else "rejected")
    return back_to(request, fallback=reverse("generation:drafts"))


@login_required
@require_POST
def drafts_reject_undo_view(request: HttpRequest) -> HttpResponse:
    """Undo one of the user's own rejection clicks (the batch in the form), within the window."""
    batch = request.POST.get("batch", "")
    try:
        if not is_uuid(batch):
            raise PostActionError("Nothing to undo.")
        outcome = drafts_reject_undo(user=request.user, batch=uuid.UUID(batch))
    except PostActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Rejection undone: {_drafts(outcome.done)} back in the queue.")
    return back_to(request, fallback=reverse("generation:drafts"))


def _drafts(count: int) -> str:
    return f"{count} draft{'s' if count != 1 else ''}"


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
