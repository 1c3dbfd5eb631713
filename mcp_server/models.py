"""The preview tokens spent: each confirms one write, once."""

from __future__ import annotations

from django.db import models


class SpentPreview(models.Model):
    """A preview token's nonce, written in the same transaction as the write it confirmed: a second
    use of the token (a retried call, a replayed request) meets the unique index and writes nothing.
    Rows older than a token's lifetime serve nothing and are deleted as new ones come."""

    nonce = models.CharField(max_length=32, unique=True)
    spent_at = models.DateTimeField()

    class Meta:
        db_table = "mcp_spent_previews"

    def __str__(self) -> str:
        return self.nonce
