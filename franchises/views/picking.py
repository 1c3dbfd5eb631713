"""The franchise filters' search box (picking.py): the user's franchises matching what they type."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from ..picking import franchises_to_pick


@login_required
@require_GET
def franchise_pick(request: HttpRequest) -> JsonResponse:
    """{"choices": [{"id", "label"}]}: the first of the user's franchises whose name or city holds `?q=`."""
    return JsonResponse({"choices": franchises_to_pick(user=request.user, search=request.GET.get("q", "")[:100])})
