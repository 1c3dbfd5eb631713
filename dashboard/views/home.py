"""The home page: one card per franchise the user can see."""

from __future__ import annotations

from urllib.parse import urlencode

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
    """One card per franchise: Google connection, next posts, drafts to review, recent failures;
    searched by name or city (`q`), or only those needing someone (`attention`)."""
    search = request.GET.get("q", "")[:100]
    attention = request.GET.get("attention") == "1"
    franchises = franchises_for_home(user=request.user, search=search, attention=attention)
    page = Paginator(franchises, HOME_PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({key: value for key, value in (("q", search), ("attention", "1" if attention else "")) if value})
    context = {
        "page": page,
        "franchises": page.object_list,
        "search": search,
        "attention": attention,
        "query": query,
        "filtered": bool(search or attention),
    }
    return render(request, "dashboard/home.html", context)
