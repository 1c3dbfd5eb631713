"""Taking a live post down: a member asks (only admins may delete a post that is on Google), the
request waits in the admins' requests, and an admin takes the post down or declines, saying why.

The admins' views check the role after the post's tenant (404 for another franchise's post comes
before the 403 for its staff), so they carry the mark themselves."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from franchises.access import Access, marked
from franchises.selectors import user_is_franchise_admin

from ..models import Post, TakedownRequest
from ..selectors import post_get_for_user, takedown_requests_waiting
from ..services.takedowns import takedown_ask, takedown_carry_out, takedown_decline
from ._common import ACTION_ERRORS, render_in_zone

PAGE_SIZE = 50
ADMINS_ONLY = "Only the franchise's admins can take a live post down: customers stop seeing it at once."


@login_required
@require_POST
def post_takedown_ask(request: HttpRequest, post_id) -> HttpResponse:
    post = post_get_for_user(user=request.user, post_id=post_id)
    try:
        takedown_ask(post=post, user=request.user, reason=request.POST.get("reason", ""))
    except ACTION_ERRORS as exc:
        messages.error(request, f"Not asked: {exc}")
    else:
        messages.success(
            request, f"Asked: the admins of {post.franchise.name} see it in their requests; their answer shows here."
        )
    return redirect("posts:detail", post_id=post.pk)


@login_required
@require_GET
def takedown_list(request: HttpRequest) -> HttpResponse:
    """The requests waiting for the user as an admin (every franchise's for headquarters)."""
    page = Paginator(takedown_requests_waiting(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "posts/takedowns.html", {"page": page})


def _waiting_for_admin(request: HttpRequest, post_id) -> tuple[Post, TakedownRequest | None]:
    post = post_get_for_user(user=request.user, post_id=post_id)
    if not user_is_franchise_admin(user=request.user, franchise=post.franchise):
        raise PermissionDenied(ADMINS_ONLY + " Ask one of them from the post's page.")
    waiting = TakedownRequest.objects.filter(post=post, status=TakedownRequest.Status.OPEN).first()
    return post, waiting


@marked(Access.FRANCHISE_ADMIN)
@login_required
@require_http_methods(["GET", "POST"])
def post_take_down(request: HttpRequest, post_id) -> HttpResponse:
    """GET: what taking it down does, with the request's reason. POST: take it down (post_delete)."""
    post, waiting = _waiting_for_admin(request, post_id)
    if waiting is None:
        messages.info(request, "No request to take this post down is waiting.")
        return redirect("posts:detail", post_id=post.pk)
    if request.method == "GET":
        return render_in_zone(request, post.franchise, "posts/takedown_confirm.html", {"post": post, "ask": waiting})
    try:
        google_done = takedown_carry_out(request=waiting, user=request.user)
    except ACTION_ERRORS as exc:
        messages.error(request, f"Not taken down: {exc}")
        return redirect("posts:detail", post_id=post.pk)
    if google_done:
        messages.success(request, "Taken down: deleted here and on Google.")
    else:
        messages.warning(
            request, "Taken down here. Google could not be reached just now; the next publish run removes it there."
        )
    return redirect("posts:takedowns")


@marked(Access.FRANCHISE_ADMIN)
@login_required
@require_POST
def post_takedown_decline(request: HttpRequest, post_id) -> HttpResponse:
    post, waiting = _waiting_for_admin(request, post_id)
    if waiting is None:
        messages.info(request, "No request to take this post down is waiting.")
        return redirect("posts:detail", post_id=post.pk)
    try:
        takedown_decline(request=waiting, user=request.user, answer=request.POST.get("answer", ""))
    except ACTION_ERRORS as exc:
        messages.error(request, f"Not declined: {exc}")
    else:
        messages.success(request, "Declined: the post stays on Google, and your answer shows on its page.")
    return redirect("posts:takedowns")
