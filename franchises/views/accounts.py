"""Signing in and resetting a password: Django's own views, with the guards an attacker meets.

- Failed sign-ins lock out a username from one address only (django-axes, keyed on both, with the
  address from `gbp_scheduler.http.client_ip`): a stranger elsewhere cannot lock the real user out.
  `login_locked_out` is the page the locked-out pair gets.
- Attempts at one username from browsers it never signed in from are limited across every
  address (franchises/sign_in.py); browsers it did sign in from are never held back.
- Reset emails are throttled per client address and per account (PASSWORD_RESET_PER_*_PER_HOUR),
  so the form cannot flood someone's inbox. Past an account's allowance the answer is the same
  "check your email" as always: nothing tells a stranger whether the address has an account.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from gbp_scheduler.http import client_ip
from gbp_scheduler.throttle import allowance_take
from gbp_scheduler.times import human_duration

from ..forms import PasswordResetThrottledForm
from ..sign_in import sign_in_attempt_allowed, sign_in_browser_remember


def _digest(value: str) -> str:
    """A cache-key-safe stand-in for an address or an email (and no email kept in the cache)."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def login_locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer to a locked-out username and address (AXES_LOCKOUT_CALLABLE)."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    context = {
        "username": username,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "pause": human_duration(settings.AXES_COOLOFF_TIME * 3600),
    }
    return render(request, "registration/locked_out.html", context, status=429)


class SignInView(auth_views.LoginView):
    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        username = request.POST.get("username", "")
        if username and not sign_in_attempt_allowed(request=request, username=username):
            context = {"username": username, "limit": settings.SIGN_IN_PER_USERNAME_PER_HOUR}
            return render(request, "registration/sign_in_slowed.html", context, status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        sign_in_browser_remember(request=self.request, response=response, user=form.get_user())
        return response


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetThrottledForm

    def form_valid(self, form):
        address = client_ip(self.request)
        if not allowance_take(
            key=f"password-reset:address:{_digest(address)}", limit=settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR
        ):
            return render(self.request, "registration/password_reset_throttled.html", status=429)
        return super().form_valid(form)  # each account found is counted in the form


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def dispatch(self, *args, **kwargs):
        response = super().dispatch(*args, **kwargs)
        if not self.validlink and response.status_code == 200:  # (a valid link redirects first)
            response.status_code = 404  # a link that names no one, or was used: as any unknown id
        return response

    def form_valid(self, form):
        response = super().form_valid(form)
        # The emailed link proves the account's owner is asking: lift any sign-in lockout of the
        # username, from every address, so they can sign in with the new password at once.
        from axes.utils import reset

        reset(username=self.user.get_username())
        # ... and let this browser in past the per-username allowance of unknown browsers.
        sign_in_browser_remember(request=self.request, response=response, user=self.user)
        return response
