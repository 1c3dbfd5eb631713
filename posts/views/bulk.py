"""Many posts at once, from the posts list: schedule, unschedule, move by an offset, delete.
The list's form posts the ticked ids here; a page asks to confirm, stating the count (so it works
without JavaScript); the confirmed form does it through the editing services, post by post."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from gbp_scheduler.http import is_uuid, safe_next

from ..forms import ManyPostsForm
from ..selectors import post_may_delete, posts_pick_for_user
from ..services import posts_act_on_many
from ._common import back_to

DONE = {"schedule": "scheduled", "unschedule": "unscheduled", "reschedule": "moved", "delete": "deleted"}


@login_required
@require_POST
def posts_many(request: HttpRequest) -> HttpResponse:
    back = reverse("posts:list")
    ids = [value for value in request.POST.getlist("post") if is_uuid(value)]
    form = ManyPostsForm(request.POST)
    if not ids:
        messages.error(request, "Tick at least one post, then choose what to do.")
        return back_to(request, fallback=back)
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return back_to(request, fallback=back)
    posts = posts_pick_for_user(user=request.user, post_ids=ids)
    if not posts:
        messages.error(request, "None of the ticked posts is there any more.")
        return back_to(request, fallback=back)
    if request.POST.get("confirm") != "yes":
        context = {"form": form, "posts": posts, "question": form.describe(len(posts)), "next": _next(request)}
        return render(request, "posts/posts_confirm_many.html", context)
    action = form.cleaned_data["action"]
    done, refused = posts_act_on_many(
        posts=posts,
        action=action,
        user=request.user,
        offset=form.offset(),
        may_delete=lambda post: post_may_delete(user=request.user, post=post),
    )
    if done:
        messages.success(request, f"{done} post{'s' if done != 1 else ''} {DONE[action]}.")
    for reason in sorted(set(refused.values())):
        count = sum(1 for value in refused.values() if value == reason)
        messages.error(request, f"{count} post{'s' if count != 1 else ''} not {DONE[action]}: {reason}")
    return back_to(request, fallback=back)


def _next(request: HttpRequest) -> str:
    return safe_next(request, request.POST.get("next")) or reverse("posts:list")
