"""Franchises connected to the sandbox's Google, the way a finished OAuth connect leaves them."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from franchises.models import Franchise
from posts.tests.factories import make_franchise


def connect_to_sandbox(sandbox, franchise: Franchise | None = None, **fields) -> Franchise:
    franchise = franchise or make_franchise(**fields)
    tokens = sandbox.client.grant()
    account = sandbox.client.add_account(f"{franchise.name} account", locations=1)
    franchise.google_refresh_token = tokens["refresh_token"]
    franchise.google_access_token = tokens["access_token"]
    franchise.google_token_expires_at = timezone.now() + dt.timedelta(seconds=tokens["expires_in"])
    franchise.google_account_id = account["account_id"]
    franchise.google_location_id = account["location_ids"][0]
    franchise.google_location_title = franchise.name
    franchise.google_auth_valid = True
    franchise.save()
    return franchise


def google_posts(sandbox, franchise: Franchise) -> list[dict]:
    """The posts live on the franchise's location at the sandbox (deleted ones left out)."""
    return [
        item
        for item in sandbox.client.posts(include_deleted=False)
        if str(item["location_id"]) == franchise.google_location_id
    ]
