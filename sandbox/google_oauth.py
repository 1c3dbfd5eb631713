"""Google's OAuth 2.0 endpoints: consent page, /token, /revoke.

Behaviour copied from Google because the app depends on it: a refresh token comes back only
for offline access on the first consent of a client+user or when prompt=consent was asked;
a dead refresh token answers 400 invalid_grant with Google's exact description; revoking an
access token revokes its grant.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import time
from urllib.parse import urlencode, urlsplit

from .state import SANDBOX_USER, AccessToken, AuthCode, State
from .wire import HTTPError, Request, Response, html_response, json_response, redirect

CODE_LIFETIME = 600
INVALID_GRANT = {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}


def _oauth_error(status: int, error: str, description: str) -> HTTPError:
    return HTTPError(json_response(status, {"error": error, "error_description": description}))


def _error_page(status: int, title: str, detail: str) -> HTTPError:
    page = (
        f"<!doctype html><title>{html.escape(title)}</title><h1>{html.escape(title)}</h1><p>{html.escape(detail)}</p>"
    )
    return HTTPError(html_response(status, page))


def _check_redirect(state: State, client_id: str, redirect_uri: str) -> None:
    client = state.clients.get(client_id)
    if client is None:
        raise _error_page(401, "Error 401: invalid_client", "The OAuth client was not found.")
    if urlsplit(redirect_uri).scheme not in ("http", "https"):
        raise _error_page(400, "Error 400: invalid_request", "Invalid redirect_uri.")
    if client.redirect_uris and redirect_uri not in client.redirect_uris:
        raise _error_page(400, "Error 400: redirect_uri_mismatch", f"{redirect_uri} is not registered.")


# Parameters carried from the consent page to its form submission unchanged.
CARRIED = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "access_type",
    "prompt",
    "code_challenge",
    "code_challenge_method",
    "login_hint",
)


def consent_page(state: State, req: Request) -> Response:
    q = req.query
    with state.lock:
        _check_redirect(state, q.get("client_id", ""), q.get("redirect_uri", ""))
    if q.get("response_type") != "code":
        raise _error_page(400, "Error 400: unsupported_response_type", "response_type must be code.")
    if not q.get("scope"):
        raise _error_page(400, "Error 400: invalid_request", "Missing required parameter: scope")
    hidden = "\n".join(
        f'<input type="hidden" name="{name}" value="{html.escape(q[name])}">' for name in CARRIED if name in q
    )
    scopes = "".join(f"<li>{html.escape(s)}</li>" for s in q["scope"].split())
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Sign in - Google Accounts (sandbox)</title>
<style>body{{font-family:sans-serif;max-width:32rem;margin:3rem auto}}
button{{padding:.5rem 1.5rem;margin-right:1rem}}</style>
</head><body>
<h1>Sandbox Google: grant access?</h1>
<p><strong id="client">{html.escape(q["client_id"])}</strong> wants to access your Google Account
<strong>{SANDBOX_USER}</strong>:</p>
<ul id="scopes">{scopes}</ul>
<form method="post" action="/o/oauth2/v2/auth">
{hidden}
<button type="submit" id="deny" name="decision" value="deny">Deny</button>
<button type="submit" id="allow" name="decision" value="allow">Allow</button>
</form></body></html>"""
    return html_response(200, page)


def consent_submit(state: State, req: Request) -> Response:
    form = req.form()
    client_id, redirect_uri = form.get("client_id", ""), form.get("redirect_uri", "")
    scope = form.get("scope", "")
    with state.lock:
        _check_redirect(state, client_id, redirect_uri)
        params: dict[str, str] = {}
        if form.get("decision") != "allow":
            params["error"] = "access_denied"
        else:
            key = (client_id, SANDBOX_USER)
            first_consent = key not in state.consented
            state.consented.add(key)
            offline = form.get("access_type") == "offline"
            forced = "consent" in form.get("prompt", "").split()
            code = "4/sandbox-" + secrets.token_urlsafe(24)
            state.codes[code] = AuthCode(
                code=code,
                client_id=client_id,
                redirect_uri=redirect_uri,
                scope=scope,
                user=SANDBOX_USER,
                challenge=form.get("code_challenge", ""),
                challenge_method=form.get("code_challenge_method", "plain") or "plain",
                issue_refresh=offline and (first_consent or forced),
                expires_at=time.time() + CODE_LIFETIME,
            )
            params.update(code=code, scope=scope)
    if "state" in form:
        params["state"] = form["state"]
    sep = "&" if urlsplit(redirect_uri).query else "?"
    return redirect(redirect_uri + sep + urlencode(params))


def _client_credentials(req: Request, form: dict[str, str]) -> tuple[str, str]:
    auth = req.headers.get("Authorization", "")
    if auth.lower().startswith("basic "):
        try:
            raw = base64.b64decode(auth[6:]).decode("utf-8")
        except ValueError as exc:
            raise _oauth_error(401, "invalid_client", "Unauthorized") from exc
        client_id, _, secret = raw.partition(":")
        return client_id, secret
    return form.get("client_id", ""), form.get("client_secret", "")


