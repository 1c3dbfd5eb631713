"""Secrets at rest: a text field that stores Fernet ciphertext and reads back plaintext.

Why our own ~50 lines instead of a package: the maintained options either derive keys from
SECRET_KEY (so rotating SECRET_KEY would lose every token) or lag behind Django releases.
cryptography's MultiFernet gives authenticated encryption and key rotation directly: the first
key in FIELD_ENCRYPTION_KEY encrypts and every key decrypts, so saving a row again re-encrypts
it under the newest key (`manage.py rotate_encryption_keys`). NULL stays NULL, so the seed's
`google_refresh_token IS NOT NULL` queries keep working.

Which columns are encrypted is read from the models (every EncryptedTextField of every installed
model), so the rotation and the health check cover a column the day it is added.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast


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


# --- every encrypted column: its census and its rotation ------------------------------------


@dataclass(frozen=True)
class EncryptedColumn:
    model: type[models.Model]
    field: str

    def __str__(self) -> str:
        return f"{self.model._meta.db_table}.{self.model._meta.get_field(self.field).column}"

    def stored(self) -> Iterator[tuple[object, str]]:
        """(primary key, ciphertext as stored) of every row holding a value, read without
        decrypting it."""
        rows = self.model._base_manager.filter(**{f"{self.field}__isnull": False})
        yield from rows.annotate(_stored=_raw(self.field)).values_list("pk", "_stored").iterator()


def _raw(field: str) -> Cast:
    # Read as plain text: no from_db_value, so a value no key opens is counted, not raised.
    return Cast(field, output_field=models.TextField())


def encrypted_columns() -> list[EncryptedColumn]:
    """Every EncryptedTextField of every installed (concrete) model."""
    from django.apps import apps

    return [
        EncryptedColumn(model, field.name)
        for model in apps.get_models()
        if not model._meta.proxy
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


@dataclass
class ColumnCensus:
    values: int = 0  # rows holding a value
    older_key: int = 0  # opened by a key other than the first: rotate before dropping that key
    undecryptable: int = 0  # opened by no configured key


def encrypted_values_census() -> dict[str, ColumnCensus]:
    """{"table.column": what its stored values are encrypted under}, for every encrypted column:
    one query per model, each distinct ciphertext decrypted once (a group's franchises hold the
    same copy of their connection's tokens)."""
    newest = Fernet(settings.FIELD_ENCRYPTION_KEYS[0])
    census = {str(column): ColumnCensus() for column in encrypted_columns()}
    kinds: dict[str, str] = {}
    for model, columns in _by_model().items():
        holding = Q()
        for column in columns:
            holding |= Q(**{f"{column.field}__isnull": False})
        raw = {f"_stored_{column.field}": _raw(column.field) for column in columns}
        for values in model._base_manager.filter(holding).annotate(**raw).values_list(*raw).iterator():
            for column, ciphertext in zip(columns, values, strict=True):
                if ciphertext is None:
                    continue
                if ciphertext not in kinds:
                    kinds[ciphertext] = (
                        "newest" if _opens(newest, ciphertext) else "older" if can_decrypt(ciphertext) else "none"
                    )
                found = census[str(column)]
                found.values += 1
                found.older_key += kinds[ciphertext] == "older"
                found.undecryptable += kinds[ciphertext] == "none"
    return census


def _by_model() -> dict[type[models.Model], list[EncryptedColumn]]:
    grouped: dict[type[models.Model], list[EncryptedColumn]] = {}
    for column in encrypted_columns():
        grouped.setdefault(column.model, []).append(column)
    return grouped


def _opens(key: Fernet | MultiFernet, ciphertext: str) -> bool:
    try:
        key.decrypt(ciphertext.encode())
    except InvalidToken:
        return False
    return True


ROTATE_ATTEMPTS = 5  # a row a token refresh keeps rewriting meanwhile is read again this often


def encrypted_values_rotate() -> dict[str, ColumnCensus]:
    """Re-encrypt under the first key of FIELD_ENCRYPTION_KEY every stored value of every
    encrypted column that an older key opens; the census after (values still under an older key
    changed under it too often; undecryptable ones no key opens, left as they are).

    Each value is written with a compare-and-set on the ciphertext it was read as, not by saving
    the row: a token refreshed or reconnected meanwhile is never overwritten with the older
    value it replaced (it was written under the first key already)."""
    newest = Fernet(settings.FIELD_ENCRYPTION_KEYS[0])
    for column in encrypted_columns():
        manager = column.model._base_manager
        for pk, ciphertext in column.stored():
            for _ in range(ROTATE_ATTEMPTS):
                if ciphertext is None or _opens(newest, ciphertext) or not can_decrypt(ciphertext):
                    break
                written = (
                    manager.filter(pk=pk)
                    .alias(_stored=_raw(column.field))
                    .filter(_stored=ciphertext)
                    .update(**{column.field: decrypt(ciphertext)})
                )
                if written:
                    break
                ciphertext = (
                    manager.filter(pk=pk).annotate(_stored=_raw(column.field)).values_list("_stored", flat=True).first()
                )
    return encrypted_values_census()
