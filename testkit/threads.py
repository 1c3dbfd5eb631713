"""Calls started together on threads of their own, as overlapping runs of a job are."""

from __future__ import annotations

import threading
from collections.abc import Callable


def together(count: int, call: Callable[[], object], *, timeout: float = 120) -> tuple[list, list[BaseException]]:
    """Run `call` on `count` threads released at once by a barrier; what each returned and what
    each raised. Each thread closes its own database connection when done."""
    from django.db import connection

    start = threading.Barrier(count)
    results: list = []
    errors: list[BaseException] = []

    def runner() -> None:
        try:
            start.wait()
            results.append(call())
        except BaseException as exc:  # surfaced to the caller
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results, errors


def each_together(calls: dict[str, Callable[[], object]], *, timeout: float = 120) -> dict[str, object]:
    """Run each of `calls` on a thread of its own, released at once by a barrier; by name, what
    each returned or the exception it raised. Each thread closes its own database connection."""
    from django.db import connection

    start = threading.Barrier(len(calls))
    outcome: dict[str, object] = {}

    def runner(name: str, call: Callable[[], object]) -> None:
        try:
            start.wait()
            outcome[name] = call()
        except BaseException as exc:  # handed to the caller
            outcome[name] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=item) for item in calls.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return outcome
