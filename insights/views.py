"""The figures' pages: one franchise's last 90 days on Google, and the user's franchises ranked."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from franchises.selectors import franchise_get_for_user, franchises_for_user, user_is_headquarters
from gbp_scheduler.downloads import csv_download
from reviews.selectors import review_figures, review_figures_by_franchise

from .selectors import (
    CHART_DAYS,
    PERIOD_DAYS,
    insights_for_franchise,
    insights_ranking,
    search_keywords_across,
    search_keywords_for_franchise,
)

RANKING_PAGE_SIZE = 50  # rows a page of the ranking (`?page=`); the order and the two groups cover all


@login_required
@require_GET
def franchise_insights(request: HttpRequest, franchise_id) -> HttpResponse:
    """The chart (static/js/insights.js draws it from the json_script data), the totals and the top
    search keywords."""
    franchise = franchise_get_for_user(user=request.user, franchise_id=franchise_id)
    with timezone.override(franchise.zone):
        context = {
            "franchise": franchise,
            "insights": insights_for_franchise(franchise=franchise),
            "keywords": search_keywords_for_franchise(franchise=franchise),
            "chart_days": CHART_DAYS,
            "period_days": PERIOD_DAYS,
            "reviews": review_figures(franchises=franchises_for_user(user=request.user).filter(pk=franchise.pk)),
        }
        return render(request, "insights/franchise.html", context)


@login_required
@require_GET
def insights_ranking_page(request: HttpRequest) -> HttpResponse:
    """The user's franchises (all of them for headquarters) ranked by the change in their views,
    RANKING_PAGE_SIZE a page (`?page=`): the ranking and the two groups at a glance cover them all.
    Headquarters also sees the group's top search keywords."""
    franchises = franchises_for_user(user=request.user)
    ranking = insights_ranking(franchises=franchises, page=request.GET.get("page"), size=RANKING_PAGE_SIZE)
    keywords = search_keywords_across(franchises=franchises) if user_is_headquarters(request.user) else None
    headquarters = user_is_headquarters(request.user)
    context = {
        "ranking": ranking,
        "page": ranking["page"],
        "period_days": PERIOD_DAYS,
        "keywords": keywords,
        "reviews": review_figures(franchises=franchises),
        # Headquarters compares the group's locations by their reviews.
        "reviews_by_location": review_figures_by_franchise(franchises=franchises) if headquarters else None,
    }
    return render(request, "insights/ranking.html", context)


@login_required
@require_GET
def franchise_insights_csv(request: HttpRequest, franchise_id) -> StreamingHttpResponse:
    """The franchise's figures as a CSV file: a row a day of the chart's days, each group's value
    (empty where Google had none) and the posts published that day."""
    franchise = franchise_get_for_user(user=request.user, franchise_id=franchise_id)
    with timezone.override(franchise.zone):
        chart = insights_for_franchise(franchise=franchise)["chart"]
    header = ["day", *(series["label"] for series in chart["series"]), "posts published"]
    rows = (
        [day, *(series["data"][n] for series in chart["series"]), chart["posts"][n]]
        for n, day in enumerate(chart["labels"])
    )
    return csv_download(f"results-{slugify(franchise.name)}.csv", header, rows)


@login_required
@require_GET
def insights_ranking_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The ranking as a CSV file: every franchise of the user's, its views over the last
    PERIOD_DAYS days with figures against the PERIOD_DAYS before, the change, and its posts."""
    ranking = insights_ranking(franchises=franchises_for_user(user=request.user))
    current, previous = ranking["current"], ranking["previous"]
    header = [
        "franchise",
        f"views {current[0].isoformat()} to {current[1].isoformat()}",
        f"views {previous[0].isoformat()} to {previous[1].isoformat()}",
        "change %",
        "posts published",
        "posts a week",
    ]
    rows = (
        [
            row["franchise"].name,
            row["current"],
            row["previous"],
            None if row["change"] is None else round(row["change"], 1),
            row["posts"],
            row["per_week"],
        ]
        for row in ranking["rows"]
    )
    return csv_download("results.csv", header, rows)
