"""Injected faults, seen by each official client the way the real service would show them."""

from __future__ import annotations

import concurrent.futures

import anthropic
import google.auth.transport.requests
import httpx
import pytest
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials

from sandbox.pytest_plugin import SandboxHandle

from .local_posts import POSTS, standard_post


def ask(client: anthropic.Anthropic) -> anthropic.types.Message:
    return client.messages.create(
        model="claude-haiku-4-5", max_tokens=100, messages=[{"role": "user", "content": "Hello"}]
    )


@pytest.fixture
def claude(sandbox: SandboxHandle) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=sandbox.url, api_key=sandbox.anthropic_key, max_retries=0, timeout=5)


def test_anthropic_429_is_rate_limit_error_with_retry_after(
    claude: anthropic.Anthropic, sandbox: SandboxHandle
) -> None:
    sandbox.client.fail("messages", 429, retry_after=7)
    with pytest.raises(anthropic.RateLimitError) as excinfo:
        ask(claude)
    assert excinfo.value.response.headers["retry-after"] == "7"
    assert excinfo.value.body["error"]["type"] == "rate_limit_error"
    assert excinfo.value.request_id.startswith("req_")
    assert ask(claude).content  # only the queued call failed


def test_anthropic_529_is_overloaded(claude: anthropic.Anthropic, sandbox: SandboxHandle) -> None:
    sandbox.client.fail("messages", 529)
    with pytest.raises(anthropic.InternalServerError) as excinfo:
        ask(claude)
    assert excinfo.value.status_code == 529
    assert excinfo.value.body["error"]["type"] == "overloaded_error"


def test_anthropic_500_is_api_error(claude: anthropic.Anthropic, sandbox: SandboxHandle) -> None:
    sandbox.client.fail("models", 500)
    with pytest.raises(anthropic.InternalServerError) as excinfo:
        claude.models.list()
    assert excinfo.value.body["error"]["type"] == "api_error"


def test_anthropic_hang_is_a_timeout_for_the_sdk(sandbox: SandboxHandle) -> None:
    sandbox.client.hang("messages", seconds=3)
    client = anthropic.Anthropic(base_url=sandbox.url, api_key=sandbox.anthropic_key, max_retries=0, timeout=0.5)
    with pytest.raises(anthropic.APITimeoutError):
        ask(client)
    assert sandbox.client.calls("messages", "hang") == 1


def test_sdk_retries_through_a_transient_failure(sandbox: SandboxHandle) -> None:
    sandbox.client.fail("messages", 529, times=1)
    client = anthropic.Anthropic(base_url=sandbox.url, api_key=sandbox.anthropic_key, max_retries=2, timeout=5)
    assert ask(client).content
    assert sandbox.client.calls("messages", 529) == 1 and sandbox.client.calls("messages", 200) == 1


def test_google_faults_use_googles_error_shape(gbp: httpx.Client, sandbox: SandboxHandle) -> None:
    sandbox.client.fail("posts.create", 503)
    sandbox.client.fail("posts.list", 429, retry_after=3)
    created = gbp.post(POSTS, json=standard_post())
    assert created.status_code == 503
    assert created.json()["error"]["status"] == "UNAVAILABLE"
    listed = gbp.get(POSTS)
    assert listed.status_code == 429
    assert listed.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert listed.headers["retry-after"] == "3"
    assert sandbox.client.posts() == []  # a failed create created nothing


def test_hang_is_a_read_timeout_for_httpx(gbp: httpx.Client, sandbox: SandboxHandle) -> None:
    sandbox.client.hang("posts.list", seconds=3)
    with pytest.raises(httpx.ReadTimeout):
        gbp.get(POSTS, timeout=0.5)
    assert gbp.get(POSTS).status_code == 200


