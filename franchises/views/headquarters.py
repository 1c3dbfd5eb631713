"""Headquarters' franchise pages: add a franchise, and rename, deactivate or reactivate one, or set
who approves its posts. A
franchise is never deleted (its posts' copies on Google stay managed): it is deactivated."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from .. import services
from ..access import headquarters_required
from ..approval_policy import group_approval_policy
from ..forms import FranchiseProfileForm, FranchiseRenameForm
from ..models import ApprovalPolicy, Franchise


@headquarters_required("add a franchise")
@require_http_methods(["GET", "POST"])
def franchise_new(request: HttpRequest) -> HttpResponse:
    form = FranchiseProfileForm(request.POST or None, initial={"timezone": "America/New_York"})
    if request.method == "POST" and form.is_valid():
        franchise = services.franchise_create(actor=request.user, **form.cleaned_data)
        messages.success(
            request, f"Added {franchise.name}. Next: connect it to Google, and invite its admin from Members."
        )
        return redirect("franchises:detail", franchise_id=franchise.pk)
    return render(request, "franchises/franchise_new.html", {"form": form}, status=400 if form.is_bound else 200)


@headquarters_required("rename or deactivate a franchise")
@require_http_methods(["GET", "POST"])
def franchise_manage(request: HttpRequest, franchise_id) -> HttpResponse:
    """GET: the rename form, and what deactivating (or reactivating) does, with its button. POST
    `action`: rename, deactivate or reactivate."""
    franchise = get_object_or_404(Franchise, pk=franchise_id)
    action = request.POST.get("action")
    # The form works on a copy: a rejected name must not show as the page's title.
    form = FranchiseRenameForm(request.POST if action == "rename" else None, instance=copy.copy(franchise))
    if action == "rename" and form.is_valid():
        services.franchise_rename(franchise=franchise, name=form.cleaned_data["name"], actor=request.user)
        messages.success(request, f"Renamed: {franchise.name}.")
        return redirect("franchises:manage", franchise_id=franchise.pk)
    if action == "approval_policy":
        try:
            services.franchise_approval_policy_set(
                franchise=franchise, policy=request.POST.get("approval_policy", ""), actor=request.user
            )
        except services.FranchiseError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, f"Approval policy of {franchise.name}: {franchise.get_approval_policy_display()}."
            )
        return redirect("franchises:manage", franchise_id=franchise.pk)
    if action in ("deactivate", "reactivate"):
        try:
            services.franchise_active_set(franchise=franchise, active=action == "reactivate", actor=request.user)
        except services.FranchiseError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"{franchise.name} is {'active again' if franchise.is_active else 'inactive'}.")
        return redirect("franchises:manage", franchise_id=franchise.pk)
    context = {
        "franchise": franchise,
        "form": form,
        "policies": Franchise._meta.get_field("approval_policy").choices,
        "group_policy": ApprovalPolicy(group_approval_policy()).label,
    }
    return render(request, "franchises/franchise_manage.html", context, status=400 if form.is_bound else 200)
