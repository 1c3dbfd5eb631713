"""A post's page and its actions. Every action is a POST form (CSRF-protected) that calls one
service and comes back to a page with a message saying what happened.

Who may do what: any member of the post's franchise (and headquarters) may draft, edit, schedule,
unschedule, publish, retry, duplicate and delete posts that are not on Google yet; deleting a
published post (which deletes it on Google, for customers) takes a franchise admin or headquarters.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from franchises.approval_policy import APPROVER_WORDS, user_may_approve
from franchises.selectors import user_is_franchise_admin
from gbp_scheduler.times import when_text

from ..brand import post_check_messages
from ..forms import MoveForm, NoteForm, ScheduleForm
from ..models import Post
from ..selectors import post_get_for_user, post_history, post_may_delete, takedown_request_of_post
from ..services import (
    PostActionError,
    post_delete,
    post_duplicate,
    post_google_notice_dismiss,
    post_move,
    post_publish_now,
    post_republish,
    post_retry,
    post_schedule,
    post_unschedule,
)
from ..services.approvals import SentForApproval, approval_gate
from ..services.publishing import franchise_waiting
from ._common import ACTION_ERRORS, back_to, publish_result_told, render_in_zone, scheduled_told


@login_required
@require_GET
def post_detail(request: HttpRequest, post_id) -> HttpResponse:
    post = post_get_for_user(user=request.user, post_id=post_id)
    return render_in_zone(request, post.franchise, "posts/post_detail.html", post_detail_context(request, post))


def post_detail_context(request: HttpRequest, post: Post, *, note_form: NoteForm | None = None) -> dict:
    """What the post's page shows: the post, its history with its team notes, and its forms."""
    # A time already past (a failed post's, say) is not offered again: the person picks one.
    planned = post.scheduled_at if post.scheduled_at and post.scheduled_at > timezone.now() else None
    with timezone.override(post.franchise.zone):
        schedule_form = ScheduleForm(initial={"scheduled_at": planned})
    return {
        "post": post,
        "events": post_history(post=post),
        "note_form": note_form or NoteForm(),
        "schedule_form": schedule_form,
        # Who must approve: the schedule button says "Send for approval"; approvers get the queue.
        "approval_needed": approval_gate(franchise=post.franchise, user=request.user),
        "may_approve": bool(post.approval_waiting_for)
        and user_may_approve(user=request.user, franchise=post.franchise, level=post.approval_waiting_for),
        "may_delete": post_may_delete(user=request.user, post=post),
        "is_admin": user_is_franchise_admin(user=request.user, franchise=post.franchise),
        "takedown": takedown_request_of_post(post=post) if post.status == Post.Status.PUBLISHED else None,
    }


@login_required
@require_POST
def post_schedule_view(request: HttpRequest, post_id) -> HttpResponse:
    post = post_get_for_user(user=request.user, post_id=post_id)
    with timezone.override(post.franchise.zone):
        form = ScheduleForm(request.POST)
        valid = form.is_valid()
    if not valid:
        messages.error(request, "Not scheduled: " + " ".join(form.errors.get("scheduled_at", ["pick a time."])))
        return _back(request, post)
    try:
        post_schedule(post=post, at=form.cleaned_data["scheduled_at"], user=request.user)
    except ACTION_ERRORS as exc:
        messages.error(request, f"Not scheduled: {exc}")
    else:
        scheduled_told(request, post)
    return _back(request, post)


@login_required
@require_POST
def post_unschedule_view(request: HttpRequest, post_id) -> HttpResponse:
    post = post_get_for_user(user=request.user, post_id=post_id)
    return _act(request, post, lambda: post_unschedule(post=post, user=request.user), "Unscheduled: back to draft.")


@login_required
@require_POST
def post_retry_view(request: HttpRequest, post_id) -> HttpResponse:
    post = post_get_for_user(user=request.user, post_id=post_id)
    sent = "Scheduled again: the next publish run sends it."
    return _act(request, post, lambda: post_retry(post=post, user=request.user), sent)


@login_required
@require_http_methods(["GET", "POST"])
def post_publish_now_view(request: HttpRequest, post_id) -> HttpResponse:
    """GET: what publishing now does (the post as Google will show it, where, instead of when, and
    who can take it down after), so it works without JavaScript; POST: publish it."""
    post = post_get_for_user(user=request.user, post_id=post_id)
    if request.method == "GET":
        waiting = franchise_waiting(post.franchise)
        context = {
            "post": post,
            "blocked": waiting[1] if waiting else "",
            "problems": post_check_messages(post),
            "approval_needed": APPROVER_WORDS.get(approval_gate(franchise=post.franchise, user=request.user), ""),
            "is_admin": user_is_franchise_admin(user=request.user, franchise=post.franchise),
        }
        return render_in_zone(request, post.franchise, "posts/post_confirm_publish_now.html", context)
    try:
        result = post_publish_now(post=post, user=request.user)
    except SentForApproval:
        scheduled_told(request, post)
        return _back(request, post)
    except ACTION_ERRORS as exc:
        messages.error(request, f"Not published: {exc}")
        return _back(request, post)
    publish_result_told(request, result)
    return _back(request, post)