def test_hang_after_commit_creates_the_post_and_withholds_the_answer(gbp: httpx.Client, sandbox: SandboxHandle) -> None:
    sandbox.client.hang("posts.create", seconds=3, after_commit=True)
    with pytest.raises(httpx.ReadTimeout):
        gbp.post(POSTS, json=standard_post("Answer withheld"), timeout=0.5)
    assert [p["summary"] for p in sandbox.client.posts()] == ["Answer withheld"]


def test_dropped_connection_after_create_still_created_the_post(gbp: httpx.Client, sandbox: SandboxHandle) -> None:
    sandbox.client.drop("posts.create", after_commit=True)
    with pytest.raises(httpx.RemoteProtocolError):
        gbp.post(POSTS, json=standard_post("Outcome unknown"))
    created = sandbox.client.posts()
    assert [p["summary"] for p in created] == ["Outcome unknown"]
    # What a reconciling publisher would find on Google:
    assert gbp.get(POSTS).json()["localPosts"][0]["summary"] == "Outcome unknown"
    assert sandbox.client.calls("posts.create", "drop") == 1


def test_drop_before_commit_creates_nothing(gbp: httpx.Client, sandbox: SandboxHandle) -> None:
    sandbox.client.drop("posts.create", after_commit=False)
    with pytest.raises(httpx.RemoteProtocolError):
        gbp.post(POSTS, json=standard_post())
    assert sandbox.client.posts() == []


def test_token_endpoint_500_is_a_retryable_refresh_error(sandbox: SandboxHandle) -> None:
    refresh_token = sandbox.client.grant()["refresh_token"]
    sandbox.client.fail("token", 500, times=5)  # google-auth retries a few times by itself
    creds = Credentials(
        token=None,
        refresh_token=refresh_token,
        token_uri=f"{sandbox.url}/token",
        client_id=sandbox.client_id,
        client_secret=sandbox.client_secret,
    )
    with pytest.raises(RefreshError) as excinfo:
        creds.refresh(google.auth.transport.requests.Request())
    assert excinfo.value.retryable is True


def test_chaos_is_reproducible_with_the_same_seed(gbp: httpx.Client, sandbox: SandboxHandle) -> None:
    mix = [{"action": "status", "status": 500}, {"action": "status", "status": 503}]

    def run() -> list[int]:
        sandbox.client.chaos("posts.list", 0.5, seed=42, mix=mix)
        return [gbp.get(POSTS).status_code for _ in range(30)]

    first, second = run(), run()
    assert first == second
    assert {200, 500, 503} == set(first)
    sandbox.client.chaos("posts.list", 0)
    assert all(gbp.get(POSTS).status_code == 200 for _ in range(10))


def test_latency_delays_a_route(gbp: httpx.Client, sandbox: SandboxHandle) -> None:
    sandbox.client.latency(0.6, route="accounts")
    with pytest.raises(httpx.ReadTimeout):
        gbp.get("/v1/accounts", timeout=0.3)
    sandbox.client.clear_faults()
    assert gbp.get("/v1/accounts", timeout=0.3).status_code == 200


def test_many_concurrent_publishers_each_create_exactly_their_posts(sandbox: SandboxHandle, access_token: str) -> None:
    def publish(worker: int) -> list[str]:
        headers = {"Authorization": f"Bearer {access_token}"}
        with httpx.Client(base_url=sandbox.url, headers=headers, trust_env=False, timeout=10) as client:
            return [
                client.post(POSTS, json=standard_post(f"w{worker} p{i}")).raise_for_status().json()["name"]
                for i in range(15)
            ]

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        names = [name for batch in pool.map(publish, range(8)) for name in batch]
    assert len(names) == len(set(names)) == 120
    assert len(sandbox.client.posts()) == 120
    assert sandbox.client.calls("posts.create", 200) == 120


def test_unknown_route_kind_is_refused_by_the_control_api(sandbox: SandboxHandle) -> None:
    from sandbox.client import SandboxError

    with pytest.raises(SandboxError, match="unknown route kind"):
        sandbox.client.fail("posts.publish", 500)
