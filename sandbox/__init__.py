"""Local stand-in for Google (OAuth + Business Profile API) and Anthropic, for tests and demos.

from sandbox.server import Sandbox
sb = Sandbox().start()      # sb.url -> "http://127.0.0.1:PORT"
"""

from __future__ import annotations
