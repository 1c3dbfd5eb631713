"""The webhook pages: a franchise's subscriptions (its admins), headquarters' (for many
franchises), and one subscription with its delivery log and "Send again"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from franchises.access import Access, franchise_admin_required, headquarters_required, marked
from franchises.models import Franchise

from . import selectors, services
from .forms import SubscriptionForm
from .models import Subscription


def _list_page(request: HttpRequest, *, franchise: Franchise | None) -> HttpResponse:
    form = SubscriptionForm(request.POST or None, headquarters=franchise is None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        subscription = services.subscription_create(
            user=request.user,
            franchise=franchise,
            franchises=data.get("franchises") or (),
            url=data["url"],
            event_types=data["event_types"],
            description=data["description"],
        )
        return _secret_page(request, subscription, created=True)
    subscriptions = (
        selectors.subscriptions_of_franchise(franchise=franchise)
        if franchise
        else selectors.subscriptions_of_headquarters()
    )
    context = {"franchise": franchise, "subscriptions": subscriptions, "form": form}
    return render(request, "webhooks/subscriptions.html", context, status=400 if form.is_bound else 200)


@franchise_admin_required("manage its webhooks")
@require_http_methods(["GET", "POST"])
def franchise_subscriptions(request: HttpRequest, franchise: Franchise) -> HttpResponse:
    return _list_page(request, franchise=franchise)


@headquarters_required("manage headquarters' webhooks")
@require_http_methods(["GET", "POST"])
def headquarters_subscriptions(request: HttpRequest) -> HttpResponse:
    return _list_page(request, franchise=None)


def _secret_page(request: HttpRequest, subscription: Subscription, *, created: bool = False) -> HttpResponse:
    # Rendered, not redirected to: the secret is never in a URL, a message or the session.
    context = {"subscription": subscription, "created": created}
    response = render(request, "webhooks/secret.html", context)
    response["Cache-Control"] = "no-store"
    return response


def _back(subscription: Subscription):
    return redirect("webhooks:detail", subscription_id=subscription.pk)


@login_required
@marked(Access.FRANCHISE_ADMIN)
@require_http_methods(["GET", "POST"])
def subscription_detail(request: HttpRequest, subscription_id) -> HttpResponse:
    subscription = selectors.subscription_get_for_user(user=request.user, subscription_id=subscription_id)
    headquarters = subscription.franchise_id is None
    initial = {
        "url": subscription.url,
        "event_types": subscription.event_types,
        "description": subscription.description,
    }
    if headquarters:
        initial["franchises"] = list(subscription.franchises.all())
    form = SubscriptionForm(request.POST or None, initial=initial, headquarters=headquarters)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.subscription_update(
            subscription=subscription,
            url=data["url"],
            event_types=data["event_types"],
            franchises=data.get("franchises") or (),
            description=data["description"],
        )
        messages.success(request, "Webhook saved.")
        return _back(subscription)
    context = {
        "subscription": subscription,
        "form": form,
        "deliveries": selectors.deliveries_of(subscription=subscription),
    }
    return render(request, "webhooks/subscription_detail.html", context, status=400 if form.is_bound else 200)


@login_required
@marked(Access.FRANCHISE_ADMIN)
@require_POST
def subscription_enabled(request: HttpRequest, subscription_id) -> HttpResponse:
    subscription = selectors.subscription_get_for_user(user=request.user, subscription_id=subscription_id)
    enabled = request.POST.get("enabled") == "on"
    services.subscription_enable(subscription=subscription, enabled=enabled)
    messages.success(request, "Webhook switched on." if enabled else "Webhook switched off: events wait.")
    return _back(subscription)


@login_required
@marked(Access.FRANCHISE_ADMIN)
@require_POST
def subscription_secret(request: HttpRequest, subscription_id) -> HttpResponse:
    """Show the secret to who may manage the subscription ("rotate": a new one first)."""
    subscription = selectors.subscription_get_for_user(user=request.user, subscription_id=subscription_id)
    if request.POST.get("rotate") == "on":
        services.subscription_secret_rotate(subscription=subscription)
    return _secret_page(request, subscription)


@login_required
@marked(Access.FRANCHISE_ADMIN)
@require_POST
def subscription_delete(request: HttpRequest, subscription_id) -> HttpResponse:
    subscription = selectors.subscription_get_for_user(user=request.user, subscription_id=subscription_id)
    franchise = subscription.franchise
    services.subscription_delete(subscription=subscription)
    messages.success(request, "Webhook deleted, with its delivery log.")
    if franchise is None:
        return redirect("webhooks:headquarters")
    return redirect("webhooks:franchise", franchise_id=franchise.pk)


@login_required
@marked(Access.FRANCHISE_ADMIN)
@require_POST
def delivery_send_again(request: HttpRequest, subscription_id) -> HttpResponse:
    subscription = selectors.subscription_get_for_user(user=request.user, subscription_id=subscription_id)
    try:
        delivery_id = int(request.POST.get("delivery", ""))
    except ValueError:
        messages.error(request, "Choose a delivery from the log to send again.")
        return _back(subscription)
    delivery = selectors.delivery_of(subscription=subscription, delivery_id=delivery_id)
    services.delivery_send_again(delivery=delivery)
    messages.success(request, f"{delivery.event_id} will be sent again within a minute, with the same id.")
    return _back(subscription)
