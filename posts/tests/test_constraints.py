from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from posts.content import SUMMARY_MAX_LENGTH
from posts.models import Post
from testkit.factories import make_franchise, make_post

pytestmark = pytest.mark.django_db


def test_database_refuses_a_summary_over_1500_characters():
    franchise = make_franchise()
    make_post(franchise=franchise, summary="x" * SUMMARY_MAX_LENGTH)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_post(franchise=franchise, summary="x" * (SUMMARY_MAX_LENGTH + 1))


def test_database_counts_characters_not_bytes_for_the_summary_limit():
    make_post(summary="é" * SUMMARY_MAX_LENGTH)
    assert Post.objects.count() == 1


def test_database_refuses_an_unknown_status():
    post = make_post()
    with pytest.raises(IntegrityError), transaction.atomic():
        Post.objects.filter(pk=post.pk).update(status="publishing")


def test_database_refuses_a_scheduled_post_without_a_time():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_post(status=Post.Status.SCHEDULED, scheduled_at=None)
