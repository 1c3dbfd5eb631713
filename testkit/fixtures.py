"""pytest fixtures shared by several apps' tests; the top-level conftest.py registers this module."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from django.core.cache import cache, caches


@pytest.fixture
def empty_cache() -> Iterator[None]:
    """Start and end the test with empty caches: the Anthropic probe's result lives in the
    (process-wide) cache, and the allowances count in theirs (the database cache in tests, whose
    table a transactional test's flush leaves as it is). The health and dashboard tests use it
    for every test (their conftest.py)."""
    _clear()
    yield
    _clear()


def _clear() -> None:
    cache.clear()
    # A test without the database counted none of its allowances there.
    with contextlib.suppress(RuntimeError):
        caches["allowances"].clear()


@pytest.fixture
def local_photo_storage(settings, tmp_path):
    """Uploaded photos in a temporary MEDIA_ROOT (the app serves them under /media/)."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.PHOTO_UPLOADS_ENABLED = True
    return tmp_path / "media"


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3-compatible server on a free 127.0.0.1 port, for the whole session."""
    from testkit.photos import s3_server_start

    server = s3_server_start()
    try:
        yield server
    finally:
        server.server.stop()


@pytest.fixture
def s3_photo_storage(settings, s3_server):
    """Uploaded photos in a new bucket of the local S3 server, through django-storages (the
    production path); yields (server, bucket name)."""
    bucket = s3_server.bucket_create()
    settings.STORAGES = {**settings.STORAGES, "default": s3_server.storage_settings(bucket)}
    settings.PHOTO_UPLOADS_ENABLED = True
    return s3_server, bucket
