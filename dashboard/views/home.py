"""The home page: one card per franchise the user can see."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..selectors import franchises_for_home

HOME_PAGE_SIZE = 30


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """One card per franchise: Google connection, next posts, drafts to review, recent failures."""
    page = Paginator(franchises_for_home(user=request.user), HOME_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "dashboard/home.html", {"page": page, "franchises": page.object_list})
