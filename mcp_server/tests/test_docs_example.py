"""docs/api.md's MCP example, run as written against a live server with a real key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.keys import api_key_create
from franchises.models import Membership
from posts.models import Post
from testkit.factories import make_franchise, make_member

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


@pytest.mark.django_db
def test_the_mcp_example_runs_as_written(live_server, capsys):
    franchise = make_franchise(name="Sourdough Corner")
    _, secret = api_key_create(user=make_member(franchise, Membership.Role.STAFF), name="Docs", scope="write")
    [code] = [b for b in re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S) if "URL =" in b]
    code = re.sub(r'^URL = ".*?"', f'URL = "{live_server.url}/mcp"', code, flags=re.M)
    code = re.sub(r'^KEY = ".*?"', f'KEY = "{secret}"', code, flags=re.M)
    exec(compile(code, str(DOC), "exec"), {})
    assert capsys.readouterr().out.strip() == "Scheduled."
    post = Post.objects.get()
    assert post.status == Post.Status.SCHEDULED and post.summary == "Fresh sourdough every morning from 7."
