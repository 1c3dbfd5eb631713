"""Connecting a franchise to Google: consent, callback, location pick, disconnect.

The consent round trip is bound to the browser session and the franchise: `google_connect_start`
keeps {state: franchise id, PKCE verifier} in the session, and the callback accepts only a
`state` found there (then forgets it, so a callback URL cannot be replayed).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ..models import Franchise
from . import business_profile, oauth

logger = logging.getLogger(__name__)

SESSION_KEY = "google_oauth_pending"
PENDING_MAX_AGE_SECONDS = 15 * 60  # Google's codes live 10 minutes; a consent left longer is stale
PENDING_MAX = 5  # several tabs may connect at once; more than this is abandoned attempts


class GoogleConnectStateError(Exception):
    """The callback's `state` is not one this session started: refuse (400), store nothing."""


class GoogleConnectError(Exception):
    """The connection did not complete; the message tells the admin what happened and what to do."""


@dataclass
class PendingConnect:
    franchise_id: str
    code_verifier: str
    redirect_uri: str


@dataclass
class LocationChoice:
    account_id: str
    location_id: str
    title: str
    address: str


@dataclass
class AccountChoices:
    account_id: str
    account_name: str
    locations: list[LocationChoice] = field(default_factory=list)


def google_redirect_uri() -> str:
    """The one callback URL registered with Google, from SITE_URL (not the request's Host)."""
    return f"{settings.SITE_URL}{reverse('franchises:google_callback')}"


def google_connect_start(*, session: SessionBase, franchise: Franchise) -> str:
    """The consent URL to send the admin to; remembers state and PKCE verifier in the session."""
    redirect_uri = google_redirect_uri()
    url, state, verifier = oauth.authorization_url_build(redirect_uri=redirect_uri)
    now = time.time()
    pending = {
        key: value
        for key, value in (session.get(SESSION_KEY) or {}).items()
        if now - value.get("created", 0) < PENDING_MAX_AGE_SECONDS
    }
    pending[state] = {
        "franchise_id": str(franchise.pk),
        "code_verifier": verifier,
        "redirect_uri": redirect_uri,
        "created": now,
    }
    session[SESSION_KEY] = dict(sorted(pending.items(), key=lambda kv: kv[1]["created"])[-PENDING_MAX:])
    return url


def google_connect_pending_pop(*, session: SessionBase, state: str) -> PendingConnect:
    """The connect attempt this `state` belongs to, removed from the session (single use)."""
    pending = dict(session.get(SESSION_KEY) or {})
    entry = pending.pop(state, None) if state else None
    if entry is None or time.time() - entry.get("created", 0) >= PENDING_MAX_AGE_SECONDS:
        raise GoogleConnectStateError(
            "This Google sign-in answer does not belong to a connection started in this browser session "
            "(or it is older than 15 minutes). Start again from the franchise page."
        )
    session[SESSION_KEY] = pending
    return PendingConnect(entry["franchise_id"], entry["code_verifier"], entry["redirect_uri"])


