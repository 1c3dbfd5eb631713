"""Google's OAuth 2.0 endpoints (consent URL, /token, /revoke): the only module that calls them.

Built on google-auth-oauthlib's `Flow` (the web consent flow, PKCE) and google-auth's
`Credentials` (refresh). Every endpoint URL comes from `settings.GOOGLE_API_BASE_URL` when it is
set (the local sandbox), else Google's real hosts. Every call has a timeout. Wire errors become a
few exceptions of this module; `tokens` turns them into what the rest of the app sees.

HTTP here is `requests`, because google-auth and google-auth-oauthlib are built on it (the
revoke call uses it too, so OAuth has one HTTP library). The Business Profile API client uses
httpx instead, for one pooled client that is safe to share between a run's threads.

The Google libraries are imported inside the functions that use them: they cost about half a
second, and most requests (pages, health checks, cold starts) never call Google.

Nothing here logs or raises a token: requests-oauthlib logs whole token requests and answers
(client secret, code, tokens) at DEBUG, so its loggers are held at INFO below.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os
import time
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings

from gbp_scheduler import clock

from .quota import QuotaDeadline

if TYPE_CHECKING:
    from google_auth_oauthlib.flow import Flow

SCOPE = "https://www.googleapis.com/auth/business.manage"
# Who granted it: OpenID's `sub` (and the email, to show) identify the Google account, so that
# every consent through one account reuses one connection (Google keeps 100 live refresh tokens
# per account and client).
IDENTITY_SCOPES = ["openid", "https://www.googleapis.com/auth/userinfo.email"]
GOOGLE_AUTH_URI = "https://accounts.google.com/o/oauth2/v2/auth"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
GOOGLE_REVOKE_URI = "https://oauth2.googleapis.com/revoke"
# google-auth tries the token endpoint up to 3 times on 5xx/429 with ~1 s, ~2 s backoff.
REFRESH_ATTEMPTS = 3

for _name in ("requests_oauthlib", "oauthlib"):
    logging.getLogger(_name).setLevel(logging.INFO)


class OAuthError(Exception):
    """Base of this module's errors. Messages never contain a token, code or secret."""


class OAuthInvalidGrant(OAuthError):
    """Google rejected the grant for good (revoked, expired, 7-day Testing expiry, bad code)."""


class OAuthTransientError(OAuthError):
    """Network error, timeout, 429 or 5xx: try again later."""


class OAuthConfigError(OAuthError):
    """Our OAuth client is misconfigured (invalid_client, unauthorized_client): an operator must fix it."""


@dataclass(frozen=True)
class Endpoints:
    auth_uri: str
    token_uri: str
    revoke_uri: str


@dataclass(frozen=True)
class TokenGrant:
    access_token: str
    expires_at: dt.datetime
    refresh_token: str | None  # only on first consent or with prompt=consent
    scopes: tuple[str, ...]
    google_user_id: str = ""  # OpenID `sub` of the consenting Google account (code exchange only)
    email: str = ""


def endpoints() -> Endpoints:
    base = settings.GOOGLE_API_BASE_URL
    if base:
        return Endpoints(f"{base}/o/oauth2/v2/auth", f"{base}/token", f"{base}/revoke")
    return Endpoints(GOOGLE_AUTH_URI, GOOGLE_TOKEN_URI, GOOGLE_REVOKE_URI)


def timeout_seconds() -> float:
    return settings.GOOGLE_HTTP_TIMEOUT_SECONDS


def refresh_worst_case_seconds() -> float:
    """How long one refresh can take: every attempt timing out, plus google-auth's backoff."""
    return REFRESH_ATTEMPTS * timeout_seconds() + 10.0


def _allow_http_loopback(uri: str) -> None:
    # oauthlib refuses http:// endpoints. The only http Google we talk to is a sandbox on this
    # machine (a demo run, a test); allow exactly that case and nothing else.
    parts = urlsplit(uri)
    if parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1"):
        os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")


