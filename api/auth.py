"""Bearer authentication with an API key, the key's scope, and its rate limit."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from .errors import ApiError
from .keys import api_key_for_secret, api_key_use
from .models import ApiKey


class ApiKeyBearer(HttpBearer):
    """`Authorization: Bearer <key>`. `write`: the operation changes something, so a read-only key
    gets 403. Each request takes one from the key's allowance, refused with 429 and Retry-After."""

    def __init__(self, *, write: bool = False):
        super().__init__()
        self.write = write

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        key = api_key_for_secret(token.strip())
        if key is None:
            return None
        allowance = api_key_use(key=key)
        if not allowance.allowed:
            raise ApiError(
                429,
                "rate_limited",
                f"Too many requests with this key: try again in {allowance.retry_after} s.",
                headers={"Retry-After": str(allowance.retry_after)},
            )
        if self.write and not key.can_write:
            raise ApiError(403, "read_only_key", "This key can only read: make a read-and-write key to change things.")
        return key


READ = ApiKeyBearer()
WRITE = ApiKeyBearer(write=True)