@login_required
@require_http_methods(["GET", "POST"])
def post_republish_view(request: HttpRequest, post_id) -> HttpResponse:
    """A post Google rejected or removed, put on Google again as a new post: GET asks for
    confirmation (so it works without JavaScript), POST republishes."""
    post = post_get_for_user(user=request.user, post_id=post_id)
    if request.method == "GET":
        return render_in_zone(request, post.franchise, "posts/post_confirm_republish.html", {"post": post})
    try:
        result = post_republish(post=post, user=request.user)
    except ACTION_ERRORS as exc:
        messages.error(request, f"Not republished: {exc}")
        return redirect("posts:detail", post_id=post.pk)
    if result.outcome == "published":
        messages.success(request, "Republished: it is on Google again as a new post.")
    elif result.outcome in ("deferred", "skipped_locked", "skipped_reauth"):
        messages.warning(request, f"Scheduled to go out again; Google did not take it yet. {result.message}".strip())
    else:
        messages.error(request, f"Republishing failed: {result.message}")
    return redirect("posts:detail", post_id=post.pk)


@login_required
@require_POST
def post_dismiss_notice_view(request: HttpRequest, post_id) -> HttpResponse:
    post = post_get_for_user(user=request.user, post_id=post_id)
    return _act(
        request,
        post,
        lambda: post_google_notice_dismiss(post=post, user=request.user),
        "Notice dismissed: the post stays as it is.",
    )


@login_required
@require_POST
def post_duplicate_view(request: HttpRequest, post_id) -> HttpResponse:
    post = post_get_for_user(user=request.user, post_id=post_id)
    try:
        copy = post_duplicate(post=post, user=request.user)
    except ACTION_ERRORS as exc:
        messages.error(request, f"Not duplicated: {exc}")
        return _back(request, post)
    messages.success(request, "Duplicated: this is the new draft.")
    return redirect("posts:edit", post_id=copy.pk)


@login_required
@require_http_methods(["GET", "POST"])
def post_delete_view(request: HttpRequest, post_id) -> HttpResponse:
    """GET asks for confirmation (so it works without JavaScript); POST deletes."""
    post = post_get_for_user(user=request.user, post_id=post_id)
    if not post_may_delete(user=request.user, post=post):
        raise PermissionDenied("Only the franchise's admins can delete a post that is live on Google.")
    if request.method == "GET":
        return render_in_zone(request, post.franchise, "posts/post_confirm_delete.html", {"post": post})
    franchise_id = post.franchise_id
    on_google = post.status == Post.Status.PUBLISHED or post.google_create_sent_at is not None
    try:
        google_done = post_delete(post=post, user=request.user)
    except ACTION_ERRORS as exc:
        messages.error(request, f"Not deleted: {exc}")
        return redirect("posts:detail", post_id=post.pk)
    if not google_done:
        messages.warning(
            request, "Deleted here. Google could not be reached just now; the next publish run removes it there."
        )
    else:
        messages.success(request, "Deleted" + (", on Google too." if on_google else "."))
    return redirect("posts:franchise_list", franchise_id=franchise_id)


@login_required
@require_http_methods(["GET", "POST"])
def post_move_view(request: HttpRequest, post_id) -> HttpResponse:
    """Move a scheduled post to another day, same local time: the calendar's drag posts here
    (answered 204, or 409 with the reason, for its script); GET is the same as a page with a
    date field, for the keyboard and without JavaScript."""
    post = post_get_for_user(user=request.user, post_id=post_id)
    from_script = request.headers.get("X-Requested-With") == "fetch"
    if request.method == "GET":
        with timezone.override(post.franchise.zone):
            form = MoveForm(
                initial={"day": timezone.localtime(post.scheduled_at).date() if post.scheduled_at else None}
            )
        return render_in_zone(request, post.franchise, "posts/post_move.html", {"post": post, "form": form})
    form = MoveForm(request.POST)
    try:
        if not form.is_valid():
            raise PostActionError(" ".join(form.errors.get("day", ["Pick a day."])))
        moved = post_move(post=post, day=form.cleaned_data["day"], user=request.user)
    except ACTION_ERRORS as exc:
        if from_script:
            return HttpResponse(f"Not moved: {exc}", status=409, content_type="text/plain; charset=utf-8")
        messages.error(request, f"Not moved: {exc}")
        return back_to(request, fallback=reverse("posts:move", args=[post.pk]))
    messages.success(request, f"Moved to {when_text(moved.scheduled_at, moved.franchise)}.")
    if from_script:
        return HttpResponse(status=204)
    return back_to(
        request, fallback=reverse("posts:calendar", args=[post.franchise_id]) + f"?date={moved.scheduled_at.date()}"
    )


def _act(request: HttpRequest, post: Post, action, success: str) -> HttpResponse:
    try:
        action()
    except ACTION_ERRORS as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return _back(request, post)


def _back(request: HttpRequest, post: Post) -> HttpResponse:
    return back_to(request, fallback=reverse("posts:detail", args=[post.pk]))
