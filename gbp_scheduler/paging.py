"""A pager that stops counting: a list of a million posts pages the same as one of a hundred.

Django's Paginator counts every row the list picks (`COUNT(*)`) to say "page 1 of 40,000": at a
group's size that count costs more than the page. CappedPaginator counts no further than
COUNT_CAP rows (`SELECT COUNT(*) FROM (... LIMIT cap + 1)`); past it the pager says "1,000+" and
pages to the cap, and a filter narrows the list to what is past it."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.functional import cached_property

COUNT_CAP = 1000


class CappedPaginator(Paginator):
    def __init__(self, object_list, per_page, *, cap: int | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap if cap is not None else COUNT_CAP

    @cached_property
    def counted(self) -> int:
        """The rows, counted up to one past the cap."""
        return self.object_list[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.counted > self.cap

    @cached_property
    def count(self) -> int:
        return min(self.counted, self.cap)

    @property
    def count_text(self) -> str:
        """The count as the pager says it ("1,000+" past the cap)."""
        return f"{self.cap:,}+" if self.capped else f"{self.count:,}"

    @property
    def num_pages_text(self) -> str:
        return f"{self.num_pages:,}+" if self.capped else f"{self.num_pages:,}"
