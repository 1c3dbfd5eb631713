"""Guesses at one username from many addresses are slowed down, and the account's owner is never
locked out by them.

django-axes pauses a username from one client address after AXES_FAILURE_LIMIT failures; guesses
spread over many addresses each got their own allowance, so they were unlimited. Here every
username also has an hourly allowance (SIGN_IN_PER_USERNAME_PER_HOUR) of attempts from browsers it
has never signed in from, counted across every address. A browser that signed in as that username
before (or completed a password reset for it) carries a signed cookie saying so: its attempts are
neither counted nor refused, so a stranger using up the allowance cannot lock the owner out of the
browsers they use. On a new browser the owner waits, or resets the password, whose emailed link
makes that browser a known one.
"""

from __future__ import annotations

import hashlib
import unicodedata

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, HttpResponse

from gbp_scheduler.throttle import allowance_take

COOKIE = "known_sign_ins"
SALT = "franchises.sign_in.known"
REMEMBERED = 10  # usernames one browser remembers (a shared office computer, several staff)
COOKIE_MAX_AGE = 400 * 24 * 3600  # the most a browser keeps a cookie


def _username_key(username: str) -> str:
    """The username as Django's sign-in form reads it (NFKC), case-folded, hashed: no username is
    kept in the cookie or the cache."""
    folded = unicodedata.normalize("NFKC", username).strip().casefold()
    return hashlib.sha256(folded.encode()).hexdigest()[:24]


def _known(request: HttpRequest) -> list[str]:
    """The usernames (their keys) the browser signed in as, from its signed cookie; a cookie that
    is missing, forged or older than COOKIE_MAX_AGE counts as none."""
    known = request.get_signed_cookie(COOKIE, default="", salt=SALT, max_age=COOKIE_MAX_AGE)
    return [key for key in known.split(",") if key]


def sign_in_attempt_allowed(*, request: HttpRequest, username: str) -> bool:
    """Whether to try this sign-in at all: always from a browser that signed in as `username`
    before; otherwise while the username's allowance of attempts from unknown browsers lasts
    (each attempt, right or wrong, takes one)."""
    key = _username_key(username)
    if key in _known(request):
        return True
    return allowance_take(key=f"sign-in:username:{key}", limit=settings.SIGN_IN_PER_USERNAME_PER_HOUR)


def sign_in_browser_remember(*, request: HttpRequest, response: HttpResponse, user: AbstractBaseUser) -> None:
    """Mark the browser as one `user` signed in from (after a sign-in, or a completed reset)."""
    key = _username_key(user.get_username())
    known = [key, *(k for k in _known(request) if k != key)][:REMEMBERED]
    response.set_signed_cookie(
        COOKIE,
        ",".join(known),
        salt=SALT,
        max_age=COOKIE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
