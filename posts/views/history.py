"""A franchise's history (its posts', its Google connection's and its members'), for its admins
(and headquarters); and a post's team notes, which its history shows."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from franchises.access import franchise_admin_required
from franchises.models import Franchise

from ..forms import NoteForm
from ..selectors import FranchiseHistory, post_get_for_user
from ..services.notes import post_note_add
from ._common import ACTION_ERRORS, render_in_zone
from .actions import post_detail_context

PAGE_SIZE = 50


@login_required
@require_GET
@franchise_admin_required("read its history")
def franchise_history(request: HttpRequest, franchise: Franchise) -> HttpResponse:
    page = Paginator(FranchiseHistory(franchise), PAGE_SIZE).get_page(request.GET.get("page"))
    return render_in_zone(request, franchise, "posts/history.html", {"page": page})


@login_required
@require_POST
def post_note_add_view(request: HttpRequest, post_id) -> HttpResponse:
    """A team note on the post (404 for a post the user cannot see). Refused, the page comes back
    with the note as typed and why."""
    post = post_get_for_user(user=request.user, post_id=post_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            note = post_note_add(post=post, user=request.user, text=form.cleaned_data["text"])
        except ACTION_ERRORS as exc:
            form.add_error("text", str(exc))
        else:
            named = ", ".join(f"@{user.get_username()}" for user in note.mentioned.order_by("username"))
            messages.success(request, "Note added." + (f" Mentioned (told by email): {named}." if named else ""))
            return redirect(reverse("posts:detail", args=[post.pk]) + "#history")
    context = post_detail_context(request, post, note_form=form)
    return render_in_zone(request, post.franchise, "posts/post_detail.html", context, status=400)
