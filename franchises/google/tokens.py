"""Access tokens of a Google connection, shared by every franchise connected through it.

`google_access_token_get` is what every Google API call goes through:

1. Fail fast, with no network call, when the franchise has no connection or the connection's
   grant is known to be dead (`auth_valid` false).
2. Return the stored access token while more than GOOGLE_TOKEN_REFRESH_MARGIN_SECONDS of it remain.
3. Otherwise refresh it through google-auth: one refresh per connection however many franchises,
   threads and processes ask at once.
4. `invalid_grant` marks the connection invalid, records why, flags every franchise of it at
   once, emails each affected admin once (one email listing their franchises), and raises
   GoogleReauthorizationRequired. Network trouble raises GoogleTokenTransientError and leaves the
   flag alone. Every successful refresh sets the flag true.

One refresh at a time: a lease column, not a row lock. The refresh is an HTTP call that can take
up to three attempts of GOOGLE_HTTP_TIMEOUT_SECONDS each (google-auth retries 5xx); holding the
row locked that long would block every other write to it and breaks the project rule of no lock
across an outside call. Instead a caller claims `token_refresh_lease_until` with one conditional
UPDATE (free, or past its time), re-reads the token after claiming (someone may have just
refreshed), calls Google with nothing locked, and writes the result back only while it still
holds the lease. Callers that lose the claim poll the row until the lease holder writes a token
or gives up. A lease left by a dead process lapses after the worst-case refresh time.

The seed's monitoring queries read `franchises.google_refresh_token` and
`franchises.google_auth_valid`: `connection_mirror` copies the connection's state onto its
franchises in the same transaction as every change, so those columns stay true.

Call this outside `transaction.atomic()`: inside one, the lease UPDATE's row lock would last
until the caller's commit.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from gbp_scheduler import clock
from gbp_scheduler.events import EventType, event_announce
from gbp_scheduler.times import when_text

from ..models import Franchise, FranchiseEvent, GoogleConnection
from ..recipients import AdminEmail, franchise_admins_tell
from . import oauth

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.05


class GoogleReauthorizationRequired(Exception):
    """The Google grant is gone (or was never made): an admin must reconnect."""

    def __init__(self, franchise: Franchise | None, detail: str = "", *, who: str = "") -> None:
        self.franchise_id = franchise.pk if franchise is not None else None
        who = who or (f'"{franchise.name}"' if franchise is not None else "this Google connection")
        message = (
            f"Google access for {who} needs re-authorization: a franchise admin must reconnect the Google "
            "account on the franchise page."
        )
        super().__init__(f"{message} {detail}".strip())


class GoogleTokenTransientError(Exception):
    """The token endpoint failed for now (network, timeout, 5xx); try again later. The flag is untouched."""


def franchise_reconnect_url(*, franchise: Franchise) -> str:
    return f"{settings.SITE_URL}{reverse('franchises:detail', args=[franchise.pk])}"


# --- the mirror onto franchises -----------------------------------------------------------------


def connection_mirror(connection: GoogleConnection) -> int:
    """Copy the connection's state onto its franchises (the seed's columns); the rows updated."""
    return Franchise.objects.filter(google_connection=connection).update(
        google_refresh_token=connection.refresh_token,
        google_access_token=connection.access_token,
        google_token_expires_at=connection.token_expires_at,
        google_auth_valid=connection.auth_valid,
        google_auth_error=connection.auth_error,
    )


# --- getting a token ----------------------------------------------------------------------------


def google_access_token_get(
    *,
    franchise: Franchise,
    force_refresh: bool = False,
    rejected_token: str | None = None,
    deadline: float | None = None,
    just_read: bool = False,
) -> str:
    """A usable access token for the franchise's connection (see the module docstring). The
    franchise's own flag counts too: an operator who sets `franchises.google_auth_valid = false`
    by hand (the seed's runbook does) stops its calls at once. `just_read`: the caller read the
    franchise with its connection a moment ago and checked its flag in the same statement (the
    publish job's claim does): they are taken as they are, with no read of their own."""
    # The franchise's flag and its connection's token in one read.
    row = (
        franchise
        if just_read
        else (
            Franchise.objects.filter(pk=franchise.pk)
            .select_related("google_connection")
            .only("google_auth_valid", "google_auth_error", "google_connection")
            .first()
        )
    )
    if row is None or row.google_connection is None:
        raise GoogleReauthorizationRequired(franchise, "It is not connected to Google.")
    if not row.google_auth_valid:
        raise GoogleReauthorizationRequired(franchise, row.google_auth_error)
    return connection_access_token_get(
        connection=row.google_connection,
        force_refresh=force_refresh,
        rejected_token=rejected_token,
        franchise=franchise,
        just_read=True,
        deadline=deadline,
    )


def connection_access_token_get(
    *,
    connection: GoogleConnection,
    force_refresh: bool = False,
    rejected_token: str | None = None,
    franchise: Franchise | None = None,
    just_read: bool = False,
    deadline: float | None = None,
) -> str:
    """A usable access token of `connection` (read again first unless `just_read`); a refresh
    tries Google no more once the caller's `deadline` (time.monotonic()) has passed (QuotaDeadline).

    `force_refresh`: the caller's token was refused (a 401); get another unless a concurrent
    caller already replaced it. `rejected_token` names the refused token when the caller knows it
    (the Business Profile client does), so a token that changed in between is taken as it is.
    `franchise` only names the franchise in error messages.

    The connection may vanish meanwhile: its franchises were reconnected through another Google
    account, and the old connection, used by nobody, was dropped. That is a reason to try again
    with the new one, never a failure of the caller's post."""
    try:
        return _access_token_get(connection, force_refresh, rejected_token, franchise, just_read, deadline)
    except GoogleConnection.DoesNotExist:
        raise GoogleTokenTransientError(
            f"The Google connection of {_who(connection, franchise)} changed while this request was under way "
            "(reconnected, perhaps through another Google account); it will be tried again with the new one."
        ) from None


def _access_token_get(
    connection: GoogleConnection,
    force_refresh: bool,
    rejected_token: str | None,
    franchise: Franchise | None,
    just_read: bool,
    deadline: float | None,
) -> str:
    wait_until = time.monotonic() + oauth.refresh_worst_case_seconds() + 5.0  # for another's refresh
    if not just_read:
        connection.refresh_from_db()
    _fail_fast(connection, franchise)
    rejected = rejected_token or (connection.access_token if force_refresh else None)
    waited = False
    while True:
        if _usable(connection, rejected=rejected):
            return connection.access_token
        lease = _lease_claim(connection)
        if lease is not None:
            connection.refresh_from_db()  # someone may have refreshed just before the claim
            if _usable(connection, rejected=rejected) or not _connected_and_valid(connection):
                _lease_release(connection, lease)
                _fail_fast(connection, franchise)
                return connection.access_token
            return _refresh_holding_lease(connection, lease, franchise, deadline)
        if waited and connection.token_refresh_lease_until is None:
            # The lease we waited on was released without a usable token: that refresh failed
            # transiently. Do not hammer the token endpoint with every waiter in turn.
            raise GoogleTokenTransientError(
                f"Refreshing the Google access token of {_who(connection, franchise)} just failed; try again later."
            )
        if time.monotonic() > wait_until:
            raise GoogleTokenTransientError(
                f"Timed out waiting for another worker to refresh the Google token of {_who(connection, franchise)}."
            )
        time.sleep(POLL_SECONDS)
        waited = True
        connection.refresh_from_db()
        _fail_fast(connection, franchise)


def _who(connection: GoogleConnection, franchise: Franchise | None) -> str:
    if franchise is not None:
        return f'"{franchise.name}"'
    return connection.google_email or "this Google connection"


def _connected_and_valid(connection: GoogleConnection) -> bool:
    return connection.refresh_token is not None and connection.auth_valid


def _fail_fast(connection: GoogleConnection, franchise: Franchise | None) -> None:
    who = _who(connection, franchise)
    if connection.refresh_token is None:
        raise GoogleReauthorizationRequired(franchise, "It is not connected to Google.", who=who)
    if not connection.auth_valid:
        raise GoogleReauthorizationRequired(franchise, connection.auth_error, who=who)


def _usable(connection: GoogleConnection, *, rejected: str | None) -> bool:
    token, expires_at = connection.access_token, connection.token_expires_at
    if not token or expires_at is None or token == rejected:
        return False
    margin = dt.timedelta(seconds=settings.GOOGLE_TOKEN_REFRESH_MARGIN_SECONDS)
    return expires_at - clock.now() > margin


def _lease_claim(connection: GoogleConnection) -> dt.datetime | None:
    """Claim the refresh lease with one conditional UPDATE; its end time identifies the holder."""
    now = clock.now()
    until = now + dt.timedelta(seconds=oauth.refresh_worst_case_seconds())
    claimed = (
        GoogleConnection.objects.filter(pk=connection.pk, auth_valid=True, refresh_token__isnull=False)
        .filter(Q(token_refresh_lease_until__isnull=True) | Q(token_refresh_lease_until__lt=now))
        .update(token_refresh_lease_until=until)
    )
    return until if claimed else None


def _lease_release(connection: GoogleConnection, lease: dt.datetime) -> None:
    GoogleConnection.objects.filter(pk=connection.pk, token_refresh_lease_until=lease).update(
        token_refresh_lease_until=None
    )


def _refresh_holding_lease(
    connection: GoogleConnection, lease: dt.datetime, franchise: Franchise | None, deadline: float | None
) -> str:
    try:
        grant = oauth.access_token_refresh(refresh_token=connection.refresh_token, deadline=deadline)
    except oauth.OAuthInvalidGrant as exc:
        _auth_invalidate(connection, lease, detail=str(exc))
        raise GoogleReauthorizationRequired(franchise, connection.auth_error, who=_who(connection, franchise)) from None
    except oauth.OAuthError as exc:
        _lease_release(connection, lease)
        logger.warning("Google token refresh failed for connection %s: %s", connection.pk, exc)
        raise GoogleTokenTransientError(
            f"Google token refresh for {_who(connection, franchise)} failed: {exc}"
        ) from None
    except BaseException:
        _lease_release(connection, lease)
        raise
    with transaction.atomic():
        # Only while we still hold the lease: a reconnect in the meantime wrote newer tokens.
        held = GoogleConnection.objects.select_for_update().filter(pk=connection.pk, token_refresh_lease_until=lease)
        current = held.first()
        if current is None:
            connection.refresh_from_db()
            return grant.access_token
        current.access_token = grant.access_token
        current.token_expires_at = grant.expires_at
        current.auth_valid, current.auth_error = True, ""
        current.token_refresh_lease_until = None
        if grant.refresh_token:
            current.refresh_token = grant.refresh_token
        current.save(
            update_fields=[
                "access_token",
                "token_expires_at",
                "auth_valid",
                "auth_error",
                "token_refresh_lease_until",
                "refresh_token",
                "updated_at",
            ]
        )
        connection_mirror(current)
    connection.refresh_from_db()
    return grant.access_token


def auth_refused_reason(*, detail: str, at: dt.datetime) -> str:
    """Why a connection's access broke, as kept in `auth_error` (Google's own words in brackets)."""
    return (
        f"Google refused to refresh the access token on {when_text(at, dt.UTC, named=True)} ({detail}). The grant "
        "was revoked, expired after six months unused, or (while the OAuth app is in Testing) is older than "
        "seven days. Reconnect the Google account."
    )


def _auth_invalidate(connection: GoogleConnection, lease: dt.datetime, *, detail: str) -> None:
    now = timezone.now()
    reason = auth_refused_reason(detail=detail, at=now)
    with transaction.atomic():
        current = (
            GoogleConnection.objects.select_for_update()
            .filter(pk=connection.pk, token_refresh_lease_until=lease)
            .first()
        )
        if current is None:
            # A reconnect replaced the grant while we were refreshing: the new one stands.
            connection.refresh_from_db()
            raise GoogleTokenTransientError("The Google connection changed during a refresh; try again.")
        current.auth_valid, current.auth_error = False, reason
        current.access_token, current.token_expires_at = None, None
        current.token_refresh_lease_until = None
        first_breakage = current.auth_alerted_at is None
        if first_breakage:
            current.auth_alerted_at = now  # once per breakage: a reconnect clears it
        current.save()
        connection_mirror(current)
        franchise_ids = list(Franchise.objects.filter(google_connection=current).values_list("pk", flat=True))
        FranchiseEvent.objects.bulk_create(
            FranchiseEvent(franchise_id=pk, action=FranchiseEvent.Action.GOOGLE_REVOKED, detail=detail[:500])
            for pk in franchise_ids
        )
        for pk in franchise_ids:
            event_announce(type=EventType.GOOGLE_ACCESS_BROKEN, franchise_id=pk, data={"reason": reason})
        if first_breakage:
            transaction.on_commit(lambda: auth_invalid_emails_send(franchise_ids=franchise_ids))
    connection.refresh_from_db()
    logger.warning(
        "Google access of connection %s needs re-authorization (%s franchises): %s",
        connection.pk,
        len(franchise_ids),
        detail,
    )


def auth_invalid_emails_send(*, franchise_ids: list) -> None:
    """Tell each admin of the affected franchises once, in one email listing their franchises;
    franchises with no admin with an email go to the operators (ADMINS) in one email. The flag and
    reason are recorded and the dashboard shows them: a mail outage must not turn a handled auth
    failure into a crash."""
    franchise_admins_tell(
        franchise_ids=franchise_ids,
        email=AdminEmail.GOOGLE_BLOCKS_POSTING,
        message=_auth_invalid_message,
        about="invalid Google auth",
    )


def _auth_invalid_message(franchises: list[Franchise]) -> tuple[str, str]:
    first = franchises[0]
    if len(franchises) == 1:
        subject = f"Reconnect Google for {first.name}: scheduled posts are on hold"
    else:
        subject = f"Reconnect Google for {len(franchises)} franchises: scheduled posts are on hold"
    lines = "\n".join(f"- {f.name}: {franchise_reconnect_url(franchise=f)}" for f in franchises)
    body = (
        "Google no longer accepts this site's access to the Business Profile of:\n\n"
        f"{lines}\n\n"
        f"Why: {first.google_auth_error}\n\n"
        "Until an admin reconnects, scheduled posts for these franchises are not published. "
        "One reconnect through the same Google account restores all of them.\n"
    )
    return subject, body
