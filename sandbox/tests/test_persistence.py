"""`--state-file`: data survives a restart, so `make run` keeps demo posts and connections."""

from __future__ import annotations

import httpx

from sandbox.client import SandboxClient
from sandbox.server import Sandbox

from .local_posts import POSTS, standard_post


def test_posts_and_tokens_survive_a_restart(tmp_path) -> None:
    path = str(tmp_path / "state.json")
    first = Sandbox(state_file=path).start()
    try:
        tokens = SandboxClient(first.url).grant()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        httpx.post(first.url + POSTS, json=standard_post("Kept"), headers=headers, trust_env=False).raise_for_status()
    finally:
        first.stop()
    second = Sandbox(state_file=path).start()
    try:
        assert [p["summary"] for p in SandboxClient(second.url).posts()] == ["Kept"]
        refreshed = httpx.post(
            f"{second.url}/token",
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            auth=(SandboxClient.client_id, SandboxClient.client_secret),
            trust_env=False,
        )
        assert refreshed.status_code == 200
    finally:
        second.stop()
