"""docs/api.md's five-minute example, run as written against a live server with a real key, and
its webhook received from the deliver-webhooks job's cron URL, which a thread calls meanwhile."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import httpx
import pytest

from api.keys import api_key_create
from franchises.models import Membership
from gbp_scheduler.events import EventType
from posts.models import Post
from testkit.factories import make_member
from testkit.google import franchise_connected_to_sandbox
from webhooks.models import Delivery
from webhooks.services import subscription_create

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def _examples() -> tuple[str, str]:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    [api] = [b for b in blocks if "BASE =" in b]
    [webhook] = [b for b in blocks if "SECRET =" in b]
    return api, webhook


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cron:
    """Vercel Cron's part: deliver-webhooks called again and again until stopped."""

    def __init__(self, url: str, secret: str) -> None:
        self.url, self.secret = f"{url}/api/cron/deliver-webhooks", secret
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stopped.wait(0.2):
            httpx.get(self.url, headers={"Authorization": f"Bearer {self.secret}"}, timeout=30)

    def __enter__(self) -> Cron:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        self.thread.join(30)


@pytest.mark.django_db(transaction=True)
def test_the_docs_example_runs_as_written(live_server, sandbox, settings, capsys):
    settings.PUBLISH_CONCURRENCY = 1
    franchise = franchise_connected_to_sandbox(sandbox, name="Sourdough Corner")
    user = make_member(franchise, Membership.Role.STAFF)
    _, secret = api_key_create(user=user, name="Docs", scope="write")
    port = _free_port()
    subscription = subscription_create(
        user=None,
        franchise=franchise,
        url=f"http://127.0.0.1:{port}/hooks",
        event_types=[EventType.POST_PUBLISHED],
    )
    api, webhook = _examples()
    api = re.sub(r'^BASE = ".*?"', f'BASE = "{live_server.url}/api/v1"', api, flags=re.M)
    api = re.sub(r'^KEY = ".*?"', f'KEY = "{secret}"', api, flags=re.M)
    webhook = re.sub(r'^SECRET = ".*?"', f'SECRET = "{subscription.secret}"', webhook, flags=re.M)
    webhook = re.sub(r"^PORT = \d+", f"PORT = {port}", webhook, flags=re.M)
    scope: dict = {}
    exec(compile(api, str(DOC), "exec"), scope)
    assert capsys.readouterr().out.strip() == "scheduled"
    post = Post.objects.get()
    assert post.status == Post.Status.SCHEDULED and post.summary == "Fresh sourdough every morning from 7."

    with Cron(live_server.url, settings.CRON_SECRET):
        exec(compile(webhook, str(DOC), "exec"), scope)
    assert capsys.readouterr().out.strip() == "post.published True"
    assert Delivery.objects.get().status == Delivery.Status.DELIVERED

    # Run again: the Idempotency-Keys make it create and schedule nothing new.
    exec(compile(api, str(DOC), "exec"), {})
    assert Post.objects.count() == 1