def _flow(*, redirect_uri: str, state: str | None = None, code_verifier: str | None = None) -> Flow:
    from google_auth_oauthlib.flow import Flow

    urls = endpoints()
    _allow_http_loopback(urls.token_uri)
    config = {
        "web": {
            "client_id": settings.GOOGLE_CLIENT_ID,
            "client_secret": settings.GOOGLE_CLIENT_SECRET,
            "auth_uri": urls.auth_uri,
            "token_uri": urls.token_uri,
        }
    }
    return Flow.from_client_config(
        config, scopes=[SCOPE, *IDENTITY_SCOPES], redirect_uri=redirect_uri, state=state, code_verifier=code_verifier
    )


def authorization_url_build(*, redirect_uri: str) -> tuple[str, str, str]:
    """The consent URL, its `state` and the PKCE `code_verifier` (keep both for the callback).

    `access_type=offline` and `prompt=consent` make Google return a refresh token every time,
    not only on the first consent of this client and user.
    """
    flow = _flow(redirect_uri=redirect_uri)
    url, state = flow.authorization_url(access_type="offline", prompt="consent")
    return url, state, flow.code_verifier


def code_exchange(*, code: str, redirect_uri: str, code_verifier: str) -> TokenGrant:
    """Trade the callback's code for tokens (PKCE-checked by Google)."""
    import requests
    from oauthlib.oauth2.rfc6749.errors import OAuth2Error

    flow = _flow(redirect_uri=redirect_uri, code_verifier=code_verifier)
    try:
        token = flow.fetch_token(code=code, timeout=timeout_seconds())
    except Warning as exc:
        # oauthlib raises a Warning when fewer scopes came back than asked: the person unticked
        # the Business Profile permission on Google's consent screen.
        raise OAuthInvalidGrant(
            "Google did not grant permission to manage the Business Profile. Connect again and "
            "keep the 'See, edit, create and delete your Google business listings' box ticked."
        ) from exc
    except OAuth2Error as exc:
        raise _exchange_error(exc) from exc
    except requests.RequestException as exc:
        raise OAuthTransientError(f"Google's token endpoint could not be reached ({type(exc).__name__}).") from exc
    scopes = token.get("scope") or []
    if isinstance(scopes, str):
        scopes = scopes.split()
    if SCOPE not in scopes:
        raise OAuthInvalidGrant(
            "Google did not grant permission to manage the Business Profile. Connect again and allow it."
        )
    identity = _id_token_claims(token.get("id_token"))
    return TokenGrant(
        access_token=token["access_token"],
        expires_at=_expiry_from_seconds(token.get("expires_in")),
        refresh_token=token.get("refresh_token") or None,
        scopes=tuple(scopes),
        google_user_id=str(identity.get("sub") or ""),
        email=str(identity.get("email") or ""),
    )


def _id_token_claims(id_token: str | None) -> dict:
    """The claims of the ID token that came with the code exchange.

    Its signature is not checked: it came straight from Google's token endpoint over TLS, in
    answer to our own authenticated request, which OpenID Connect Core 1.0 (section 3.1.3.7)
    accepts in place of the signature. It is only used to tell Google accounts apart."""
    if not id_token or id_token.count(".") != 2:
        return {}
    payload = id_token.split(".")[1]
    try:
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, TypeError):
        return {}


def _exchange_error(exc) -> OAuthError:
    """An oauthlib OAuth2Error as one of ours."""
    detail = f"{exc.error}: {exc.description}" if exc.description else exc.error
    if exc.error in ("invalid_grant", "access_denied", "invalid_scope"):
        return OAuthInvalidGrant(f"Google refused the sign-in ({detail}). Please connect again.")
    if exc.error in ("server_error", "temporarily_unavailable") or (exc.status_code or 0) >= 500:
        return OAuthTransientError(f"Google's token endpoint is unavailable ({detail}). Try again in a minute.")
    return OAuthConfigError(
        f"Google rejected this site's OAuth client ({detail}): check GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET "
        "and the redirect URI registered for the client."
    )


