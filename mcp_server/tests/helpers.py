"""The SDK's own client against the app's /mcp, served on 127.0.0.1 (pytest-django's live server)."""

from __future__ import annotations

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult

from api.keys import api_key_create


class McpAgent:
    """An MCP client holding one API key: each call opens the SDK's client over streamable HTTP."""

    def __init__(self, url: str, secret: str, *, mode: str = "auto"):
        # "auto": the SDK probes for the current protocol; "legacy": the initialize handshake.
        self.url, self.secret, self.mode = f"{url}/mcp", secret, mode

    async def _session(self, work):
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {self.secret}"})
        async with http, Client(streamable_http_client(self.url, http_client=http), mode=self.mode) as client:
            return await work(client)

    def tools(self) -> dict:
        async def work(client):
            return {tool.name: tool for tool in (await client.list_tools()).tools}

        return anyio.run(self._session, work)

    def call(self, name: str, arguments: dict | None = None) -> CallToolResult:
        async def work(client):
            return await client.call_tool(name, arguments or {})

        return anyio.run(self._session, work)

    def ok(self, name: str, arguments: dict | None = None) -> dict:
        """The tool's structured answer; fails the test when the tool refused."""
        result = self.call(name, arguments)
        assert not result.is_error, result.content[0].text
        return result.structured_content

    def refused(self, name: str, arguments: dict | None = None) -> str:
        """The tool's refusal, in words; fails the test when it did not refuse."""
        result = self.call(name, arguments)
        assert result.is_error, result.structured_content
        return result.content[0].text


def mcp_agent(live_server, user, *, scope: str = "write", franchises=None, mode: str = "auto", **fields) -> McpAgent:
    _, secret = api_key_create(user=user, name="MCP tests", scope=scope, franchises=franchises, **fields)
    return McpAgent(live_server.url, secret, mode=mode)
