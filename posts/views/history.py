"""A franchise's history (its posts', its Google connection's and its members'), for its admins
(and headquarters)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from franchises.access import franchise_admin_required
from franchises.models import Franchise

from ..selectors import FranchiseHistory
from ._common import render_in_zone

PAGE_SIZE = 50


@login_required
@require_GET
@franchise_admin_required("read its history")
def franchise_history(request: HttpRequest, franchise: Franchise) -> HttpResponse:
    page = Paginator(FranchiseHistory(franchise), PAGE_SIZE).get_page(request.GET.get("page"))
    return render_in_zone(request, franchise, "posts/history.html", {"page": page})
