"""A franchise's post history, for its admins (and headquarters)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from franchises.selectors import franchise_get_for_user, user_is_franchise_admin

from ..selectors import FranchiseHistory
from ._common import render_in_zone

PAGE_SIZE = 50


@login_required
@require_GET
def franchise_history(request: HttpRequest, franchise_id) -> HttpResponse:
    franchise = franchise_get_for_user(user=request.user, franchise_id=franchise_id)
    if not user_is_franchise_admin(user=request.user, franchise=franchise):
        raise PermissionDenied("Only the franchise's admins can read its history.")
    page = Paginator(FranchiseHistory(franchise), PAGE_SIZE).get_page(request.GET.get("page"))
    return render_in_zone(request, franchise, "posts/history.html", {"page": page})
