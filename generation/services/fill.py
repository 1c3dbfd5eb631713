"""generate-drafts: queue the coming week's AI draft slots. Inserts only: no AI calls."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass

from django.db import connection

from gbp_scheduler import clock
from gbp_scheduler.jobs import TimeBudget
from generation import slots
from generation.models import GenerationQueue
from generation.selectors import franchises_wanting_drafts

logger = logging.getLogger(__name__)

FRANCHISE_BATCH = 500
ROWS_PER_STATEMENT = 500  # 15 columns x 500 rows: far under SQLite's 32,766 bound parameters


def generation_queue_fill(*, budget: TimeBudget, now: dt.datetime | None = None) -> dict:
    """Queue the coming week's slots of every franchise that wants AI drafts.

    1. Walk the franchises in primary-key batches (keyset, so a big table never loads at once).
    2. For each, plan posts_per_week slots in the week starting the Monday after today, local time.
    3. Insert each batch with one INSERT .. ON CONFLICT DO NOTHING: the unique (franchise, week,
       slot) makes a second run, or two at once, insert nothing more.
    `queued` counts rows this run inserted; `skipped` counts slots that already had a row.
    """
    now = now or clock.now()
    counts = {"franchises": 0, "queued": 0, "skipped": 0}
    last_id: uuid.UUID | None = None
    while True:
        if budget.exhausted:
            # Safe to stop anywhere: a rerun queues exactly what is missing.
            logger.warning("generate-drafts stopped on its time budget after %s franchises", counts["franchises"])
            break
        qs = franchises_wanting_drafts().order_by("id").values_list("id", "timezone", "posts_per_week")
        batch = list((qs.filter(id__gt=last_id) if last_id else qs)[:FRANCHISE_BATCH])
        if not batch:
            break
        last_id = batch[-1][0]
        rows = [row for franchise in batch for row in _rows_planned(*franchise, now=now)]
        inserted = sum(
            _rows_insert_new(rows[i : i + ROWS_PER_STATEMENT]) for i in range(0, len(rows), ROWS_PER_STATEMENT)
        )
        counts["franchises"] += len(batch)
        counts["queued"] += inserted
        counts["skipped"] += len(rows) - inserted
    return counts


@dataclass(frozen=True)
class _Slot:
    franchise_id: uuid.UUID
    week_start: dt.date
    slot: int
    scheduled_for: dt.datetime


def _rows_planned(franchise_id: uuid.UUID, tz: str, posts_per_week: int, *, now: dt.datetime) -> list[_Slot]:
    week_start = slots.week_start_coming(now=now, tz=tz)
    times = slots.slot_times(week_start=week_start, tz=tz, count=posts_per_week)
    return [_Slot(franchise_id, week_start, n, at) for n, at in enumerate(times)]


VARYING = ("id", "franchise_id", "week_start", "slot", "scheduled_for")


def _rows_insert_new(rows: list[_Slot]) -> int:
    """INSERT .. ON CONFLICT DO NOTHING RETURNING id, which PostgreSQL and SQLite (3.35+) both speak.
    bulk_create(ignore_conflicts=True) would do the insert but cannot say how many rows were new.
    Every other column gets the model's default, converted for the database once per statement
    (building a model instance per row cost more than the INSERT itself)."""
    if not rows:
        return 0
    meta = GenerationQueue._meta
    fields = [meta.get_field(name) for name in VARYING]
    template = GenerationQueue()
    defaults = [
        f.get_db_prep_save(f.pre_save(template, True), connection) for f in meta.concrete_fields if f not in fields
    ]
    fields += [f for f in meta.concrete_fields if f not in fields]
    params: list = []
    for row in rows:
        values = (uuid.uuid4(), row.franchise_id, row.week_start, row.slot, row.scheduled_for)
        params += [f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=False)]
        params += defaults
    qn = connection.ops.quote_name
    one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    columns = ", ".join(qn(f.column) for f in fields)
    # Names come from the model, every value is a bound parameter.
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({columns}) "  # noqa: S608
        f"VALUES {', '.join([one_row] * len(rows))} "
        f"ON CONFLICT ({qn('franchise_id')}, {qn('week_start')}, {qn('slot')}) DO NOTHING "
        f"RETURNING {qn(meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return len(cursor.fetchall())
