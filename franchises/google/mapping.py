"""Connect many: map a group's franchises to the locations of one Google connection in bulk.

After one consent, every location of every account the Google user manages is listed, each
franchise not yet on Google is matched automatically where a location's title, city or address
fits, and the person confirms, changes or skips each match. A franchise that already publishes
through this account keeps its location unless the person picks another; one that publishes
through another account is left there unless the person picks a location here, and such a move is
said ("N franchises move from A to B") and confirmed before anything changes. Applying a mapping
points each franchise at its location through the connection (the same service as picking one
location by hand), so the one-location-one-franchise rule and the franchise's history hold here too.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field

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
    proposed: LocationChoice | None  # what the page selects: the automatic match, its location here, or None
    candidates: list[LocationChoice]  # the best few, for the person to choose from first
    current: str = ""  # "account/location" the franchise publishes to now
    elsewhere: bool = False  # it publishes through another Google account: left there unless moved


def matches_propose(
    *, franchises: list[Franchise], locations: list[LocationChoice], connection: GoogleConnection | None = None
) -> list[MatchRow]:
    """One row per franchise, each with its best few candidates and what the page selects for it:
    its location when it publishes through `connection` already; nothing when it publishes through
    another account (saving the page as it is moves nobody); else its best free location (greedy
    by score, each location at most once, none held by another franchise)."""
    elsewhere = {
        f.pk for f in franchises if connection is not None and f.google_connection_id not in (None, connection.pk)
    }
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
        if franchise_id in proposed or franchise_id in elsewhere or key in taken:
            continue
        proposed[franchise_id] = by_key[key]
        taken.add(key)
    rows = []
    for franchise in franchises:
        current = (
            f"{franchise.google_account_id}/{franchise.google_location_id}" if franchise.google_location_id else ""
        )
        best = sorted(free, key=lambda loc, f=franchise: -match_score(f, loc))[:5]
        if current and current in by_key and franchise.pk not in elsewhere:
            proposed[franchise.pk] = by_key[current]
        rows.append(MatchRow(franchise, proposed.get(franchise.pk), best, current, franchise.pk in elsewhere))
    return rows


@dataclass
class MappingChange:
    franchise: Franchise
    location: LocationChoice
    moves_from: GoogleConnection | None = None  # the account it publishes through now, when another


@dataclass
class MappingPlan:
    """What saving a page of the map would do: the changes, the rows left as they are, and the
    choices refused (a location not in the account)."""

    changes: list[MappingChange] = field(default_factory=list)
    skipped: int = 0
    refused: list[str] = field(default_factory=list)

    @property
    def moves(self) -> list[MappingChange]:
        return [change for change in self.changes if change.moves_from is not None]

    def moves_said(self, *, to: GoogleConnection) -> list[str]:
        """ "N franchises move from A to B: names", one line per account they leave."""
        by_account = defaultdict(list)
        for change in self.moves:
            by_account[str(change.moves_from)].append(change.franchise.name)
        return [
            f"{len(names)} franchise{'s' if len(names) != 1 else ''} move{'' if len(names) != 1 else 's'} "
            f"from {account} to {to}: {', '.join(sorted(names))}"
            for account, names in sorted(by_account.items())
        ]

    @property
    def moves_digest(self) -> str:
        """What a confirmation confirmed: changes to the moves since (another tab, another admin)
        ask again instead of moving what was not shown."""
        moves = sorted(f"{c.franchise.pk}:{c.moves_from.pk}:{c.location.key}" for c in self.moves)
        return hashlib.sha256("|".join(moves).encode()).hexdigest()[:32]


def mapping_plan(
    *, connection: GoogleConnection, choices: dict, franchises: list[Franchise], user: AbstractBaseUser | None
) -> MappingPlan:
    """The person's choices, {franchise id: "account/location" or "" to leave it}, as a plan: a row
    left as the page showed it (its location here, or nothing picked) changes nothing; a location
    for a franchise publishing through another account is a move, to confirm first."""
    by_key = {loc.key: loc for loc in connection_locations(connection=connection, user=user)}
    plan = MappingPlan()
    for franchise in franchises:
        choice = choices.get(str(franchise.pk), "")
        current = f"{franchise.google_account_id}/{franchise.google_location_id}"
        if not choice or (choice == current and franchise.google_connection_id == connection.pk):
            plan.skipped += 1
            continue
        location = by_key.get(choice)
        if location is None:
            plan.refused.append(f"{franchise.name}: that location is not in this Google account.")
            continue
        elsewhere = franchise.google_connection_id not in (None, connection.pk)
        plan.changes.append(MappingChange(franchise, location, franchise.google_connection if elsewhere else None))
    return plan


@dataclass
class MappingResult:
    mapped: list[str]
    moved: list[str]
    skipped: int
    refused: list[str]  # "Franchise: why"


def franchises_map(*, connection: GoogleConnection, plan: MappingPlan, user: AbstractBaseUser | None) -> MappingResult:
    """Apply a plan (its moves confirmed by the person). Each franchise is done on its own; one
    refused choice does not stop the others."""
    result = MappingResult([], [], plan.skipped, list(plan.refused))
    for change in plan.changes:
        franchise, location = change.franchise, change.location
        try:
            google_location_pick(
                franchise=franchise,
                connection=connection,
                account_id=location.account_id,
                location_id=location.location_id,
                title=location.title,
                rights=location.rights,
                user=user,
            )
        except GoogleConnectError as exc:
            result.refused.append(f"{franchise.name}: {exc}")
        else:
            (result.moved if change.moves_from is not None else result.mapped).append(franchise.name)
    return result
