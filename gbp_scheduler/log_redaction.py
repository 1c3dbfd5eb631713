"""No link that carries a credential is ever written to the log.

An invitation link (/invitations/<signed token>/) makes whoever opens it a member, a password-reset
link (/accounts/reset/<uid>/<token>/) sets a password, and Google's answer to a consent
(/google/callback/?code=...&state=...) is exchanged for a refresh token. Django logs the path of
every 4xx answer (django.request: "Not Found: /invitations/<token>/"), of a refused CSRF check
(django.security.csrf) and, under runserver, every request line with its query (django.server).
The settings' LOGGING runs every record through this filter before any handler writes it.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"
# Kept in step with the URL configuration by gbp_scheduler/tests/test_log_redaction.py.
_CREDENTIALS = [
    (re.compile(r"(/invitations/)[^/\s\"'?#]+"), rf"\1{REDACTED}"),
    (re.compile(r"(/accounts/reset/)[^/\s\"'?#]+/(?!set-password/)[^/\s\"'?#]+"), rf"\1{REDACTED}/{REDACTED}"),
    (re.compile(r"([?&](?:code|state|token)=)[^&\s\"'#]+"), rf"\1{REDACTED}"),
]


def redact(text: str) -> str:
    for pattern, replacement in _CREDENTIALS:
        text = pattern.sub(replacement, text)
    return text


class RedactCredentialUrls(logging.Filter):
    """Rewrites a record's message with its credential-bearing URLs redacted (it lets every record
    through)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a record whose arguments do not fit its format: left alone
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
