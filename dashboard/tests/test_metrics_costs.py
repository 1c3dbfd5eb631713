"""The metrics page's AI costs: tokens and estimated cost per franchise and per month."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from franchises.models import Membership
from generation.models import GenerationQueue, GenerationUsage
from testkit.factories import make_franchise, make_member, make_user
from testkit.web import logged_in

pytestmark = pytest.mark.django_db

METRICS = "/metrics/"
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def used(franchise, *, at=NOW, batch=False, purpose="draft", slot=0, **tokens):
    row = None
    if purpose == "draft":
        row, _ = GenerationQueue.objects.get_or_create(
            franchise=franchise, week_start=dt.date(2026, 11, 23), slot=slot, defaults={"scheduled_for": at}
        )
    return GenerationUsage.objects.create(
        franchise=franchise, queue_row=row, purpose=purpose, batch=batch, created_at=at, model="claude-haiku-4-5",
        **tokens,
    )  # fmt: skip


def cells(body: str, attribute: str, value: str) -> list[str]:
    row = re.search(rf'<tr {attribute}="{value}">(.*?)</tr>', body, flags=re.S).group(1)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]


@time_machine.travel(NOW, tick=False)
def test_costs_per_franchise_and_month_price_batches_at_half_and_count_every_answer(client):
    mine = make_franchise(name="Austin")
    # Two drafts this month: one from a batch; the other synchronous, with a correction.
    used(mine, slot=0, batch=True, input_tokens=1_000_000, output_tokens=200_000)  # $0.50 + $0.50
    used(mine, slot=1, input_tokens=500_000, output_tokens=100_000)  # $0.50 + $0.50
    used(mine, slot=1, input_tokens=500_000, output_tokens=100_000, cache_read_tokens=1_000_000)  # $1.10
    used(mine, purpose="assist", input_tokens=100_000, cache_write_tokens=800_000)  # $0.10 + $1.00
    # 61 days ago: outside the page's 30 days, inside its 6 months.
    used(mine, slot=2, at=NOW - dt.timedelta(days=61), batch=True, output_tokens=400_000)  # $1.00

    body = logged_in(client, make_user(superuser=True)).get(METRICS + "?days=30").content.decode()

    assert cells(body, "data-month", "2026-11") == [
        "November 2026", "2", "4", "25.0%", "2,100,000", "400,000", "1,000,000", "800,000", "$4.20", "$1.55", "$1.10",
    ]  # fmt: skip
    assert cells(body, "data-month", "2026-09") == [
        "September 2026", "1", "1", "100.0%", "0", "400,000", "0", "0", "$1.00", "$1.00", "$0.00",
    ]  # fmt: skip
    assert cells(body, "data-franchise-cost", str(mine.pk))[0:4] == ["Austin", "2", "4", "25.0%"]
    assert cells(body, "data-franchise-cost", str(mine.pk))[8] == "$4.20"
    assert "$1.00 input, $5.00 output, $1.25 cache writes, $0.10 cache reads" in body
    assert "at 50&nbsp;% of that" in body


@time_machine.travel(NOW, tick=False)
def test_the_cost_tables_take_the_same_queries_for_one_franchise_or_many(client):
    admin = get_user_model().objects.create_superuser("hq", "hq@example.com", "pw")
    client.force_login(admin)
    used(make_franchise(name="One"), input_tokens=10)
    with CaptureQueriesContext(connection) as one:
        assert client.get(METRICS).status_code == 200
    for n in range(5):
        used(make_franchise(name=f"More {n}"), input_tokens=10, batch=bool(n % 2))
    with CaptureQueriesContext(connection) as many:
        body = client.get(METRICS).content.decode()
    assert len(many) == len(one)
    assert body.count("data-franchise-cost=") == 6


def test_tokens_and_costs_are_for_headquarters_alone(client):
    franchise = make_franchise()
    used(franchise, input_tokens=10)
    for role in (Membership.Role.STAFF, Membership.Role.ADMIN):
        assert logged_in(client, make_member(franchise, role)).get(METRICS).status_code == 403


def test_without_any_request_the_page_says_so(client):
    make_franchise()
    body = logged_in(client, make_user(superuser=True)).get(METRICS).content.decode()
    assert 'id="ai-costs-none"' in body and 'id="ai-costs-franchises-none"' in body
