"""Running totals read at a few days for every franchise at once, in SQL: tables of a row a day
from a franchise's first day to its last (marked `is_last`, standing for the days after it), with
totals through each day (insights' views, posts' published posts). The total through day d is the
row of d, or the last row when d is after it, or none before the first."""

from __future__ import annotations

from django.db import connection
from django.db.models import Model


def running_joins(model: type[Model], *, alias: str, edges: list[str], columns: list[str]) -> tuple[str, dict]:
    """The LEFT JOINs onto franchises `f` of `model`'s rows at each of `edges` (SQL expressions of
    days, in order) and of each franchise's last row before the last edge; and {(column, n): SQL
    of the column's total through edge n, NULL before the franchise's first row}.

    Each join reads one row a franchise off the table's (day, franchise, ...) index alone: a
    GROUP BY over the rows of every edge (or an OR of the edges and the last rows, which PostgreSQL
    reads off the table) costs some twice as much at 10,000 franchises."""
    table = connection.ops.quote_name(model._meta.db_table)
    last = f"{alias}_last"
    joins = [
        f"LEFT JOIN {table} {alias}{n} ON {alias}{n}.franchise_id = f.id AND {alias}{n}.day = {edge}"
        for n, edge in enumerate(edges)
    ]
    joins.append(
        f"LEFT JOIN {table} {last} ON {last}.franchise_id = f.id AND {last}.is_last AND {last}.day < {edges[-1]}"
    )
    totals = {
        (column, n): f"COALESCE({alias}{n}.{column}, CASE WHEN {last}.day < {edge} THEN {last}.{column} END)"
        for n, edge in enumerate(edges)
        for column in columns
    }
    return "\n".join(joins), totals
