"""The approvers' queue (posts waiting for approval: filters, approve or reject many, undo), the
signed review link a post's approver can make, and that link's page for a reviewer without a login.
Every decision goes through posts/services/approvals.py."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from franchises.approval_policy import APPROVER_WORDS
from franchises.selectors import franchises_for_user
from gbp_scheduler.http import id_parameters, is_uuid

from ..models import REJECTION_REASON_MAX_LENGTH
from ..selectors import post_get_for_user
from ..services.approvals import (
    UNDO_WINDOW,
    LinkRefused,
    PostActionError,
    approval_decisions_undo,
    approval_decisions_undoable,
    approval_link_create,
    approval_link_decide,
    approval_link_open,
    approvals_waiting_for_user,
    posts_approval_reject,
    posts_approve,
)
from ..status import approval_detail
from ._common import back_to, refusals_told

PAGE_SIZE = 25


@login_required
@require_GET
@id_parameters("franchise")
def approvals_queue(request: HttpRequest) -> HttpResponse:
    """The posts waiting for the user's approval, filtered by franchise and by who must act."""
    waiting = approvals_waiting_for_user(user=request.user)
    franchise_id = request.GET.get("franchise", "")
    level = request.GET.get("waiting_for", "")
    franchises = franchises_for_user(user=request.user)
    if franchise_id:
        if not franchises.filter(pk=franchise_id).exists():
            raise Http404("No such franchise.")
        waiting = waiting.filter(franchise_id=franchise_id)
    if level in APPROVER_WORDS:
        waiting = waiting.filter(approval_waiting_for=level)
    page = Paginator(waiting, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"post": post, "who": approval_detail(post)} for post in page.object_list]
    context = {
        "rows": rows,
        "page": page,
        "query": urlencode({k: v for k, v in {"franchise": franchise_id, "waiting_for": level}.items() if v}),
        "franchises": franchises.order_by("name").values_list("pk", "name"),
        "franchise_id": franchise_id,
        "levels": list(APPROVER_WORDS.items()),
        "level": level,
        "undoable": approval_decisions_undoable(user=request.user),
        "undo_minutes": int(UNDO_WINDOW.total_seconds() // 60),
        "reason_max": REJECTION_REASON_MAX_LENGTH,
    }
    return render(request, "posts/approvals.html", context)


@login_required
@require_POST
def approvals_many(request: HttpRequest) -> HttpResponse:
    """Approve or reject (with the reason) the ticked posts, among those the user may approve."""
    action = request.POST.get("action", "")
    post_ids = [value for value in request.POST.getlist("post") if is_uuid(value)]
    back = back_to(request, fallback=reverse("posts:approvals"))
    if action not in {"approve", "reject"} or not post_ids:
        messages.error(request, "Tick at least one post, then Approve or Reject.")
        return back
    try:
        if action == "approve":
            outcome = posts_approve(user=request.user, post_ids=post_ids)
        else:
            reason = request.POST.get("reason", "")
            outcome = posts_approval_reject(user=request.user, post_ids=post_ids, reason=reason)
    except PostActionError as exc:
        messages.error(request, f"Nothing done: {exc}")
        return back
    if outcome.done:
        done = "approved: each goes out at its time" if action == "approve" else "rejected: the authors are told why"
        messages.success(request, f"{_posts(len(outcome.done))} {done}. Undo it below if that was a mistake.")
    refusals_told(request, outcome.refused, noun="post", verb="approved" if action == "approve" else "rejected")
    return back


@login_required
@require_POST
def approvals_undo(request: HttpRequest) -> HttpResponse:
    batch = request.POST.get("batch", "")
    try:
        if not is_uuid(batch):
            raise PostActionError("Nothing to undo.")
        outcome = approval_decisions_undo(user=request.user, batch=uuid.UUID(batch))
    except PostActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Undone: {_posts(len(outcome.done))} waiting for approval again.")
        for why in set(outcome.refused.values()):
            messages.error(request, why)
    return back_to(request, fallback=reverse("posts:approvals"))


@login_required
@require_POST
def approval_link_new(request: HttpRequest, post_id) -> HttpResponse:
    """Make a review link for one post waiting for approval (only one who may approve it)."""
    post = post_get_for_user(user=request.user, post_id=post_id)
    try:
        token = approval_link_create(post=post, user=request.user, reviewer=request.POST.get("reviewer", ""))
    except PostActionError as exc:
        messages.error(request, f"No link made: {exc}")
    else:
        url = request.build_absolute_uri(reverse("posts:approval_link", args=[token]))
        messages.success(request, f"Review link (works once, for 3 days): {url}")
    return back_to(request, fallback=reverse("posts:detail", args=[post.pk]))


@never_cache
@require_http_methods(["GET", "POST"])
def approval_link_page(request: HttpRequest, token: str) -> HttpResponse:
    """A reviewer without a login: the post, and Approve or Reject (with why), once."""
    done = ""
    error = ""
    if request.method == "POST":
        approve = request.POST.get("action") == "approve"
        try:
            approval_link_decide(token=token, approve=approve, reason=request.POST.get("reason", ""))
        except LinkRefused as exc:
            return render(request, "posts/approval_link.html", {"refused": str(exc)}, status=410)
        except PostActionError as exc:
            error = str(exc)
        else:
            done = "Approved: it goes out at its time." if approve else "Rejected: the author is told why."
            return render(request, "posts/approval_link.html", {"done": done})
    try:
        link = approval_link_open(token=token)
    except LinkRefused as exc:
        return render(request, "posts/approval_link.html", {"refused": str(exc)}, status=410)
    context = {"link": link, "post": link.post, "error": error, "reason_max": REJECTION_REASON_MAX_LENGTH}
    return render(request, "posts/approval_link.html", context)


def _posts(count: int) -> str:
    return f"{count} post{'s' if count != 1 else ''}"
