"""The production path of post photos: django-storages on an S3-compatible bucket, here a real
local S3 server (moto's server mode) spoken to over HTTP by boto3, not a mock of our code."""

from __future__ import annotations

import urllib.request

import pytest
from django.urls import reverse
from django.utils import timezone

from franchises.models import Membership
from gbp_scheduler.jobs import TimeBudget
from posts.models import Post, PostPhoto
from posts.services import post_delete, posts_publish_due
from testkit.factories import make_member, make_post
from testkit.google import franchise_connected_to_sandbox
from testkit.photos import photo_upload
from testkit.web import logged_in

pytestmark = pytest.mark.django_db


def fetch(url: str) -> tuple[int, str, bytes]:
    """An anonymous GET, as Google fetches a photo (no proxies: the server is on loopback)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=5) as answer:
        return answer.status, answer.headers["Content-Type"], answer.read()


def test_an_upload_lands_in_the_bucket_at_a_public_url_and_goes_with_the_post(
    client, sandbox, s3_photo_storage, settings
):
    server, bucket = s3_photo_storage
    settings.PUBLISH_CONCURRENCY = 1
    franchise = franchise_connected_to_sandbox(sandbox, name="Sunrise Bakery")
    logged_in(client, make_member(franchise, Membership.Role.STAFF))

    # Upload: the object is in the bucket, typed and cacheable, at a plain (unsigned) URL.
    answer = client.post(reverse("posts:photo_upload", args=[franchise.pk]), {"photo": photo_upload("PNG")})
    assert answer.status_code == 201, answer.content
    url = answer.json()["url"]
    photo = PostPhoto.objects.get()
    assert url == f"{server.endpoint}/{bucket}/{photo.file.name}" and "Signature" not in url
    head = server.client().head_object(Bucket=bucket, Key=photo.file.name)
    assert head["ContentType"] == "image/png" and "immutable" in head["CacheControl"]
    status, content_type, data = fetch(url)
    assert (status, content_type, data[:4]) == (200, "image/png", b"\x89PNG")

    # Publish: Google (the sandbox) fetches the photo from the bucket; the post carries it.
    post = make_post(franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=timezone.now(), media_url=url)
    assert posts_publish_due(budget=TimeBudget(seconds=60))["published"] == 1
    assert [(f["url"], f["status"], f["image"]) for f in sandbox.client.media_fetches()] == [(url, 200, "image/png")]
    assert sandbox.client.posts()[0]["body"]["media"][0]["sourceUrl"] == url

    # Delete the post: the object leaves the bucket too.
    post_delete(post=Post.objects.get(pk=post.pk))
    listed = server.client().list_objects_v2(Bucket=bucket)
    assert listed["KeyCount"] == 0 and not PostPhoto.objects.exists()
