"""Create and edit a post, with a preview of how it will look on Google."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from franchises.selectors import franchise_get_for_user
from gbp_scheduler.http import body_limit, safe_next
from gbp_scheduler.throttle import allowance_take

from ..content import SUMMARY_MAX_LENGTH, summary_length
from ..forms import PostForm
from ..gbp_mapping import post_problems
from ..locked_fields import lock_note, post_locks
from ..models import Post
from ..selectors import post_get_for_user
from ..services import (
    PostActionError,
    PostChangedError,
    post_check_editable,
    post_create,
    post_publish_now,
    post_retry,
    post_schedule,
    post_update,
)
from ..status import approval_detail
from ._common import (
    ACTION_ERRORS,
    back_to,
    photo_context,
    photo_refused,
    publish_result_told,
    render_in_zone,
    scheduled_told,
    with_uploaded_photo,
)

INTENTS = {"draft", "schedule", "preview"}
# A failed post's editor: save the fix, then send it on the next publish run or now.
RETRY_INTENTS = {"retry", "publish_now"}


def _intent(request: HttpRequest, post: Post | None = None) -> str:
    """What the pressed button asked for. A scheduled post stays scheduled when saved, so it is
    held to Google's rules; a published one is changed on Google, so it is too."""
    asked = request.POST.get("intent", "draft")
    if asked in RETRY_INTENTS:
        return asked if post is not None and post.status == Post.Status.FAILED else "draft"
    asked = asked if asked in INTENTS else "draft"
    if asked == "preview" or post is None:
        return asked
    if post.status == Post.Status.PUBLISHED:
        return "published"
    if post.status == Post.Status.SCHEDULED:
        return "schedule"
    return asked


