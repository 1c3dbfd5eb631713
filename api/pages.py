"""The profile page's API keys: make one (its secret shown once, on the answer to the POST and
nowhere else), revoke one. The list is on the profile page (dashboard/views/profile.py)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from .forms import ApiKeyForm
from .keys import ApiKeyError, api_key_create, api_key_revoke
from .models import ApiKey


@login_required
@require_POST
@never_cache
def api_key_new(request: HttpRequest) -> HttpResponse:
    """Make a key; the page that answers shows its secret once (never cached: it is the only copy)."""
    form = ApiKeyForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            key, secret = api_key_create(user=request.user, **form.key_fields())
        except ApiKeyError as exc:
            form.add_error(None, str(exc))
        else:
            return render(request, "api/key_created.html", {"key": key, "secret": secret})
    messages.error(request, "The key was not made: see the form below.")
    return render(request, "api/key_form.html", {"form": form}, status=400)


@login_required
@require_POST
def api_key_revoke_view(request: HttpRequest, key_id) -> HttpResponse:
    """Revoke one of the user's own keys (another user's is a 404)."""
    key = get_object_or_404(ApiKey, pk=key_id, user=request.user)
    api_key_revoke(key=key)
    messages.success(request, f"Key “{key.name}” revoked: it no longer works.")
    return redirect("dashboard:profile")
