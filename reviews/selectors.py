"""The reviews' reads: the inbox across the user's franchises, one review, the figures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.http import Http404

from franchises.models import Franchise
from franchises.selectors import franchises_for_user
from gbp_scheduler import clock
from gbp_scheduler.times import human_duration
from generation.pricing import usage_cost

from .models import ReplyDraftUsage, Review

AGES = {"7": 7, "30": 30, "90": 90, "365": 365}  # the inbox's "newer than" filter, days
ANSWERED = {"no": "Not answered", "draft": "Draft to approve", "yes": "Answered", "rejected": "Reply rejected"}


def reviews_for_user(*, user: AbstractBaseUser) -> QuerySet[Review]:
    """Reviews still on Google of the franchises the user may see (every one for headquarters)."""
    return Review.objects.filter(franchise__in=franchises_for_user(user=user), gone_at__isnull=True)


def review_get_for_user(*, user: AbstractBaseUser, review_id) -> Review:
    """The review, 404 outside the user's franchises."""
    review = (
        Review.objects.filter(franchise__in=franchises_for_user(user=user), pk=review_id)
        .select_related("franchise")
        .first()
    )
    if review is None:
        raise Http404("No such review.")
    return review


@dataclass(frozen=True)
class InboxFilters:
    franchise_id: str = ""
    stars: int | None = None
    answered: str = ""
    age: str = ""

    @classmethod
    def from_query(cls, query) -> InboxFilters:
        stars = query.get("stars", "")
        return cls(
            franchise_id=query.get("franchise", "")[:64],
            stars=int(stars) if stars in {"1", "2", "3", "4", "5"} else None,
            answered=query.get("answered", "") if query.get("answered", "") in ANSWERED else "",
            age=query.get("age", "") if query.get("age", "") in AGES else "",
        )


def reviews_inbox(*, user: AbstractBaseUser, filters: InboxFilters) -> QuerySet[Review]:
    """The inbox: the user's reviews, newest first, as `filters` narrow them."""
    reviews = reviews_for_user(user=user).select_related("franchise")
    if filters.franchise_id:
        reviews = reviews.filter(franchise_id__in=_franchise_ids(user, filters.franchise_id))
    if filters.stars:
        reviews = reviews.filter(stars=filters.stars)
    if filters.answered == "no":
        reviews = reviews.filter(google_reply__isnull=True, reply_wanted=False, draft_text="")
    elif filters.answered == "draft":
        reviews = reviews.exclude(draft_text="")
    elif filters.answered == "yes":
        reviews = reviews.filter(google_reply__isnull=False)
    elif filters.answered == "rejected":
        reviews = reviews.filter(google_reply_state="REJECTED")
    if filters.age:
        reviews = reviews.filter(created_at__gte=clock.now() - dt.timedelta(days=AGES[filters.age]))
    return reviews.order_by("-created_at", "pk")


def _franchise_ids(user, franchise_id: str) -> list:
    try:
        return list(franchises_for_user(user=user).filter(pk=franchise_id).values_list("pk", flat=True))
    except ValidationError:  # not a UUID: matches nothing
        return []


def review_figures(*, franchises: QuerySet[Franchise], since: dt.datetime | None = None) -> dict:
    """Average stars, how many reviews, the share answered and the average time to the
    first reply, over the reviews of `franchises` (created since `since`)."""
    reviews = Review.objects.filter(franchise__in=franchises, gone_at__isnull=True)
    if since is not None:
        reviews = reviews.filter(created_at__gte=since)
    wait = ExpressionWrapper(F("replied_at") - F("created_at"), output_field=DurationField())
    totals = reviews.aggregate(
        count=Count("pk"),
        average=Avg("stars"),
        answered=Count("pk", filter=Q(google_reply__isnull=False)),
        waiting=Count("pk", filter=Q(google_reply__isnull=True)),
        reply_time=Avg(wait, filter=Q(replied_at__isnull=False)),
    )
    count = totals["count"] or 0
    return {
        "count": count,
        "average": round(totals["average"], 1) if totals["average"] is not None else None,
        "reply_rate": round(100 * totals["answered"] / count) if count else None,
        "waiting": totals["waiting"],
        "reply_time": totals["reply_time"],
        "reply_time_text": human_duration(totals["reply_time"].total_seconds()) if totals["reply_time"] else "",
    }


def review_figures_by_franchise(*, franchises: QuerySet[Franchise]) -> list[dict]:
    """Each franchise's review figures, for the group view (headquarters)."""
    rows = (
        Review.objects.filter(franchise__in=franchises, gone_at__isnull=True)
        .values("franchise_id", "franchise__name")
        .annotate(
            count=Count("pk"),
            average=Avg("stars"),
            answered=Count("pk", filter=Q(google_reply__isnull=False)),
        )
        .order_by("franchise__name")
    )
    return [
        {
            "id": row["franchise_id"],
            "name": row["franchise__name"],
            "count": row["count"],
            "average": round(row["average"], 1),
            "reply_rate": round(100 * row["answered"] / row["count"]),
        }
        for row in rows
    ]


COST_DAYS = 30  # the inbox's cost of AI reply drafts covers this many days


def reply_draft_costs(*, franchises: QuerySet[Franchise], since: dt.datetime) -> dict:
    """What Claude's reply drafts cost since `since` (tokens, estimated US dollars, the share of
    requests answered in Message Batches at half price), as the post drafts' costs are told."""
    rows = ReplyDraftUsage.objects.filter(franchise__in=franchises, at__gte=since)
    totals = {"requests": 0, "batched": 0, "input_tokens": 0, "output_tokens": 0, "cost": 0.0}
    for batch, n, tokens_in, tokens_out, cache_read, cache_write in (
        rows.values("batch")
        .annotate(
            n=Count("pk"),
            tokens_in=Sum("input_tokens"),
            tokens_out=Sum("output_tokens"),
            cache_read=Sum("cache_read_tokens"),
            cache_write=Sum("cache_write_tokens"),
        )
        .values_list("batch", "n", "tokens_in", "tokens_out", "cache_read", "cache_write")
    ):
        totals["requests"] += n
        totals["batched"] += n if batch else 0
        totals["input_tokens"] += tokens_in
        totals["output_tokens"] += tokens_out
        totals["cost"] += usage_cost(
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            cache_read_tokens=cache_read,
            cache_write_tokens=cache_write,
            batch=batch,
        )
    requests = totals["requests"]
    totals["batch_share"] = f"{round(100 * totals['batched'] / requests)} %" if requests else "none"
    totals["cost_text"] = (
        f"${totals['cost']:.2f}" if totals["cost"] >= 0.01 or not requests else f"${totals['cost']:.4f}"
    )
    return totals


def review_week(*, franchise: Franchise, since: dt.datetime) -> dict:
    """A franchise's week of reviews for its digest: new since `since`, their average stars, and
    every review still waiting for a reply."""
    reviews = Review.objects.filter(franchise=franchise, gone_at__isnull=True)
    new = reviews.filter(first_seen_at__gte=since).aggregate(count=Count("pk"), average=Avg("stars"))
    waiting = reviews.filter(google_reply__isnull=True, reply_wanted=False).count()
    average = round(new["average"], 1) if new["average"] is not None else None
    return {"new": new["count"], "average": average, "waiting": waiting}
