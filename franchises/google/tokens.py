"""Access tokens for a franchise's Google connection (docs/contract.md, "Google tokens").

`google_access_token_get` is what every Google API call goes through:

1. Fail fast, with no network call, when the franchise is not connected or its
   `google_auth_valid` flag is false.
2. Return the stored access token while more than GOOGLE_TOKEN_REFRESH_MARGIN_SECONDS of it remain.
3. Otherwise refresh it through google-auth, one refresh per franchise however many callers
   (threads or processes) ask at once.
4. `invalid_grant` marks the franchise invalid, records why, emails its admins once, and raises
   GoogleReauthorizationRequired. Network trouble raises GoogleTokenTransientError and leaves
   the flag alone. Every successful refresh sets the flag true.

One refresh at a time: a lease column, not a row lock. The refresh is an HTTP call that can take
up to three attempts of GOOGLE_HTTP_TIMEOUT_SECONDS each (google-auth retries 5xx); holding the
franchise row locked that long would block every other write to the franchise (the dashboard,
a reconnect) and breaks the project rule of no lock across an outside call. Instead a caller
claims `google_token_refresh_lease_until` with one conditional UPDATE (free, or past its time),
which PostgreSQL and SQLite both apply atomically (row lock / database write lock, held only for
that UPDATE); it re-reads the token after claiming (someone may have just refreshed), calls
Google with nothing locked, and writes the result back only while it still holds the lease.
Callers that lose the claim poll the row until the lease holder writes a token or gives up.
A lease left by a dead process lapses after the worst-case refresh time and is taken over.

Call this outside `transaction.atomic()`: inside one, the lease UPDATE's row lock would last
until the caller's commit.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.conf import settings
from django.core.mail import mail_admins, send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from ..models import Franchise, Membership
from . import oauth

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.05
_FIELDS = (
    "name",
    "google_refresh_token",
    "google_access_token",
    "google_token_expires_at",
    "google_auth_valid",
    "google_auth_error",
    "google_token_refresh_lease_until",
)


class GoogleReauthorizationRequired(Exception):
    """The franchise's Google grant is gone (or was never made): an admin must reconnect."""

    def __init__(self, franchise: Franchise, detail: str = "") -> None:
        self.franchise_id = franchise.pk
        message = (
            f'Google access for "{franchise.name}" needs re-authorization: a franchise admin must reconnect '
            "the Google account on the franchise page."
        )
        super().__init__(f"{message} {detail}".strip())


class GoogleTokenTransientError(Exception):
    """The token endpoint failed for now (network, timeout, 5xx); try again later. The flag is untouched."""


def franchise_reconnect_url(*, franchise: Franchise) -> str:
    return f"{settings.SITE_URL}{reverse('franchises:detail', args=[franchise.pk])}"


def google_access_token_get(
    *, franchise: Franchise, force_refresh: bool = False, rejected_token: str | None = None
) -> str:
    """A usable access token for the franchise (see the module docstring).

    `force_refresh`: the caller's token was refused (a 401); get another unless a concurrent
    caller already replaced it. `rejected_token` names the refused token when the caller knows it
    (the GBP client does), so a token that changed in between is taken without refreshing again.
    """
    deadline = time.monotonic() + oauth.refresh_worst_case_seconds() + 5.0
    franchise.refresh_from_db(fields=_FIELDS)
    _fail_fast(franchise)
    rejected = rejected_token or (franchise.google_access_token if force_refresh else None)
    waited = False
    while True:
        if _usable(franchise, rejected=rejected):
            return franchise.google_access_token
        lease = _lease_claim(franchise)
        if lease is not None:
            franchise.refresh_from_db(fields=_FIELDS)  # someone may have refreshed just before the claim
            if _usable(franchise, rejected=rejected) or not _connected_and_valid(franchise):
                _lease_release(franchise, lease)
                _fail_fast(franchise)
                return franchise.google_access_token
            return _refresh_holding_lease(franchise, lease)
        if waited and franchise.google_token_refresh_lease_until is None:
            # The lease we waited on was released without a usable token: that refresh failed
            # transiently. Do not hammer the token endpoint with every waiter in turn.
            raise GoogleTokenTransientError(
                f'Refreshing the Google access token of "{franchise.name}" just failed; try again later.'
            )
        if time.monotonic() > deadline:
            raise GoogleTokenTransientError(
                f'Timed out waiting for another worker to refresh the Google token of "{franchise.name}".'
            )
        time.sleep(POLL_SECONDS)
        waited = True
        franchise.refresh_from_db(fields=_FIELDS)
        _fail_fast(franchise)


def _connected_and_valid(franchise: Franchise) -> bool:
    return franchise.google_refresh_token is not None and franchise.google_auth_valid


def _fail_fast(franchise: Franchise) -> None:
    if franchise.google_refresh_token is None:
        raise GoogleReauthorizationRequired(franchise, "It is not connected to Google.")
    if not franchise.google_auth_valid:
        raise GoogleReauthorizationRequired(franchise, franchise.google_auth_error)


def _usable(franchise: Franchise, *, rejected: str | None) -> bool:
    token, expires_at = franchise.google_access_token, franchise.google_token_expires_at
    if not token or expires_at is None or token == rejected:
        return False
    margin = dt.timedelta(seconds=settings.GOOGLE_TOKEN_REFRESH_MARGIN_SECONDS)
    return expires_at - timezone.now() > margin


