"""What `manage.py check --deploy` says about webhooks' settings."""

from __future__ import annotations

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def private_addresses_refused(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """The SSRF guard must be on in production: with it off, anyone who may add a webhook can make
    the server POST to its own network (the database, the cloud's metadata address)."""
    if not settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES:
        return []
    return [
        checks.Error(
            "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES is on: webhooks may be sent to private, loopback and "
            "reserved addresses, and over http://.",
            hint="Unset it (or set it to false) in production; it is for the tests and `make run`.",
            id="webhooks.E001",
        )
    ]
