"""The session-wide network guard: loopback and Unix sockets only."""

from __future__ import annotations

import socket
import tempfile

import httpx
import pytest

from sandbox.pytest_plugin import NetworkAccessDenied, NetworkGuard, SandboxHandle


def test_connection_to_a_non_local_address_is_refused(network_guard: NetworkGuard) -> None:
    with pytest.raises(NetworkAccessDenied, match=r"tests may only talk to 127\.0\.0\.1"):
        socket.create_connection(("10.255.255.1", 80), timeout=1)
    with socket.socket() as sock, pytest.raises(NetworkAccessDenied):
        sock.connect_ex(("10.255.255.1", 80))
    assert len(network_guard.violations) == 2
    network_guard.violations.clear()  # provoked on purpose; otherwise the test would be failed


def test_http_client_request_to_a_non_local_address_is_refused(network_guard: NetworkGuard) -> None:
    with pytest.raises(NetworkAccessDenied):
        httpx.get("http://10.255.255.1/", timeout=1, trust_env=False)
    assert network_guard.violations
    network_guard.violations.clear()


def test_loopback_and_unix_sockets_are_allowed(sandbox: SandboxHandle) -> None:
    assert httpx.get(f"{sandbox.url}/_sandbox/health", trust_env=False).status_code == 200
    port = int(sandbox.url.rsplit(":", 1)[1])
    socket.create_connection(("localhost", port), timeout=1).close()
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/s.sock"
        with socket.socket(socket.AF_UNIX) as server, socket.socket(socket.AF_UNIX) as client:
            server.bind(path)
            server.listen()
            client.connect(path)