def google_connect_finish(*, franchise: Franchise, pending: PendingConnect, code: str, error: str) -> Franchise:
    """Store the tokens of a completed consent.

    1. Google's `error` (the admin pressed Deny) or a missing code: nothing stored.
    2. Exchange the code (PKCE verifier from the session).
    3. No refresh token: keep the stored one on a reconnect while Google still takes it; on a first
       connect, or when Google refused the stored one, stop with a message (the franchise stays flagged).
    4. Store the tokens (encrypted by the field), mark the auth valid, clear the error, the alert
       claim and any refresh lease. Posts and the picked location stay.
    """
    if str(franchise.pk) != pending.franchise_id:
        raise GoogleConnectStateError("This Google sign-in answer was started for another franchise.")
    if error or not code:
        reason = "you chose Deny" if error == "access_denied" else f"Google said: {error or 'no code returned'}"
        raise GoogleConnectError(f"Google access was not granted ({reason}). Nothing was changed.")
    try:
        grant = oauth.code_exchange(code=code, redirect_uri=pending.redirect_uri, code_verifier=pending.code_verifier)
    except oauth.OAuthError as exc:
        raise GoogleConnectError(f"Connecting to Google failed: {exc}") from None

    with transaction.atomic():
        locked = Franchise.objects.select_for_update().get(pk=franchise.pk)
        # Keep the stored refresh token only while Google still takes it: one Google refused
        # (invalid_grant) is dead, and keeping it would flag the franchise again at the next refresh.
        refresh_token = grant.refresh_token or (locked.google_refresh_token if locked.google_auth_valid else None)
        if refresh_token is None:
            refused = locked.google_refresh_token is not None and not locked.google_auth_valid
            raise GoogleConnectError(
                (
                    "Google did not send a new refresh token, and the stored one is the one Google refused"
                    if refused
                    else "Google did not send a refresh token"
                )
                + ", so this site could not keep posting on your behalf. Remove this site's access at "
                "https://myaccount.google.com/permissions, then connect again: Google then asks for consent "
                "and sends a new token."
            )
        now = timezone.now()
        locked.google_refresh_token = refresh_token
        locked.google_access_token = grant.access_token
        locked.google_token_expires_at = grant.expires_at
        locked.google_auth_valid = True
        locked.google_auth_error = ""
        locked.google_auth_alerted_at = None
        locked.google_token_refresh_lease_until = None
        locked.google_connected_at = now
        locked.save(
            update_fields=[
                "google_refresh_token",
                "google_access_token",
                "google_token_expires_at",
                "google_auth_valid",
                "google_auth_error",
                "google_auth_alerted_at",
                "google_token_refresh_lease_until",
                "google_connected_at",
                "updated_at",
            ]
        )
    kept = "new" if grant.refresh_token else "kept"
    logger.info("Franchise %s connected to Google (refresh token %s)", franchise.pk, kept)
    return locked


def google_location_choices(*, franchise: Franchise) -> list[AccountChoices]:
    """Every account the connected user manages, each with all its locations (raises business_profile errors)."""
    choices = []
    for account in business_profile.accounts_list(franchise=franchise):
        account_id = account["name"].removeprefix("accounts/")
        entry = AccountChoices(account_id, account.get("accountName") or account["name"])
        for location in business_profile.locations_list(franchise=franchise, account_id=account_id):
            entry.locations.append(
                LocationChoice(
                    account_id=account_id,
                    location_id=location["name"].rsplit("/", 1)[-1],
                    title=location.get("title") or location["name"],
                    address=_address(location.get("storefrontAddress") or {}),
                )
            )
        choices.append(entry)
    return choices


def _address(address: dict) -> str:
    parts = [*(address.get("addressLines") or []), address.get("locality", ""), address.get("regionCode", "")]
    return ", ".join(p for p in parts if p)


def google_location_pick(*, franchise: Franchise, account_id: str, location_id: str) -> Franchise:
    """Store the picked location after checking, with Google, that the account really has it."""
    for location in business_profile.locations_list(franchise=franchise, account_id=account_id):
        if location["name"].rsplit("/", 1)[-1] == location_id:
            title = location.get("title") or location["name"]
            break
    else:
        raise GoogleConnectError("That location is not in the Google account any more; pick again.")
    Franchise.objects.filter(pk=franchise.pk).update(
        google_account_id=account_id,
        google_location_id=location_id,
        google_location_title=title,
        updated_at=timezone.now(),
    )
    franchise.refresh_from_db()
    return franchise


def google_disconnect(*, franchise: Franchise) -> bool:
    """Forget the tokens and the location, then revoke the grant at Google.

    The local clear commits first, so the franchise is disconnected even when Google cannot be
    reached; returns False when the revoke did not reach Google (the admin is told to remove the
    access by hand). Posts stay.
    """
    with transaction.atomic():
        locked = Franchise.objects.select_for_update().get(pk=franchise.pk)
        refresh_token = locked.google_refresh_token
        Franchise.objects.filter(pk=franchise.pk).update(
            google_refresh_token=None,
            google_access_token=None,
            google_token_expires_at=None,
            google_auth_valid=True,
            google_auth_error="",
            google_auth_alerted_at=None,
            google_token_refresh_lease_until=None,
            google_account_id="",
            google_location_id="",
            google_location_title="",
            google_connected_at=None,
            updated_at=timezone.now(),
        )
    franchise.refresh_from_db()
    if refresh_token is None:
        return True
    try:
        oauth.token_revoke(token=refresh_token)
    except oauth.OAuthError as exc:
        logger.warning("Revoking the Google grant of franchise %s failed: %s", franchise.pk, exc)
        return False
    return True
