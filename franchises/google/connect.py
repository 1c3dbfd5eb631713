"""Connecting franchises to Google: consent, callback, picking locations, disconnecting.

A consent makes (or renews) a `GoogleConnection`: one per Google account, however many
franchises publish through it. It starts from a franchise's page (connect or reconnect that
franchise, then pick its location) or from the connect-many page (one consent for a whole group,
then franchises are mapped to the account's locations in bulk). A consent through an account
that already has a connection renews that connection and restores every franchise on it; it
never mints a token per franchise.

The consent round trip is bound to the browser session: `google_connect_start` keeps
{state: purpose, PKCE verifier} in the session, and the callback accepts only a `state` found
there (then forgets it, so a callback URL cannot be replayed).

Every change of a franchise's connection or location is in its history (`FranchiseEvent`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.sessions.backends.base import SessionBase
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ..holds import hold_ended_tell, hold_key
from ..models import Franchise, FranchiseEvent, GoogleConnection
from ..selectors import ANOTHER_FRANCHISE, connection_managed_by, franchises_for_user, location_holders
from . import business_profile, oauth
from .business_profile import PostingRights
from .rights import posting_rights_record
from .tokens import connection_mirror

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
    franchise_id: str  # "" for a connect-many consent
    code_verifier: str
    redirect_uri: str


@dataclass
class LocationChoice:
    account_id: str
    location_id: str
    title: str
    address: str
    city: str = ""
    held_by: str = ""  # the name of the active franchise that already publishes there
    rights: PostingRights | None = None  # what Google's metadata says (None: it said nothing)

    @property
    def key(self) -> str:
        return f"{self.account_id}/{self.location_id}"

    @property
    def cannot_post(self) -> str:
        """Why Google will not take posts there, in a few words ("" when it will, or did not say)."""
        if self.rights is None or self.rights.can_post:
            return ""
        return "not verified on Google: cannot take posts" if not self.rights.verified else "cannot take posts"


@dataclass
class AccountChoices:
    account_id: str
    account_name: str
    locations: list[LocationChoice] = field(default_factory=list)


def google_redirect_uri() -> str:
    """The one callback URL registered with Google, from SITE_URL (not the request's Host)."""
    return f"{settings.SITE_URL}{reverse('franchises:google_callback')}"


# --- consent -----------------------------------------------------------------------------------


def google_connect_start(*, session: SessionBase, franchise: Franchise | None = None) -> str:
    """The consent URL to send the person to, for one franchise or (None) for connect-many;
    remembers the purpose, state and PKCE verifier in the session."""
    redirect_uri = google_redirect_uri()
    url, state, verifier = oauth.authorization_url_build(redirect_uri=redirect_uri)
    now = time.time()
    pending = {
        key: value
        for key, value in (session.get(SESSION_KEY) or {}).items()
        if now - value.get("created", 0) < PENDING_MAX_AGE_SECONDS
    }
    pending[state] = {
        "franchise_id": str(franchise.pk) if franchise is not None else "",
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
    return PendingConnect(entry.get("franchise_id", ""), entry["code_verifier"], entry["redirect_uri"])


def google_connect_finish(
    *,
    pending: PendingConnect,
    code: str,
    error: str,
    user: AbstractBaseUser | None = None,
    franchise: Franchise | None = None,
) -> GoogleConnection:
    """Store the grant of a completed consent in the Google account's connection.

    1. Google's `error` (the person pressed Deny) or a missing code: nothing stored.
    2. Exchange the code (PKCE verifier from the session); the ID token says which account.
    3. The account's connection is found (or, for a first consent, created; for a franchise
       whose connection predates account ids, that connection is renewed).
    4. No refresh token: keep the stored one while Google still takes it; when Google refused
       it, or on a first connect, stop with a message (the franchises stay flagged).
    5. Store the tokens, mark the grant valid, clear the error, the alert and any refresh lease,
       and mirror that onto every franchise of the connection: one consent restores them all.
    6. For a franchise connect, the franchise now publishes through this connection.
    """
    if franchise is not None and str(franchise.pk) != pending.franchise_id:
        raise GoogleConnectStateError("This Google sign-in answer was started for another franchise.")
    if error or not code:
        reason = "you chose Deny" if error == "access_denied" else f"Google said: {error or 'no code returned'}"
        raise GoogleConnectError(f"Google access was not granted ({reason}). Nothing was changed.")
    try:
        grant = oauth.code_exchange(code=code, redirect_uri=pending.redirect_uri, code_verifier=pending.code_verifier)
    except oauth.OAuthError as exc:
        raise GoogleConnectError(f"Connecting to Google failed: {exc}") from None

    with transaction.atomic():
        connection = _connection_for(grant, franchise)
        restored = list(
            Franchise.objects.filter(google_connection=connection, google_auth_valid=False).values_list("pk", flat=True)
        )
        refresh_token = grant.refresh_token or (connection.refresh_token if connection.auth_valid else None)
        if refresh_token is None:
            refused = connection.refresh_token is not None and not connection.auth_valid
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
        connection.refresh_token = refresh_token
        connection.access_token = grant.access_token
        connection.token_expires_at = grant.expires_at
        connection.auth_valid, connection.auth_error = True, ""
        connection.auth_alerted_at = None
        connection.token_refresh_lease_until = None
        connection.google_user_id = connection.google_user_id or grant.google_user_id
        connection.google_email = grant.email or connection.google_email
        connection.oauth_client_id = settings.GOOGLE_CLIENT_ID
        connection.connected_by = user if user is not None and user.is_authenticated else None
        connection.connected_at = now
        connection.save()
        connection_mirror(connection)
        _events(restored, FranchiseEvent.Action.GOOGLE_RECONNECTED, user, f"Through {connection}.")
        hold_ended_tell(franchise_ids=restored, why="reconnect", user=user)
        if franchise is not None:
            _franchise_attach(franchise=franchise, connection=connection, user=user, restored=restored)
    kept = "new" if grant.refresh_token else "kept"
    logger.info("Google connection %s renewed (refresh token %s, %s franchises)", connection.pk, kept, len(restored))
    return connection


def _connection_for(grant: oauth.TokenGrant, franchise: Franchise | None) -> GoogleConnection:
    """The connection this grant renews, locked; a new one for an account seen for the first time."""
    if grant.google_user_id:
        found = (
            GoogleConnection.objects.select_for_update()
            .filter(google_user_id=grant.google_user_id, oauth_client_id=settings.GOOGLE_CLIENT_ID)
            .first()
        )
        if found is not None:
            return found
    if franchise is not None:
        current = Franchise.objects.filter(pk=franchise.pk).values_list("google_connection_id", flat=True).first()
        legacy = GoogleConnection.objects.select_for_update().filter(pk=current, google_user_id="").first()
        if legacy is not None:
            return legacy  # made before accounts were told apart: this consent says whose it is
    try:
        with transaction.atomic():
            return GoogleConnection.objects.create(
                google_user_id=grant.google_user_id, oauth_client_id=settings.GOOGLE_CLIENT_ID
            )
    except IntegrityError:  # the same account's first consent, finishing at the same moment
        return GoogleConnection.objects.select_for_update().get(
            google_user_id=grant.google_user_id, oauth_client_id=settings.GOOGLE_CLIENT_ID
        )


def _franchise_attach(
    *, franchise: Franchise, connection: GoogleConnection, user: AbstractBaseUser | None, restored: list
) -> None:
    locked = Franchise.objects.select_for_update().get(pk=franchise.pk)
    previous = locked.google_connection_id
    held = hold_key(locked)  # why its posts waited before this consent, if they did
    if previous != connection.pk:
        Franchise.objects.filter(pk=franchise.pk).update(
            google_connection=connection, google_connected_at=timezone.now(), updated_at=timezone.now()
        )
        connection_mirror(connection)
        _connection_drop_if_unused(previous)
    if previous is None:
        _events([franchise.pk], FranchiseEvent.Action.GOOGLE_CONNECTED, user, f"Through {connection}.")
    elif franchise.pk not in restored:
        _events([franchise.pk], FranchiseEvent.Action.GOOGLE_RECONNECTED, user, f"Through {connection}.")
    # Connected for the first time, or again through another Google account than the broken one.
    if held in ("not_connected", "reconnect") and franchise.pk not in restored:
        hold_ended_tell(franchise_ids=[franchise.pk], why=held, user=user)


def _connection_drop_if_unused(connection_id) -> None:
    """Forget a connection no franchise uses any more. Its grant is not revoked here: the same
    Google account may have just granted a new token, and a revoke ends the account's whole grant."""
    if connection_id is not None and not Franchise.objects.filter(google_connection_id=connection_id).exists():
        GoogleConnection.objects.filter(pk=connection_id).delete()


def _events(franchise_ids, action: str, user: AbstractBaseUser | None, detail: str) -> None:
    actor = user if user is not None and user.is_authenticated else None
    FranchiseEvent.objects.bulk_create(
        FranchiseEvent(franchise_id=pk, action=action, actor=actor, detail=detail[:500]) for pk in franchise_ids
    )


# --- locations -----------------------------------------------------------------------------------


def google_location_choices(
    *, connection: GoogleConnection, user: AbstractBaseUser | None = None
) -> list[AccountChoices]:
    """Every account the connection's Google user manages, each with all its locations, and which
    active franchise already publishes to each, named only to a `user` who may see it (raises
    business_profile errors). For someone who manages the connection (connection_managed_by)."""
    holders = location_holders(user=user)
    choices = []
    for account in business_profile.accounts_list(connection=connection):
        account_id = account["name"].removeprefix("accounts/")
        entry = AccountChoices(account_id, account.get("accountName") or account["name"])
        for location in business_profile.locations_list(connection=connection, account_id=account_id):
            choice = _location_choice(account_id, location)
            choice.held_by = holders.get(choice.key, "")
            entry.locations.append(choice)
        choices.append(entry)
    return choices


def _location_choice(account_id: str, location: dict) -> LocationChoice:
    address = location.get("storefrontAddress") or {}
    parts = [*(address.get("addressLines") or []), address.get("locality", ""), address.get("regionCode", "")]
    return LocationChoice(
        account_id=account_id,
        location_id=location["name"].rsplit("/", 1)[-1],
        title=location.get("title") or location["name"],
        address=", ".join(p for p in parts if p),
        city=address.get("locality", ""),
        rights=business_profile.posting_rights(location),
    )


def google_location_assigned(*, franchise: Franchise) -> list[AccountChoices]:
    """The one choice of an admin who does not manage the franchise's connection: the location
    assigned to it (none yet: no choice), without asking Google for the account's others."""
    if not franchise.google_location_id:
        return []
    location = LocationChoice(
        franchise.google_account_id, franchise.google_location_id, franchise.google_location_title, ""
    )
    return [AccountChoices(franchise.google_account_id, f"accounts/{franchise.google_account_id}", [location])]


def google_location_pick(
    *,
    franchise: Franchise,
    account_id: str,
    location_id: str,
    connection: GoogleConnection | None = None,
    user: AbstractBaseUser | None = None,
    title: str | None = None,
    rights: PostingRights | None = None,
) -> Franchise:
    """Point `franchise` at a location of `connection` (default: its own), after checking with
    Google that the account has it, unless the caller just listed it (`title` and the `rights`
    Google's metadata gave); refused when another active franchise publishes there, and (for a
    `user` who does not manage the connection: connection_managed_by) for any location but the one
    already assigned. Whether the location can take posts is kept (rights.py), so the franchise
    page says so at once."""
    connection = connection or franchise.google_connection
    if connection is None:
        raise GoogleConnectError("Connect the franchise to Google first.")
    assigned = (franchise.google_account_id, franchise.google_location_id) == (account_id, location_id)
    if user is not None and not assigned and not connection_managed_by(user=user, connection=connection):
        raise GoogleConnectError(
            f"Headquarters manages the locations of {connection}: ask headquarters to assign {franchise.name} "
            "another one, or connect a Google account of your own (Reconnect Google) to pick among its locations."
        )
    if title is None:
        for location in business_profile.locations_list(connection=connection, account_id=account_id):
            if location["name"].rsplit("/", 1)[-1] == location_id:
                title = location.get("title") or location["name"]
                rights = business_profile.posting_rights(location)
                break
        else:
            raise GoogleConnectError("That location is not in the Google account any more; pick again.")
    holder = (
        Franchise.objects.filter(is_active=True, google_account_id=account_id, google_location_id=location_id)
        .exclude(pk=franchise.pk)
        .values_list("pk", "name")
        .first()
    )
    if holder is not None:
        shown = user is None or franchises_for_user(user=user).filter(pk=holder[0]).exists()
        raise GoogleConnectError(
            f'"{title}" is already the location of {holder[1] if shown else ANOTHER_FRANCHISE}: pick another one.'
        )
    changed_location = (franchise.google_account_id, franchise.google_location_id) != (account_id, location_id)
    try:
        with transaction.atomic():
            locked = Franchise.objects.select_for_update().get(pk=franchise.pk)
            previous, had_location = locked.google_connection_id, bool(locked.google_location_id)
            Franchise.objects.filter(pk=franchise.pk).update(
                google_connection=connection,
                google_account_id=account_id,
                google_location_id=location_id,
                google_location_title=title[:300],
                google_connected_at=timezone.now() if previous != connection.pk else franchise.google_connected_at,
                updated_at=timezone.now(),
            )
            connection_mirror(connection)
            if previous != connection.pk:
                _connection_drop_if_unused(previous)
                action = FranchiseEvent.Action.GOOGLE_CONNECTED
                _events([franchise.pk], action, user, f"Through {connection}, to {title}.")
            elif changed_location:
                _events([franchise.pk], FranchiseEvent.Action.GOOGLE_LOCATION, user, f"Now {title}.")
            if rights is not None:
                posting_rights_record(franchise_id=franchise.pk, rights=rights, actor=user)
            elif changed_location:  # Google said nothing of this one: it may post until a check says not
                Franchise.objects.filter(pk=franchise.pk).update(
                    google_location_can_post=True, google_location_verified=True, google_location_checked_at=None
                )
            if not had_location:
                hold_ended_tell(franchise_ids=[franchise.pk], why="no_location", user=user)
    except IntegrityError:
        raise GoogleConnectError(f'"{title}" was just taken by another franchise: pick another one.') from None
    franchise.refresh_from_db()
    return franchise


def google_disconnect(*, franchise: Franchise, user: AbstractBaseUser | None = None) -> bool:
    """Take the franchise off Google: it forgets its connection and location. Posts stay.

    When no other franchise uses the connection, the grant is revoked at Google too (after the
    local change commits, so the franchise is disconnected even when Google cannot be reached);
    returns False when that revoke did not reach Google (the admin is told to remove the access
    by hand)."""
    with transaction.atomic():
        locked = Franchise.objects.select_for_update().get(pk=franchise.pk)
        connection_id = locked.google_connection_id
        Franchise.objects.filter(pk=franchise.pk).update(
            google_connection=None,
            google_refresh_token=None,
            google_access_token=None,
            google_token_expires_at=None,
            google_auth_valid=True,
            google_auth_error="",
            google_account_id="",
            google_location_id="",
            google_location_title="",
            google_location_can_post=True,
            google_location_verified=True,
            google_location_checked_at=None,
            google_connected_at=None,
            updated_at=timezone.now(),
        )
        if connection_id is not None:
            _events([franchise.pk], FranchiseEvent.Action.GOOGLE_DISCONNECTED, user, "")
        refresh_token = None
        unused = connection_id is not None and not Franchise.objects.filter(google_connection_id=connection_id).exists()
        if unused:
            connection = GoogleConnection.objects.get(pk=connection_id)
            refresh_token = connection.refresh_token
            connection.delete()
    franchise.refresh_from_db()
    if refresh_token is None:
        return True
    try:
        oauth.token_revoke(token=refresh_token)
    except oauth.OAuthError as exc:
        logger.warning("Revoking the Google grant of connection %s failed: %s", connection_id, exc)
        return False
    return True
