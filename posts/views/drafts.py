"""Rejecting an AI draft (from the drafts queue, which lives with the generation app)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from ..models import REJECTION_REASON_MAX_LENGTH
from ..selectors import post_get_for_user
from ..services import post_reject
from ._common import ACTION_ERRORS, back_to


@login_required
@require_POST
def draft_reject(request: HttpRequest, post_id) -> HttpResponse:
    post = post_get_for_user(user=request.user, post_id=post_id)
    try:
        # The optional reason (the drafts queue's small field) is kept and given to the next drafts.
        post_reject(post=post, user=request.user, reason=request.POST.get("reason", "")[:REJECTION_REASON_MAX_LENGTH])
    except ACTION_ERRORS as exc:
        messages.error(request, f"Not rejected: {exc}")
    else:
        messages.success(request, "Draft rejected and deleted.")
    return back_to(request, fallback=reverse("posts:franchise_list", args=[post.franchise_id]))
