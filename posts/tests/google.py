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


def franchises_connected_bulk(client, *, count: int, name: str = "Franchise") -> list[Franchise]:
    """`count` franchises, each on a location of its own at the sandbox (`client`: its control API)."""
    franchises = []
    for n in range(count):
        grant = client.grant()
        account = client.add_account(f"{name} account {n}", locations=1)
        franchises.append(
            Franchise(
                name=f"{name} {n}",
                google_refresh_token=grant["refresh_token"],
                google_access_token=grant["access_token"],
                google_token_expires_at=timezone.now() + dt.timedelta(hours=1),
                google_account_id=account["account_id"],
                google_location_id=account["location_ids"][0],
            )
        )
    return Franchise.objects.bulk_create(franchises)


def posts_due_bulk(franchises: list[Franchise], *, count: int, summary: str = "Post {n}: worth knowing."):
    """`count` posts due now, spread over `franchises` round robin, oldest first, distinct texts."""
    from posts.models import Post

    now = timezone.now()
    return Post.objects.bulk_create(
        Post(
            franchise=franchises[n % len(franchises)],
            status=Post.Status.SCHEDULED,
            scheduled_at=now - dt.timedelta(seconds=count - n),
            summary=summary.format(n=n),
        )
        for n in range(count)
    )
