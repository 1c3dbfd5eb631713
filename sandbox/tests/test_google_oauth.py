"""The official Google client libraries against the sandbox's OAuth endpoints."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import google.auth.transport.requests
import httpx
import pytest
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import Flow

from sandbox.pytest_plugin import SandboxHandle

SCOPE = "https://www.googleapis.com/auth/business.manage"
REDIRECT = "http://127.0.0.1:9/oauth/callback"


def credentials(sandbox: SandboxHandle, refresh_token: str) -> Credentials:
    return Credentials(
        token=None,
        refresh_token=refresh_token,
        token_uri=f"{sandbox.url}/token",
        client_id=sandbox.client_id,
        client_secret=sandbox.client_secret,
    )


def make_flow(sandbox: SandboxHandle, **kwargs: object) -> Flow:
    config = {
        "web": {
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
            "auth_uri": f"{sandbox.url}/o/oauth2/v2/auth",
            "token_uri": f"{sandbox.url}/token",
        }
    }
    return Flow.from_client_config(config, scopes=[SCOPE], redirect_uri=REDIRECT, **kwargs)


def consent(url: str, decision: str = "allow") -> dict[str, list[str]]:
    """Open the consent page and press a button, like a browser would; return the redirect's query."""
    with httpx.Client(trust_env=False) as http:
        page = http.get(url)
        assert page.status_code == 200
        assert f'id="{decision}"' in page.text
        action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
        fields = {k: v.replace("&amp;", "&") for k, v in fields.items()}
        answer = http.post(str(page.url.join(action)), data={**fields, "decision": decision})
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(REDIRECT)
    return parse_qs(urlsplit(location).query)


def test_google_auth_credentials_refresh_gets_an_access_token(sandbox: SandboxHandle) -> None:
    creds = credentials(sandbox, sandbox.client.grant()["refresh_token"])
    creds.refresh(google.auth.transport.requests.Request())
    assert creds.token.startswith("ya29.")
    assert creds.valid


def test_refresh_after_revoke_raises_non_retryable_refresh_error(sandbox: SandboxHandle) -> None:
    refresh_token = sandbox.client.grant()["refresh_token"]
    assert sandbox.client.revoke(refresh_token) == 1
    with pytest.raises(RefreshError) as excinfo:
        credentials(sandbox, refresh_token).refresh(google.auth.transport.requests.Request())
    assert excinfo.value.retryable is False
    assert "invalid_grant" in str(excinfo.value)


def test_revoked_refresh_token_answers_googles_exact_invalid_grant(sandbox: SandboxHandle) -> None:
    refresh_token = sandbox.client.grant()["refresh_token"]
    httpx.post(f"{sandbox.url}/revoke", params={"token": refresh_token}, trust_env=False).raise_for_status()
    answer = httpx.post(
        f"{sandbox.url}/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(sandbox.client_id, sandbox.client_secret),  # HTTP Basic works as well as body credentials
        trust_env=False,
    )
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}


def test_revoke_of_unknown_token_is_invalid_token(sandbox: SandboxHandle) -> None:
    answer = httpx.post(f"{sandbox.url}/revoke", data={"token": "nope"}, trust_env=False)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_token"


def test_wrong_client_secret_is_invalid_client(sandbox: SandboxHandle) -> None:
    refresh_token = sandbox.client.grant()["refresh_token"]
    creds = credentials(sandbox, refresh_token)
    creds._client_secret = "wrong"
    with pytest.raises(RefreshError, match="invalid_client"):
        creds.refresh(google.auth.transport.requests.Request())


def test_flow_with_prompt_consent_returns_a_refresh_token(sandbox: SandboxHandle) -> None:
    flow = make_flow(sandbox)
    url, state = flow.authorization_url(access_type="offline", prompt="consent")
    query = consent(url)
    assert query["state"] == [state]
    token = flow.fetch_token(code=query["code"][0])
    assert token["refresh_token"].startswith("1//")
    assert token["scope"] == [SCOPE]
    # The refresh token works with google-auth afterwards.
    credentials(sandbox, token["refresh_token"]).refresh(google.auth.transport.requests.Request())


def test_second_consent_without_prompt_consent_returns_no_refresh_token(sandbox: SandboxHandle) -> None:
    first = make_flow(sandbox)
    first.fetch_token(code=consent(first.authorization_url(access_type="offline")[0])["code"][0])
    second = make_flow(sandbox)
    token = second.fetch_token(code=consent(second.authorization_url(access_type="offline")[0])["code"][0])
    assert token["access_token"]
    assert "refresh_token" not in token
    third = make_flow(sandbox)
    url = third.authorization_url(access_type="offline", prompt="consent")[0]
    assert "refresh_token" in third.fetch_token(code=consent(url)["code"][0])


def test_pkce_verifier_mismatch_is_rejected(sandbox: SandboxHandle) -> None:
    flow = make_flow(sandbox, code_verifier="a" * 64)
    code = consent(flow.authorization_url(access_type="offline", prompt="consent")[0])["code"][0]
    flow.code_verifier = "b" * 64
    with pytest.raises(Exception, match="invalid_grant"):
        flow.fetch_token(code=code)


def test_plain_pkce_is_accepted(sandbox: SandboxHandle) -> None:
    verifier = "v" * 50
    query = consent(
        f"{sandbox.url}/o/oauth2/v2/auth?client_id={sandbox.client_id}&redirect_uri={REDIRECT}"
        f"&response_type=code&scope={SCOPE}&access_type=offline&code_challenge={verifier}&code_challenge_method=plain"
    )
    data = {
        "grant_type": "authorization_code",
        "code": query["code"][0],
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
    }
    answer = httpx.post(f"{sandbox.url}/token", data=data, trust_env=False)
    assert answer.status_code == 200, answer.text
    # The code is single-use.
    again = httpx.post(f"{sandbox.url}/token", data=data, trust_env=False)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_deny_redirects_with_access_denied(sandbox: SandboxHandle) -> None:
    flow = make_flow(sandbox)
    url, state = flow.authorization_url(access_type="offline", prompt="consent")
    query = consent(url, decision="deny")
    assert query["error"] == ["access_denied"]
    assert query["state"] == [state]
    assert "code" not in query


def test_access_token_lifetime_is_configurable(sandbox: SandboxHandle) -> None:
    sandbox.client.set_access_token_lifetime(2)
    assert sandbox.client.grant()["expires_in"] <= 2
