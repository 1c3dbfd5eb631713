"""pytest plugin: a session-wide sandbox server, a per-test `sandbox` fixture, a network guard.

Register in the root conftest: `pytest_plugins = ["sandbox.pytest_plugin"]`.

- `sandbox_server` (session): starts the sandbox on a free 127.0.0.1 port in a thread.
- `sandbox` (function): resets it, points Django settings (if configured) and environment
  variables at it, and yields the same handle (`.url`, `.client`).
- The network guard refuses any connection to a non-loopback address for the whole session,
  and fails the test that tried, even if the code under test swallowed the exception.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from .client import SandboxClient
from .server import Sandbox
from .state import DEFAULT_ANTHROPIC_KEY, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET


class NetworkAccessDenied(RuntimeError):
    """Not an OSError on purpose: retry/transient-error handlers must not swallow it."""


@dataclass
class NetworkGuard:
    violations: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    originals: dict[str, Any] = field(default_factory=dict)

    def check(self, sock: socket.socket, address: Any) -> None:
        if sock.family not in (socket.AF_INET, socket.AF_INET6) or _is_local(address):
            return  # Unix sockets (PostgreSQL) and loopback are fine
        message = f"test tried to reach {address!r}: tests may only talk to 127.0.0.1"
        with self.lock:
            self.violations.append(message)
        raise NetworkAccessDenied(message)

    def install(self) -> None:
        guard = self
        self.originals = {"connect": socket.socket.connect, "connect_ex": socket.socket.connect_ex}
        connect, connect_ex = self.originals["connect"], self.originals["connect_ex"]

        def guarded_connect(sock: socket.socket, address: Any) -> None:
            guard.check(sock, address)
            return connect(sock, address)

        def guarded_connect_ex(sock: socket.socket, address: Any) -> int:
            guard.check(sock, address)
            return connect_ex(sock, address)

        socket.socket.connect = guarded_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign]

    def uninstall(self) -> None:
        for name, original in self.originals.items():
            setattr(socket.socket, name, original)


def _is_local(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if not isinstance(host, str):
        return False
    if host == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False  # a host name handed straight to connect(): refuse rather than resolve
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or (mapped is not None and mapped.is_loopback)


_guard = NetworkGuard()


def pytest_configure(config: pytest.Config) -> None:
    _guard.install()


def pytest_unconfigure(config: pytest.Config) -> None:
    _guard.uninstall()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    _guard.violations.clear()
    yield
    if _guard.violations:
        found = list(_guard.violations)
        _guard.violations.clear()
        pytest.fail("\n".join(found), pytrace=False)


@pytest.fixture
def network_guard() -> NetworkGuard:
    """For tests of the guard itself: clear `.violations` after provoking one on purpose."""
    return _guard


@dataclass
class SandboxHandle:
    url: str
    client: SandboxClient
    server: Sandbox
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    anthropic_key: str = DEFAULT_ANTHROPIC_KEY

    def env(self) -> dict[str, str]:
        return {
            "GOOGLE_API_BASE_URL": self.url,
            "ANTHROPIC_BASE_URL": self.url,
            "ANTHROPIC_API_KEY": self.anthropic_key,
            "GOOGLE_CLIENT_ID": self.client_id,
            "GOOGLE_CLIENT_SECRET": self.client_secret,
        }


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxHandle]:
    server = Sandbox().start()
    try:
        yield SandboxHandle(server.url, SandboxClient(server.url), server)
    finally:
        server.stop()


@pytest.fixture
def sandbox(
    sandbox_server: SandboxHandle, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> SandboxHandle:
    sandbox_server.client.reset()
    for name, value in sandbox_server.env().items():
        monkeypatch.setenv(name, value)
    # requests-oauthlib (google-auth-oauthlib's Flow) refuses http:// token URLs without this.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    if request.config.pluginmanager.hasplugin("django") and _django_configured():
        settings = request.getfixturevalue("settings")  # pytest-django undoes these after the test
        for name, value in sandbox_server.env().items():
            setattr(settings, name, value)
    return sandbox_server


def _django_configured() -> bool:
    if not os.environ.get("DJANGO_SETTINGS_MODULE"):
        return False
    try:
        from django.conf import settings
    except ImportError:
        return False
    try:
        return bool(settings.configured)
    except Exception:
        return False
