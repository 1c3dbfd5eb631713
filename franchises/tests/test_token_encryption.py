from __future__ import annotations

import io
import threading
import time

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django import db
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import TextField
from django.db.models.functions import Cast

from franchises.google.tokens import google_access_token_get
from franchises.models import Franchise, GoogleConnection
from gbp_scheduler.encryption import encrypted_columns, encrypted_values_census
from testkit.database import raw_token_columns
from testkit.factories import make_franchise
from testkit.google import franchise_connected_to_sandbox
from webhooks.models import Subscription
from webhooks.services import subscription_create

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


def test_every_encrypted_column_of_every_model_is_known_from_the_models():
    assert {str(column) for column in encrypted_columns()} == {
        "franchises.google_refresh_token",
        "franchises.google_access_token",
        "google_connections.refresh_token",
        "google_connections.access_token",
        "webhook_subscriptions.secret",
    }


def test_rotation_reencrypts_every_column_so_google_still_works_after_the_old_key_is_gone(settings, sandbox):
    """Rotating once re-encrypted the franchises' copies only: with the old key dropped, every
    Google connection's tokens were unreadable and every job calling Google failed."""
    franchise = franchise_connected_to_sandbox(sandbox, expired=True)
    webhook = subscription_create(
        user=None, franchise=franchise, url="http://127.0.0.1:9/hooks", event_types=["post.failed"]
    )
    old_key, new_key = settings.FIELD_ENCRYPTION_KEYS[0], Fernet.generate_key().decode()

    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    assert sum(found.older_key for found in encrypted_values_census().values()) == 5
    output = io.StringIO()
    call_command("rotate_encryption_keys", stdout=output)
    assert "google_connections.refresh_token: 1 value(s); 0 still under an older key" in output.getvalue()

    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    census = encrypted_values_census()
    assert {column: (found.values, found.undecryptable) for column, found in census.items()} == {
        str(column): (1, 0) for column in encrypted_columns()
    }
    assert google_access_token_get(franchise=franchise)  # the connection's refresh token reaches Google
    assert sandbox.client.calls("token") == 1
    assert Subscription.objects.get().secret == webhook.secret


def test_rotation_with_a_value_no_key_opens_says_so_and_fails(settings):
    make_franchise(google_refresh_token=REFRESH)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="1 stored value"):
        call_command("rotate_encryption_keys", stdout=io.StringIO())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rotation_never_puts_back_a_token_changed_while_it_runs(settings):
    """The rotation writes each value only where the row still holds what it read (a compare and
    set): a token refreshed after the rotation read it, and before it wrote it, is never replaced
    by the older one."""
    old_key, new_key = settings.FIELD_ENCRYPTION_KEYS[0], Fernet.generate_key().decode()
    rows = 400
    GoogleConnection.objects.bulk_create(
        GoogleConnection(google_user_id=f"u{n}", refresh_token=f"refresh-{n}", access_token=f"old-{n}")
        for n in range(rows)
    )
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    newest = Fernet(new_key)

    def rotated_yet() -> bool:
        stored = GoogleConnection.objects.annotate(raw=Cast("access_token", TextField())).values_list("raw", flat=True)
        return any(_opens(newest, raw) for raw in stored)

    def refresh_every_token_once_the_rotation_is_at_them():
        try:
            deadline = time.monotonic() + 60
            while not rotated_yet() and time.monotonic() < deadline:
                time.sleep(0.005)  # the rotation has read every access token and is writing them
            for user_id in reversed([f"u{n}" for n in range(rows)]):
                GoogleConnection.objects.filter(google_user_id=user_id).update(access_token=f"new-{user_id}")
        finally:
            db.connections.close_all()

    refresher = threading.Thread(target=refresh_every_token_once_the_rotation_is_at_them)
    refresher.start()
    call_command("rotate_encryption_keys", stdout=io.StringIO())
    refresher.join()

    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    tokens = dict(GoogleConnection.objects.values_list("google_user_id", "access_token"))
    assert tokens == {f"u{n}": f"new-u{n}" for n in range(rows)}


def _opens(key: Fernet, ciphertext: str) -> bool:
    try:
        key.decrypt(ciphertext.encode())
    except InvalidToken:
        return False
    return True
