"""The reviews pages: the inbox, a review with its reply, and the actions on replies."""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from franchises.selectors import franchises_for_user
from gbp_scheduler import clock
from gbp_scheduler.http import safe_next

from .selectors import (
    AGES,
    ANSWERED,
    COST_DAYS,
    InboxFilters,
    reply_draft_costs,
    review_figures,
    review_get_for_user,
    reviews_for_user,
    reviews_inbox,
)
from .services.drafting import review_reply_draft
from .services.replies import (
    ReplyError,
    review_draft_save,
    review_drafts_approve,
    review_reply_delete,
    review_reply_set,
)

PAGE_SIZE = 50


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    filters = InboxFilters.from_query(request.GET)
    page = Paginator(reviews_inbox(user=request.user, filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    franchises = franchises_for_user(user=request.user).order_by("name").only("pk", "name")
    context = {
        "page": page,
        "rows": page.object_list,
        "filters": filters,
        "franchises": franchises,
        "ages": AGES,
        "answered_choices": ANSWERED,
        "figures": review_figures(franchises=franchises),
        "costs": reply_draft_costs(franchises=franchises, since=clock.now() - dt.timedelta(days=COST_DAYS)),
        "cost_days": COST_DAYS,
    }
    return render(request, "reviews/inbox.html", context)


@login_required
@require_GET
def detail(request: HttpRequest, review_id) -> HttpResponse:
    review = review_get_for_user(user=request.user, review_id=review_id)
    return render(request, "reviews/detail.html", _detail_context(request, review))


def _detail_context(request: HttpRequest, review, **extra) -> dict:
    """The review with its location's context (figures, other recent reviews) and history."""
    location = franchises_for_user(user=request.user).filter(pk=review.franchise_id)
    return {
        "review": review,
        "franchise": review.franchise,
        "events": review.events.select_related("user"),
        "location": review_figures(franchises=location),
        "others": reviews_for_user(user=request.user).filter(franchise=review.franchise).exclude(pk=review.pk)[:5],
        "reply_value": review.draft_text or review.reply_text,
        **extra,
    }


@login_required
@require_POST
def reply(request: HttpRequest, review_id) -> HttpResponse:
    """Send the typed reply (action "send"), or keep it as a draft to approve (action "draft")."""
    review = review_get_for_user(user=request.user, review_id=review_id)
    text = request.POST.get("text", "")
    try:
        if request.POST.get("action") == "draft":
            review_draft_save(review=review, text=text, user=request.user)
            messages.success(request, "Draft saved: approve it to send it to Google.")
        else:
            done = review_reply_set(review=review, text=text, user=request.user)
            _tell_send(request, done)
    except ReplyError as exc:
        # What was typed is shown again with the reason, not lost.
        context = _detail_context(request, review, reply_value=text, reply_error=str(exc))
        return render(request, "reviews/detail.html", context, status=400)
    return redirect("reviews:detail", review.pk)


@login_required
@require_POST
def draft(request: HttpRequest, review_id) -> HttpResponse:
    """Ask Claude for a draft of the reply (one call); it waits on the page for approval."""
    review = review_get_for_user(user=request.user, review_id=review_id)
    try:
        review_reply_draft(review=review, user=request.user)
    except ReplyError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Claude drafted a reply: check it, change it if needed, then approve it.")
    return redirect("reviews:detail", review.pk)


@login_required
@require_POST
def delete_reply(request: HttpRequest, review_id) -> HttpResponse:
    review = review_get_for_user(user=request.user, review_id=review_id)
    try:
        done = review_reply_delete(review=review, user=request.user)
    except ReplyError as exc:
        messages.error(request, str(exc))
    else:
        if done.reply_pending or done.reply_error:
            messages.warning(
                request, f"Google has not taken the reply down yet: {done.reply_error or 'it will be soon.'}"
            )
        else:
            messages.success(request, "The reply was deleted on Google.")
    return redirect("reviews:detail", review.pk)


@login_required
@require_POST
def approve(request: HttpRequest) -> HttpResponse:
    """Approve the drafts of the reviews ticked in the inbox: each is sent as its reply."""
    chosen = reviews_for_user(user=request.user).filter(pk__in=_ids(request.POST.getlist("review")))
    approved, problems = review_drafts_approve(reviews=list(chosen.select_related("franchise")), user=request.user)
    if approved:
        messages.success(request, f"{approved} repl{'y' if approved == 1 else 'ies'} approved and sent to Google.")
    for problem in problems:
        messages.error(request, problem)
    if not approved and not problems:
        messages.error(request, "Tick the reviews whose drafts you approve first.")
    return redirect(safe_next(request, request.POST.get("next")) or reverse("reviews:inbox"))


def _ids(values: list[str]) -> list[str]:
    ids = []
    for value in values[:500]:
        try:
            ids.append(str(uuid.UUID(value)))
        except ValueError:
            continue
    return ids


def _tell_send(request: HttpRequest, review) -> None:
    if review.reply_pending:
        messages.warning(
            request, f"Saved; Google has not taken the reply yet: {review.reply_error or 'it will be sent soon.'}"
        )
    elif review.reply_error:
        messages.error(request, f"Google refused the reply: {review.reply_error}")
    else:
        messages.success(request, "Reply sent to Google.")
