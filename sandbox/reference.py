"""Google's reference as pinned in data/google-reference.json: which enum values are deprecated,
and from which day each removed one is refused.

Google keeps a removed value in its enum (the discovery document and the proto still list it) and
refuses a request that uses it past its removal date: the whole request is a 400
INVALID_ARGUMENT naming the value. Until then a deprecated value still works; the sandbox logs
each use (and keeps the latest for `GET /_sandbox/deprecations`) so a test or an operator sees
what will break next. The sandbox's own enums are compared with this file by
sandbox/tests/test_reference.py, so the next change Google makes is one diff.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from functools import cache
from pathlib import Path
from typing import Any

from .state import State

REFERENCE = Path(__file__).parent / "data" / "google-reference.json"
logger = logging.getLogger("sandbox.deprecations")


@cache
def reference() -> dict[str, Any]:
    return json.loads(REFERENCE.read_text(encoding="utf-8"))["apis"]


def enum(api: str, name: str) -> list[str]:
    """The values of one enum, as Google lists them (its zero value first)."""
    return list(reference()[api]["enums"][name])


def fields(api: str, schema: str) -> list[str]:
    return list(reference()[api]["fields"][schema])


def today() -> dt.date:
    """Google's day (UTC), by the sandbox's clock (time-machine moves it in tests)."""
    return dt.datetime.fromtimestamp(time.time(), dt.UTC).date()


def removed_on(api: str, name: str, value: str) -> dt.date | None:
    """The day Google stops taking `value` (None: no removal date)."""
    entry = reference()[api]["lifecycle"].get(name, {}).get(value) or {}
    return dt.date.fromisoformat(entry["removed"]) if entry.get("removed") else None


def refused(api: str, name: str, value: str) -> str | None:
    """Why Google refuses `value` today ("removed on ..."), or None while it still takes it."""
    gone = removed_on(api, name, value)
    if gone is not None and today() >= gone:
        return f"removed on {gone.isoformat()}"
    return None


def note_use(state: State, api: str, name: str, value: str) -> None:
    """Log and keep a use of a deprecated (still accepted) value; nothing for a current one."""
    entry = reference()[api]["lifecycle"].get(name, {}).get(value)
    if not entry:
        return
    removal = entry.get("removed") or "no removal date"
    logger.warning(
        "deprecated %s %s=%s used (deprecated %s; removed: %s)", api, name, value, entry["deprecated"], removal
    )
    with state.lock:
        state.deprecations.append(
            {
                "api": api,
                "enum": name,
                "value": value,
                "deprecated": entry["deprecated"],
                "removed": entry.get("removed"),
            }
        )
