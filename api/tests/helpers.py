"""Keys and a client that sends them, for the API's tests."""

from __future__ import annotations

from django.test import Client

from api.keys import api_key_create


class KeyClient:
    """Django's test client with `Authorization: Bearer <key>` on every request."""

    def __init__(self, secret: str):
        self.client = Client()
        self.secret = secret

    def request(self, method: str, path: str, *, json=None, query=None, headers=None):
        headers = {"Authorization": f"Bearer {self.secret}", **(headers or {})}
        call = getattr(self.client, method.lower())
        if method.upper() in ("GET", "DELETE"):
            return call(path, data=query or {}, headers=headers)
        return call(path, data=json if json is not None else {}, content_type="application/json", headers=headers)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.request("POST", path, json=json, **kw)

    def patch(self, path, json=None, **kw):
        return self.request("PATCH", path, json=json, **kw)

    def put(self, path, json=None, **kw):
        return self.request("PUT", path, json=json, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


def key_client(user, *, scope: str = "write", franchises=None, **fields) -> KeyClient:
    _, secret = api_key_create(user=user, name="Tests", scope=scope, franchises=franchises, **fields)
    return KeyClient(secret)
