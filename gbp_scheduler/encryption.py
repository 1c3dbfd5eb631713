"""Secrets at rest: a text field that stores Fernet ciphertext and reads back plaintext.

Why our own ~50 lines instead of a package: the maintained options either derive keys from
SECRET_KEY (so rotating SECRET_KEY would lose every token) or lag behind Django releases.
cryptography's MultiFernet gives authenticated encryption and key rotation directly: the first
key in FIELD_ENCRYPTION_KEY encrypts and every key decrypts, so saving a row again re-encrypts
it under the newest key (`manage.py rotate_encryption_keys`). NULL stays NULL, so the seed's
`google_refresh_token IS NOT NULL` queries keep working.
"""

from __future__ import annotations

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY holds a value that is not a Fernet key (32 url-safe base64-encoded bytes)."
        ) from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    try:
        return fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken as exc:
        # Never include the ciphertext: the message may end up in logs.
        raise ImproperlyConfigured(
            "An encrypted value could not be decrypted with any key in FIELD_ENCRYPTION_KEY "
            "(was a key removed before `manage.py rotate_encryption_keys` ran?)."
        ) from exc


def can_decrypt(ciphertext: str) -> bool:
    """Whether some configured key opens `ciphertext` (for the health check)."""
    try:
        fernet().decrypt(ciphertext.encode())
    except InvalidToken:
        return False
    return True


class EncryptedTextField(models.TextField):
    """A TextField whose database value is Fernet ciphertext.

    Only NULL checks make sense in queries: the same plaintext encrypts differently each time.
    """

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            # An empty secret is no secret: store NULL so "not connected" stays one state.
            return None
        return encrypt(value)