@login_required
@require_http_methods(["GET", "POST"])
def post_new(request: HttpRequest, franchise_id) -> HttpResponse:
    franchise = franchise_get_for_user(user=request.user, franchise_id=franchise_id)
    intent = _intent(request) if request.method == "POST" else "draft"
    data, photo_error = with_uploaded_photo(request, franchise=franchise)
    with timezone.override(franchise.zone):
        form = PostForm(data, franchise=franchise, intent=intent, initial={"scheduled_at": _asked_time(request)})
        valid = request.method == "POST" and form.is_valid() and not photo_refused(form, photo_error)
    if valid and intent != "preview":
        try:
            post = post_create(franchise=franchise, user=request.user, **form.post_fields())
        except ACTION_ERRORS as exc:
            form.add_error(None, str(exc))
        else:
            if intent == "schedule":
                return _schedule_after_save(request, post, form.cleaned_data["scheduled_at"], created=True)
            messages.success(request, "Draft saved.")
            return redirect("posts:detail", post_id=post.pk)
    context = {"form": form, "post": None, **_preview(form, franchise)}
    return render_in_zone(request, franchise, "posts/post_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def post_edit(request: HttpRequest, post_id) -> HttpResponse:
    post = post_get_for_user(user=request.user, post_id=post_id)
    franchise = post.franchise
    try:
        post_check_editable(post=post)
    except PostActionError as exc:
        # The publisher holds the post: an edit now could race Google's copy. Say so instead of a form.
        context = {"form": None, "post": post, "locked_message": str(exc)}
        return render_in_zone(request, franchise, "posts/post_form.html", context, status=409)
    intent = _intent(request, post) if request.method == "POST" else "draft"
    locks = post_locks(post)
    data, photo_error = with_uploaded_photo(request, franchise=franchise)
    with timezone.override(franchise.zone):
        form = PostForm(data, franchise=franchise, intent=intent, initial=PostForm.initial_for(post), locks=locks)
        valid = request.method == "POST" and form.is_valid() and not photo_refused(form, photo_error)
    conflict = None
    if valid and intent != "preview":
        try:
            post = post_update(
                post=post, user=request.user, version=form.cleaned_data.get("version"), **form.post_fields()
            )
        except PostChangedError as exc:
            # Keep what the person typed; show what is saved now, and save over it next time.
            conflict = exc.current
            form.add_error(None, str(exc))
            form.data = form.data.copy()
            form.data["version"] = conflict.version
        except ACTION_ERRORS as exc:
            form.add_error(None, str(exc))
        else:
            if intent in RETRY_INTENTS:
                return _retry_after_save(request, post, now=intent == "publish_now")
            at = form.cleaned_data.get("scheduled_at")
            if intent == "schedule" and (post.status != Post.Status.SCHEDULED or at != post.scheduled_at):
                return _schedule_after_save(request, post, at, created=False)
            if post.approval_waiting_for:
                messages.info(request, f"Changes saved. {approval_detail(post)}")
            elif post.google_problem:
                messages.success(request, "Changes saved here. Republish the post to put them on Google.")
            else:
                messages.success(request, "Changes saved." + (" Google has them too." if intent == "published" else ""))
            # Opened from a list (the drafts queue): back there; else the post's page.
            return back_to(request, fallback=reverse("posts:detail", args=[post.pk]))
    context = {
        "form": form,
        "post": post,
        "conflict": conflict,
        "lock_note": lock_note(locks) if locks else "",
        "next": _next(request),
        **_preview(form, franchise, post),
    }
    return render_in_zone(request, franchise, "posts/post_form.html", context, status=409 if conflict else 200)


def _asked_time(request: HttpRequest) -> dt.datetime | None:
    """The time a new post was asked for (`?at=2026-12-03T09:00`, local: a calendar day's "+"),
    when it is a sane time ahead; else None."""
    try:
        at = dt.datetime.fromisoformat(request.GET.get("at", ""))
    except ValueError:
        return None
    at = timezone.make_aware(at) if timezone.is_naive(at) else at  # in the franchise's zone (active)
    return at if timezone.now() < at < timezone.now() + dt.timedelta(days=3650) else None


def _next(request: HttpRequest) -> str:
    """The page the editor was opened from (a `next` of this site), to go back to after saving."""
    return safe_next(request, request.POST.get("next") or request.GET.get("next"))


def _schedule_after_save(request: HttpRequest, post: Post, at, *, created: bool) -> HttpResponse:
    try:
        post_schedule(post=post, at=at, user=request.user)
    except ACTION_ERRORS as exc:
        messages.error(request, f"{'Saved as a draft' if created else 'Saved'}, but not scheduled: {exc}")
    else:
        scheduled_told(request, post, done="Saved and scheduled.")
    return redirect("posts:detail", post_id=post.pk)


def _retry_after_save(request: HttpRequest, post: Post, *, now: bool) -> HttpResponse:
    """A failed post fixed and saved (a draft again): send it now, or on the next publish run."""
    try:
        if now:
            result = post_publish_now(post=post, user=request.user)
        else:
            post_retry(post=post, user=request.user, fixed=True)
    except ACTION_ERRORS as exc:
        messages.error(request, f"Saved as a draft, but not retried: {exc}")
    else:
        if now:
            publish_result_told(request, result)
        else:
            messages.success(request, "Saved. The next publish run sends it.")
    return redirect("posts:detail", post_id=post.pk)


@login_required
@require_POST
@body_limit()
def post_preview(request: HttpRequest, franchise_id) -> HttpResponse:
    """The preview card for the editor's current content (htmx swaps it in as the person types),
    up to POST_PREVIEW_PER_USER_PER_MINUTE a minute for one user: a client sending on every key
    press, or a script, gets a short note instead of a render."""
    franchise = franchise_get_for_user(user=request.user, franchise_id=franchise_id)
    limit = settings.POST_PREVIEW_PER_USER_PER_MINUTE
    if not allowance_take(key=f"posts:preview:{request.user.pk}", limit=limit, period_seconds=60):
        return render(request, "posts/_preview_paused.html", {"limit": limit}, status=429)
    with timezone.override(franchise.zone):
        form = PostForm(request.POST, franchise=franchise, intent="preview")
        form.is_valid()
    return render_in_zone(request, franchise, "posts/_preview.html", _preview(form, franchise))


def _preview(form: PostForm, franchise, post: Post | None = None) -> dict:
    """What the preview card shows: the form's content once typed, else the saved post, and what
    the photo upload needs to know. A text over Google's limit is shown up to the limit (the
    problems say by how much it is over): the preview never sends back more than a post can hold."""
    shown = form.unsaved_post() if form.is_bound else post or Post(franchise=franchise, summary="")
    # Google's checks; the brand's are the check panel's beside it (static/js/brand-check.js).
    problems = post_problems(shown) if (shown.summary or form.is_bound) else []
    if shown.summary and summary_length(shown.summary) > SUMMARY_MAX_LENGTH:
        shown.summary = shown.summary.replace("\r\n", "\n")[:SUMMARY_MAX_LENGTH] + "…"
    upload_url = reverse("posts:photo_upload", args=[franchise.pk])
    return {"preview": shown, "preview_problems": problems, **photo_context(upload_url=upload_url)}
