"""docs/api.md's five-minute example, run as written against a live server with a real key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.keys import api_key_create
from franchises.models import Membership
from posts.models import Post
from testkit.factories import make_franchise, make_member

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def _example() -> str:
    [block] = [b for b in re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S) if "BASE =" in b]
    return block


@pytest.mark.django_db(transaction=True)
def test_the_docs_example_runs_as_written(live_server, capsys):
    franchise = make_franchise(name="Sourdough Corner")
    user = make_member(franchise, Membership.Role.STAFF)
    _, secret = api_key_create(user=user, name="Docs", scope="write")
    code = _example()
    code = re.sub(r'^BASE = ".*?"', f'BASE = "{live_server.url}/api/v1"', code, flags=re.M)
    code = re.sub(r'^KEY = ".*?"', f'KEY = "{secret}"', code, flags=re.M)
    exec(compile(code, str(DOC), "exec"), {})
    assert capsys.readouterr().out.strip() == "scheduled"
    post = Post.objects.get()
    assert post.status == Post.Status.SCHEDULED and post.summary == "Fresh sourdough every morning from 7."
    # Run again: the Idempotency-Keys make it create and schedule nothing new.
    exec(compile(code, str(DOC), "exec"), {})
    assert Post.objects.count() == 1
