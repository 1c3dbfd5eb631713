"""Files people download from the pages: CSV (spreadsheets) and iCalendar (their own calendar).

A CSV cell that starts with =, +, - or @ is read as a formula by spreadsheet programs; text typed
by people (a post's text, a franchise's name) is written with a leading apostrophe there, so
opening an export never runs anything (what OWASP calls CSV injection).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable

from django.http import HttpResponse, StreamingHttpResponse

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object that hands back what csv.writer writes, for streaming."""

    def write(self, value: str) -> str:
        return value


def csv_cell(value) -> str:
    """A value as a CSV cell: None empty, text that a spreadsheet would run as a formula defused."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return str(value)


def csv_download(filename: str, header: list[str], rows: Iterable[Iterable]) -> StreamingHttpResponse:
    """A CSV file (UTF-8 with a byte-order mark, which spreadsheet programs read as UTF-8), streamed
    row by row so a large export does not sit in memory."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow(header)
        for row in rows:
            yield writer.writerow([csv_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def ical_download(filename: str, body: bytes) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