def _pkce_ok(verifier: str, challenge: str, method: str) -> bool:
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    else:
        computed = verifier
    return secrets.compare_digest(computed, challenge)


def _token_body(access: AccessToken, refresh: str | None, *, id_token: bool = False) -> dict[str, object]:
    body: dict[str, object] = {
        "access_token": access.token,
        "expires_in": max(0, int(access.expires_at - time.time())),
        "scope": access.scope,
        "token_type": "Bearer",
    }
    if refresh:
        body["refresh_token"] = refresh
    if id_token and "openid" in access.scope.split():
        body["id_token"] = id_token_for(access.user, access.client_id)
    return body


def user_subject(user: str) -> str:
    """A Google account's stable OpenID subject: digits, like Google's."""
    return str(int(hashlib.sha256(user.encode()).hexdigest(), 16))[:21]


def id_token_for(user: str, client_id: str) -> str:
    """An ID token shaped like Google's (header.claims.signature). The signature is a stand-in:
    clients that receive it straight from the token endpoint need not check it."""

    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {
        "iss": "https://accounts.google.com",
        "aud": client_id,
        "sub": user_subject(user),
        "email": user,
        "email_verified": True,
        "iat": now,
        "exp": now + 3600,
    }
    return f"{part({'alg': 'RS256', 'kid': 'sandbox', 'typ': 'JWT'})}.{part(claims)}.c2FuZGJveA"


def token(state: State, req: Request) -> Response:
    form = req.form()
    client_id, secret = _client_credentials(req, form)
    with state.lock:
        client = state.clients.get(client_id)
        if client is None:
            raise _oauth_error(401, "invalid_client", "The OAuth client was not found.")
        if not secrets.compare_digest(client.client_secret, secret):
            raise _oauth_error(401, "invalid_client", "Unauthorized")
        grant_type = form.get("grant_type", "")
        if grant_type == "authorization_code":
            return json_response(200, _exchange_code(state, client_id, form))
        if grant_type == "refresh_token":
            rt = state.refresh_tokens.get(form.get("refresh_token", ""))
            if rt is None or rt.revoked or rt.client_id != client_id:
                return json_response(400, INVALID_GRANT)
            access = state.issue_access_token(client_id, rt.user, rt.scope, rt.token)
            return json_response(200, _token_body(access, None))
    raise _oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")


def _exchange_code(state: State, client_id: str, form: dict[str, str]) -> dict[str, object]:
    # Codes are single-use: pop first, so a failed check still burns it (as Google does).
    code = state.codes.pop(form.get("code", ""), None)
    if code is None or code.client_id != client_id or code.expires_at < time.time():
        raise _oauth_error(400, "invalid_grant", "Malformed auth code.")
    if form.get("redirect_uri", "") != code.redirect_uri:
        raise _oauth_error(400, "redirect_uri_mismatch", "Bad Request")
    if code.challenge:
        verifier = form.get("code_verifier", "")
        if not verifier:
            raise _oauth_error(400, "invalid_grant", "Missing code verifier.")
        if not _pkce_ok(verifier, code.challenge, code.challenge_method):
            raise _oauth_error(400, "invalid_grant", "Invalid code verifier.")
    refresh = state.issue_refresh_token(client_id, code.user, code.scope).token if code.issue_refresh else None
    access = state.issue_access_token(client_id, code.user, code.scope, refresh)
    return _token_body(access, refresh, id_token=True)


def revoke(state: State, req: Request) -> Response:
    value = req.query.get("token") or req.form().get("token", "")
    with state.lock:
        if not revoke_token(state, value):
            return json_response(400, {"error": "invalid_token", "error_description": "Token expired or revoked"})
    return json_response(200, {})


def revoke_token(state: State, value: str) -> bool:
    """Revoke a refresh or access token; an access token takes its whole grant with it."""
    rt = state.refresh_tokens.get(value)
    if rt is not None and not rt.revoked:
        state.revoke_refresh(rt)
        return True
    access = state.access_tokens.get(value)
    if access is not None and not access.revoked:
        access.revoked = True
        if access.refresh_token and access.refresh_token in state.refresh_tokens:
            state.revoke_refresh(state.refresh_tokens[access.refresh_token])
        return True
    return False


def grant(state: State, client_id: str, scope: str, user: str = SANDBOX_USER) -> dict[str, object]:
    """Control-API shortcut: a connected grant of `user` without the browser dance; also says
    who granted it (`google_user_id`, `email`), as an ID token would."""
    with state.lock:
        if client_id not in state.clients:
            raise ValueError(f"unknown client {client_id!r}")
        state.consented.add((client_id, user))
        refresh = state.issue_refresh_token(client_id, user, scope)
        access = state.issue_access_token(client_id, user, scope, refresh.token)
        return {**_token_body(access, refresh.token), "google_user_id": user_subject(user), "email": user}