@cache
def _timeout_request_class():
    """google-auth's requests transport, with our timeout instead of its 120 s default, and a
    deadline: google-auth tries the token endpoint up to three times, backing off in between, and
    no attempt starts (or outlasts) the caller's deadline (a time.monotonic() value)."""
    import google.auth.transport.requests

    class TimeoutRequest(google.auth.transport.requests.Request):
        def __init__(self, session=None, deadline: float | None = None):
            super().__init__(session)
            self.deadline = deadline

        def __call__(self, url, method="GET", body=None, headers=None, timeout=None, **kwargs):
            timeout = timeout or timeout_seconds()
            if self.deadline is not None:
                left = self.deadline - time.monotonic()
                if left <= 0:
                    raise QuotaDeadline  # the caller's run has no time left for another try
                timeout = min(timeout, left)
            return super().__call__(url, method=method, body=body, headers=headers, timeout=timeout, **kwargs)

    return TimeoutRequest


def access_token_refresh(*, refresh_token: str, deadline: float | None = None) -> TokenGrant:
    """A new access token from a refresh token, through google-auth's Credentials; raises
    QuotaDeadline rather than try again past `deadline`."""
    import google.auth.exceptions
    import requests
    from google.oauth2.credentials import Credentials

    credentials = Credentials(
        token=None,
        refresh_token=refresh_token,
        token_uri=endpoints().token_uri,
        client_id=settings.GOOGLE_CLIENT_ID,
        client_secret=settings.GOOGLE_CLIENT_SECRET,
    )
    with requests.Session() as session:
        try:
            credentials.refresh(_timeout_request_class()(session, deadline))
        except google.auth.exceptions.RefreshError as exc:
            raise _refresh_error(exc) from None  # `from None`: the cause's args hold Google's raw body
        except google.auth.exceptions.TransportError as exc:
            cause = exc.__cause__ or exc.__context__
            kind = type(cause).__name__ if cause else "transport error"
            raise OAuthTransientError(
                f"Google's token endpoint did not answer ({kind}, timeout {timeout_seconds():g} s)."
            ) from None
    # google-auth works the expiry out on this process's clock; it is compared on the database's.
    expires_at = (
        clock.from_process(credentials.expiry.replace(tzinfo=dt.UTC))
        if credentials.expiry
        else _expiry_from_seconds(None)
    )
    # Google may (rarely) rotate the refresh token; Credentials keeps the new one if it came.
    rotated = credentials.refresh_token if credentials.refresh_token != refresh_token else None
    return TokenGrant(access_token=credentials.token, expires_at=expires_at, refresh_token=rotated, scopes=())


def _refresh_error(exc) -> OAuthError:
    """google-auth's RefreshError as one of ours."""
    data = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
    error = str(data.get("error") or "")
    description = str(data.get("error_description") or "")
    detail = f"{error}: {description}" if description else error or "no JSON error body"
    if error == "invalid_grant":
        return OAuthInvalidGrant(detail)
    if exc.retryable or error in ("temporarily_unavailable", "internal_failure", "server_error", "rate_limit_exceeded"):
        return OAuthTransientError(f"Google's token endpoint failed ({detail}).")
    if error in ("invalid_client", "unauthorized_client", "unsupported_grant_type"):
        return OAuthConfigError(
            f"Google rejected this site's OAuth client ({detail}): check GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET."
        )
    # Anything else (an HTML page from a proxy, an unexpected body) is treated as passing trouble.
    return OAuthTransientError(f"Google's token endpoint answered unexpectedly ({detail}).")


def token_revoke(*, token: str) -> bool:
    """Revoke a refresh token (and its access tokens) at Google. False if Google says it was already dead.

    The token goes in the form body, never the URL, so it cannot land in access logs.
    """
    import requests

    try:
        answer = requests.post(endpoints().revoke_uri, data={"token": token}, timeout=timeout_seconds())
    except requests.RequestException as exc:
        raise OAuthTransientError(f"Google's revoke endpoint could not be reached ({type(exc).__name__}).") from None
    if answer.status_code == 200:
        return True
    if answer.status_code == 400:
        return False  # invalid_token: expired or revoked already, which is what we wanted
    raise OAuthTransientError(f"Google's revoke endpoint answered HTTP {answer.status_code}.")


def _expiry_from_seconds(expires_in: object) -> dt.datetime:
    try:
        seconds = int(expires_in)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        seconds = 0  # unknown lifetime: treat as expired so the next use refreshes
    return clock.now() + dt.timedelta(seconds=seconds)  # compared with the same clock (tokens.py)
