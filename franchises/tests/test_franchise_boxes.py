"""The boxes to tick franchises by (an announcement's, an API key's, headquarters' webhook's)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from testkit.factories import make_franchise, make_user

pytestmark = pytest.mark.django_db

BOX = re.compile(r'<input type="checkbox" name="franchises" value="([^"]+)"[^>]*>\s*([^<]+?)\s*</label>')


@pytest.mark.parametrize("url", ["/profile/", "/webhooks/", "/announcements/new/"])
def test_each_franchise_gets_a_box_by_name_without_its_tokens_being_read(client, url):
    franchises = [make_franchise(name=name, google_refresh_token="1//secret") for name in ("Porto", "Aveiro <&>")]
    client.force_login(make_user(superuser=True))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    boxes = BOX.findall(response.content.decode())
    assert boxes == [(str(franchises[1].pk), "Aveiro &lt;&amp;&gt;"), (str(franchises[0].pk), "Porto")]
    assert not [query for query in queries.captured_queries if "google_refresh_token" in query["sql"]]
