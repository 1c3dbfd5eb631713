"""The franchise filters of the lists (posts, calendar across franchises, AI drafts): a <select> of
the user's franchises while they are few; past SELECT_MAX a search box asking franchise_pick
(views/picking.py) for the names that match, since 10,000 options made 750 KB of every page.
And the forms' boxes to tick franchises by (an announcement's, an API key's, a webhook's)."""

from __future__ import annotations

import uuid
from typing import NamedTuple

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse

from gbp_scheduler.widgets import LongCheckboxes, LongSelect, PickerInput

from .models import Franchise
from .selectors import franchises_for_user, franchises_matching

SELECT_MAX = 200  # franchises a filter lists as options; past it, the search box
PICK_RESULTS = 20  # franchises the search box offers at a time
ALL = "All franchises"


class FranchiseChoices(NamedTuple):
    """The user's franchises as a filter needs them: (id, name) by name, or None past SELECT_MAX;
    and the zones of all of them (the lists work out local days per zone)."""

    listed: list[tuple[uuid.UUID, str]] | None
    zones: set[str]


def franchise_choices(*, user: AbstractBaseUser) -> FranchiseChoices:
    """One query while the franchises are few; past SELECT_MAX a second one for their zones."""
    scope = franchises_for_user(user=user)
    rows = list(scope.order_by("name").values_list("pk", "name", "timezone")[: SELECT_MAX + 1])
    if len(rows) <= SELECT_MAX:
        return FranchiseChoices([(pk, name) for pk, name, _zone in rows], {zone for _pk, _name, zone in rows})
    return FranchiseChoices(None, set(scope.order_by().values_list("timezone", flat=True).distinct()))


def franchise_chosen(*, user: AbstractBaseUser, franchise_id: str) -> Franchise | None:
    """The user's franchise of a filter's `?franchise=` (what the lists read of it), None when blank;
    404 when it is not theirs, as everywhere else."""
    if not franchise_id:
        return None
    found = franchises_for_user(user=user).only("id", "name", "timezone").filter(pk=franchise_id).first()
    if found is None:
        raise Http404("No such franchise.")
    return found


def franchise_filter_widget(choices: FranchiseChoices, *, chosen: Franchise | None, attrs: dict) -> forms.Widget:
    """The filter's field: the franchises as options (a blank one first for all), or the search box."""
    if choices.listed is not None:
        return LongSelect(attrs=attrs, choices=[("", ALL), *((str(pk), name) for pk, name in choices.listed)])
    return PickerInput(url=reverse("franchises:pick"), label=chosen.name if chosen else "", empty=ALL, attrs=attrs)


def franchises_to_pick(*, user: AbstractBaseUser, search: str) -> list[dict]:
    """The first PICK_RESULTS of the user's franchises whose name or city contains `search`, by name."""
    rows = franchises_matching(franchises_for_user(user=user), search=search).order_by("name", "pk")
    return [
        {"id": str(pk), "label": f"{name} ({city})" if city else name}
        for pk, name, city in rows.values_list("pk", "name", "city")[:PICK_RESULTS]
    ]


def franchise_boxes(field: forms.ModelMultipleChoiceField, franchises: QuerySet[Franchise]) -> None:
    """Make `field` a box to tick for each of `franchises` (in their order), checked against them.
    The boxes are drawn from ids and names alone: each franchise as a model (its tokens decrypted)
    took 1.8 s of the profile page for headquarters at 10,000 franchises."""
    field.queryset = franchises
    field.widget = LongCheckboxes(attrs=field.widget.attrs)
    field.widget.choices = list(franchises.values_list("pk", "name"))
