from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from franchises.models import Franchise
from testkit.database import raw_token_columns
from testkit.factories import make_franchise

pytestmark = pytest.mark.django_db

REFRESH = "1//0gRefreshTokenThatMustNeverBeStoredInClear"
ACCESS = "ya29.AccessTokenThatMustNeverBeStoredInClear"


def test_a_stored_token_reads_back_as_the_plaintext():
    franchise = make_franchise(google_refresh_token=REFRESH, google_access_token=ACCESS)
    fresh = Franchise.objects.get(pk=franchise.pk)
    assert fresh.google_refresh_token == REFRESH
    assert fresh.google_access_token == ACCESS


def test_the_database_column_holds_ciphertext_not_the_token():
    franchise = make_franchise(google_refresh_token=REFRESH, google_access_token=ACCESS)
    raw_refresh, raw_access = raw_token_columns(franchise)
    assert raw_refresh and REFRESH not in raw_refresh
    assert raw_access and ACCESS not in raw_access
    assert raw_refresh != raw_token_columns(make_franchise(google_refresh_token=REFRESH))[0]  # random IV


def test_null_and_empty_tokens_stay_null_so_the_seed_queries_work():
    franchise = make_franchise(google_refresh_token=None, google_access_token="")
    assert raw_token_columns(franchise) == (None, None)
    assert not Franchise.objects.get(pk=franchise.pk).is_connected
    assert Franchise.objects.filter(google_refresh_token__isnull=False).count() == 0


def test_rotating_keys_reencrypts_under_the_new_key(settings):
    franchise = make_franchise(google_refresh_token=REFRESH)
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()

    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    assert Franchise.objects.get(pk=franchise.pk).google_refresh_token == REFRESH  # old ciphertext still reads
    call_command("rotate_encryption_keys")

    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key is gone now
    assert Franchise.objects.get(pk=franchise.pk).google_refresh_token == REFRESH


def test_a_token_under_an_unknown_key_fails_with_a_message_that_leaks_nothing(settings):
    franchise = make_franchise(google_refresh_token=REFRESH)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEY") as excinfo:
        Franchise.objects.get(pk=franchise.pk)
    assert REFRESH not in str(excinfo.value)
    assert raw_token_columns(franchise)[0] not in str(excinfo.value)
