"""Connect many: map a group's franchises to the locations of one Google connection in bulk.

After one consent, every location of every account the Google user manages is listed, each
franchise is matched automatically where a location's title, city or address fits, and the
person confirms, changes or skips each match. Applying a mapping points each franchise at its
location through the connection (the same service as picking one location by hand), so the
one-location-one-franchise rule and the franchise's history hold here too.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache

from ..models import Franchise, GoogleConnection
from ..selectors import location_holders
from .connect import GoogleConnectError, LocationChoice, google_location_choices, google_location_pick

LOCATIONS_CACHE_SECONDS = 10 * 60
MATCH_THRESHOLD = 0.6
_WORDS = re.compile(r"[a-z0-9]+")


def connection_locations(
    *, connection: GoogleConnection, refresh: bool = False, user: AbstractBaseUser | None = None
) -> list[LocationChoice]:
    """Every location the connection can publish to, across all its accounts (all pages of each),
    kept in the cache for ten minutes so paging through the mapping does not list them again.
    Which franchise holds each location is looked up fresh every time, named only to a `user`
    who may see that franchise."""
    key = f"google-locations:{connection.pk}"
    found = None if refresh else cache.get(key)
    if found is None:
        found = [
            location for account in google_location_choices(connection=connection) for location in account.locations
        ]
        cache.set(key, found, LOCATIONS_CACHE_SECONDS)
    holders = location_holders(user=user)
    for location in found:
        location.held_by = holders.get(location.key, "")
    return found


def _words(text: str) -> set[str]:
    return set(_WORDS.findall((text or "").lower()))


def match_score(franchise: Franchise, location: LocationChoice) -> float:
    """How well a location fits a franchise, from 0 to 1: its title against the franchise's name
    (and the franchise's city against the location's city and address)."""
    name, title = franchise.name.lower().strip(), location.title.lower().strip()
    score = difflib.SequenceMatcher(None, name, title).ratio()
    name_words, title_words = _words(franchise.name), _words(location.title)
    if name_words and name_words <= title_words:
        score = max(score, 0.8)  # "Dayton" in "GreenLeaf Lawn Care — Dayton"
    city = (franchise.city or "").lower().strip()
    if city and (city == location.city.lower().strip() or city in location.address.lower()):
        score = max(score, 0.7) + 0.1
    return min(score, 1.0)


@dataclass
class MatchRow:
    franchise: Franchise
    proposed: LocationChoice | None  # the automatic match, or None
    candidates: list[LocationChoice]  # the best few, for the person to choose from first
    current: str = ""  # "account/location" the franchise publishes to now


def matches_propose(*, franchises: list[Franchise], locations: list[LocationChoice]) -> list[MatchRow]:
    """One row per franchise with its best free location (greedy by score, each location at most
    once, none held by another franchise), and its best few candidates."""
    free = [location for location in locations if not location.held_by]
    scored = sorted(
        ((match_score(f, loc), f.pk, loc.key) for f in franchises for loc in free),
        key=lambda item: (-item[0], str(item[1]), item[2]),
    )
    by_key = {loc.key: loc for loc in locations}
    taken: set[str] = set()
    proposed: dict = {}
    for score, franchise_id, key in scored:
        if score < MATCH_THRESHOLD:
            break
        if franchise_id in proposed or key in taken:
            continue
        proposed[franchise_id] = by_key[key]
        taken.add(key)
    rows = []
    for franchise in franchises:
        current = (
            f"{franchise.google_account_id}/{franchise.google_location_id}" if franchise.google_location_id else ""
        )
        best = sorted(free, key=lambda loc, f=franchise: -match_score(f, loc))[:5]
        if current and current in by_key:
            proposed.setdefault(franchise.pk, by_key[current])
        rows.append(MatchRow(franchise, proposed.get(franchise.pk), best, current))
    return rows


@dataclass
class MappingResult:
    mapped: list[str]
    skipped: int
    refused: list[str]  # "Franchise: why"


def franchises_map(
    *,
    connection: GoogleConnection,
    choices: dict,
    franchises: list[Franchise],
    user: AbstractBaseUser | None,
) -> MappingResult:
    """Apply the person's choices: {franchise id: "account/location" or "" to skip}. Each
    franchise is done on its own; one refused choice does not stop the others."""
    by_key = {loc.key: loc for loc in connection_locations(connection=connection, user=user)}
    result = MappingResult([], 0, [])
    for franchise in franchises:
        choice = choices.get(str(franchise.pk), "")
        current = f"{franchise.google_account_id}/{franchise.google_location_id}"
        if not choice or (choice == current and franchise.google_connection_id == connection.pk):
            result.skipped += 1
            continue
        location = by_key.get(choice)
        if location is None:
            result.refused.append(f"{franchise.name}: that location is not in this Google account.")
            continue
        try:
            google_location_pick(
                franchise=franchise,
                connection=connection,
                account_id=location.account_id,
                location_id=location.location_id,
                title=location.title,
                user=user,
            )
        except GoogleConnectError as exc:
            result.refused.append(f"{franchise.name}: {exc}")
        else:
            result.mapped.append(franchise.name)
    return result