def _lease_claim(franchise: Franchise) -> dt.datetime | None:
    """Claim the refresh lease with one conditional UPDATE; its end time identifies the holder."""
    now = timezone.now()
    until = now + dt.timedelta(seconds=oauth.refresh_worst_case_seconds())
    claimed = (
        Franchise.objects.filter(pk=franchise.pk, google_auth_valid=True, google_refresh_token__isnull=False)
        .filter(Q(google_token_refresh_lease_until__isnull=True) | Q(google_token_refresh_lease_until__lt=now))
        .update(google_token_refresh_lease_until=until)
    )
    return until if claimed else None


def _lease_release(franchise: Franchise, lease: dt.datetime) -> None:
    Franchise.objects.filter(pk=franchise.pk, google_token_refresh_lease_until=lease).update(
        google_token_refresh_lease_until=None
    )


def _refresh_holding_lease(franchise: Franchise, lease: dt.datetime) -> str:
    try:
        grant = oauth.access_token_refresh(refresh_token=franchise.google_refresh_token)
    except oauth.OAuthInvalidGrant as exc:
        _auth_invalidate(franchise, lease, detail=str(exc))
        raise GoogleReauthorizationRequired(franchise, franchise.google_auth_error) from None
    except oauth.OAuthError as exc:
        _lease_release(franchise, lease)
        logger.warning("Google token refresh failed for franchise %s: %s", franchise.pk, exc)
        raise GoogleTokenTransientError(f'Google token refresh for "{franchise.name}" failed: {exc}') from None
    except BaseException:
        _lease_release(franchise, lease)
        raise
    fields = {
        "google_access_token": grant.access_token,
        "google_token_expires_at": grant.expires_at,
        "google_auth_valid": True,
        "google_auth_error": "",
        "google_token_refresh_lease_until": None,
    }
    if grant.refresh_token:
        fields["google_refresh_token"] = grant.refresh_token
    # Only while we still hold the lease: a reconnect in the meantime wrote newer tokens.
    Franchise.objects.filter(pk=franchise.pk, google_token_refresh_lease_until=lease).update(**fields)
    franchise.google_access_token = grant.access_token
    franchise.google_token_expires_at = grant.expires_at
    franchise.google_auth_valid, franchise.google_auth_error = True, ""
    franchise.google_token_refresh_lease_until = None
    return grant.access_token


def _auth_invalidate(franchise: Franchise, lease: dt.datetime, *, detail: str) -> None:
    now = timezone.now()
    reason = (
        f"Google refused to refresh the access token on {now:%Y-%m-%d %H:%M} UTC ({detail}). The grant was "
        "revoked, expired after six months unused, or (while the OAuth app is in Testing) is older than "
        "seven days. Reconnect the Google account."
    )
    updated = Franchise.objects.filter(pk=franchise.pk, google_token_refresh_lease_until=lease).update(
        google_auth_valid=False,
        google_auth_error=reason,
        google_access_token=None,
        google_token_expires_at=None,
        google_token_refresh_lease_until=None,
    )
    logger.warning("Google access for franchise %s needs re-authorization: %s", franchise.pk, detail)
    if not updated:
        # A reconnect replaced the grant while we were refreshing: the new one stands.
        franchise.refresh_from_db(fields=_FIELDS)
        raise GoogleTokenTransientError(f'The Google connection of "{franchise.name}" changed during a refresh.')
    franchise.google_auth_valid, franchise.google_auth_error = False, reason
    franchise.google_access_token, franchise.google_token_expires_at = None, None
    # Once per breakage: the claim is cleared by a reconnect.
    if Franchise.objects.filter(pk=franchise.pk, google_auth_alerted_at__isnull=True).update(
        google_auth_alerted_at=now
    ):
        franchise_id = franchise.pk
        transaction.on_commit(lambda: auth_invalid_email_send(franchise_id=franchise_id))


def auth_invalid_email_send(*, franchise_id) -> None:
    """Tell the franchise admins (or, when it has none with an email, the operators) to reconnect."""
    franchise = Franchise.objects.get(pk=franchise_id)
    recipients = sorted(
        set(
            Membership.objects.filter(franchise=franchise, role=Membership.Role.ADMIN)
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
    )
    subject = f"Reconnect Google for {franchise.name}: scheduled posts are on hold"
    body = (
        f"Google no longer accepts this site's access to the Business Profile of {franchise.name}.\n\n"
        f"Why: {franchise.google_auth_error}\n\n"
        "Until a franchise admin reconnects, scheduled posts for this franchise are not published.\n"
        f"Reconnect here: {franchise_reconnect_url(franchise=franchise)}\n"
    )
    try:
        if recipients:
            send_mail(subject, body, None, recipients)
        else:
            mail_admins(subject, f"The franchise has no admin with an email address.\n\n{body}")
    except Exception:
        # The flag and reason are recorded and the dashboard shows them; a mail outage must not
        # turn a handled auth failure into a crash.
        logger.exception("Could not email the admins of franchise %s about invalid Google auth", franchise_id)
