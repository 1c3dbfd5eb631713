"""/api/v1/results: a franchise's figures on Google and the ranking of the key's franchises."""

# No `from __future__ import annotations`: ninja reads these signatures through the idempotency
# wrapper, whose module cannot resolve annotations written as strings.

import uuid

from ninja import Query, Router, Schema
from pydantic import Field

from insights.selectors import insights_for_franchise, insights_ranking

from ..auth import READ
from ..errors import ErrorOut
from ..schemas import FranchiseResultsOut, RankingPageOut
from ..selectors import franchise_get_for_key, franchises_for_key

router = Router(tags=["results"])
ERRORS = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}


@router.get(
    "/franchises/{franchise_id}/results",
    auth=READ,
    response={200: FranchiseResultsOut, **ERRORS},
    operation_id="results_franchise",
)
def results_franchise(request, franchise_id: uuid.UUID):
    """The franchise's daily figures (the Results page's): totals against the period before, and
    the chart's days."""
    franchise = franchise_get_for_key(key=request.auth, franchise_id=franchise_id)
    return insights_for_franchise(franchise=franchise)


class RankingPaging(Schema):
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=1_000_000)


@router.get("/results/ranking", auth=READ, response={200: RankingPageOut, **ERRORS}, operation_id="results_ranking")
def results_ranking(request, paging: Query[RankingPaging]):
    """The key's franchises ranked by the change of their views (the Results page's ranking for
    headquarters), a page of `limit` rows from `offset`; the two groups cover every franchise. The
    change is reckoned from running totals, so the order is made in Python, in four queries
    however many franchises (insights/selectors.py)."""
    ranking = insights_ranking(franchises=franchises_for_key(key=request.auth))
    total = len(ranking["rows"])
    ranking["rows"] = ranking["rows"][paging.offset : paging.offset + paging.limit]
    rows = [
        {
            **{k: v for k, v in row.items() if k != "franchise"},
            "franchise_id": row["franchise"].pk,
            "name": row["franchise"].name,
        }
        for row in ranking["rows"]
    ]
    return {**ranking, "rows": rows, "total": total}
