"""A franchise's admins hear of a new low-star review once (franchises/recipients.py decides who:
those who did not turn it off in their profile)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from franchises.recipients import AdminEmail, franchise_admins_tell
from gbp_scheduler import clock

from ..models import Review

LOW_STARS = 2  # a review of this many stars or fewer is told at once


def low_star_reviews_notify(*, names: list[str]) -> int:
    """Email about each of these reviews that nobody was told about yet (claimed by one UPDATE,
    so overlapping runs tell once); how many."""
    if not names:
        return 0
    now = clock.now()
    claimed = Review.objects.filter(google_name__in=names, low_star_notice_at__isnull=True, stars__lte=LOW_STARS)
    ids = list(claimed.values_list("pk", flat=True))
    Review.objects.filter(pk__in=ids, low_star_notice_at__isnull=True).update(low_star_notice_at=now)
    reviews = list(Review.objects.filter(pk__in=ids, low_star_notice_at=now).select_related("franchise"))
    by_franchise: dict = {}
    for review in reviews:
        by_franchise.setdefault(review.franchise_id, []).append(review)

    def message(franchises) -> tuple[str, str]:
        theirs = [r for f in franchises for r in by_franchise.get(f.pk, [])]
        lines = []
        for review in theirs:
            url = settings.SITE_URL + reverse("reviews:detail", args=[review.pk])
            who = review.reviewer_name or "a Google user"
            stars = f"{review.stars} star{'s' if review.stars > 1 else ''}"
            lines.append(
                f'{review.franchise.name}: {stars} from {who}\n  "{review.comment[:300] or "(no text)"}"\n  {url}'
            )
        count = len(theirs)
        subject = f"{count} new low-star Google review{'s' if count > 1 else ''}"
        body = "A reply soon shows other customers you care:\n\n" + "\n\n".join(lines)
        return subject, body

    if by_franchise:
        franchise_admins_tell(
            franchise_ids=list(by_franchise),
            email=AdminEmail.LOW_STAR_REVIEW,
            message=message,
            about="low-star reviews",
        )
    return len(reviews)
