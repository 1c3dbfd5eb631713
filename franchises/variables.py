"""Placeholders in a text written for many franchises: `{name}` and `{city}` from the franchise
itself, and the variables headquarters defines (`FranchiseVariable`: `{phone}`, `{coupon_code}`),
each franchise's own value filled in. Announcements, repeating posts and AI drafts fill texts
here; a placeholder a franchise has no value for is an error before anything is sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .models import BUILT_IN_PLACEHOLDERS, Franchise, FranchiseVariable, FranchiseVariableValue

# What looks like a placeholder: a word in braces. Other braces ("{see below}") stay as typed.
PLACEHOLDER_LIKE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def placeholders_in(text: str) -> list[str]:
    """The placeholder-like words of `text`, in order, once each."""
    return list(dict.fromkeys(PLACEHOLDER_LIKE.findall(text or "")))


def variables_used(text: str) -> list[str]:
    """The placeholders of `text` that are not built in: variables, or mistakes."""
    return [word for word in placeholders_in(text) if word not in BUILT_IN_PLACEHOLDERS]


def variables_defined(keys: Iterable[str] | None = None) -> dict[str, FranchiseVariable]:
    """{key: variable} of the variables headquarters defined (among `keys`: no query when empty)."""
    query = FranchiseVariable.objects.all()
    if keys is not None:
        keys = list(keys)
        if not keys:
            return {}
        query = query.filter(key__in=keys)
    return {variable.key: variable for variable in query}


def placeholder_problems(text: str, *, defined: dict | None = None) -> list[str]:
    """Each placeholder-like word in braces that is neither built in nor a variable, said so before
    anything is sent: "{City}" would otherwise reach Google as typed. One query, only when the text
    has a placeholder beyond {name} and {city} (none when `defined`, variables_defined(), is given)."""
    used = variables_used(text)
    if not used:
        return []
    defined = variables_defined() if defined is None else defined
    known = [*BUILT_IN_PLACEHOLDERS, *defined]
    listed = ", ".join(f"{{{key}}}" for key in known)
    problems = []
    for word in used:
        if word in defined:
            continue
        near = next((key for key in known if key == word.lower()), None)
        hint = f" Did you mean {{{near}}}?" if near else ""
        problems.append(f"{{{word}}} is not a placeholder.{hint} The text can use {listed}, in lower case.")
    return problems


def franchise_values(franchises: Iterable[Franchise], keys: Iterable[str]) -> dict:
    """{franchise id: {key: value}} of the variables `keys` for `franchises` (one query; none when
    no key). A franchise without a value for a key has no entry for it."""
    keys = list(keys)
    ids = [franchise.pk for franchise in franchises]
    found: dict = {pk: {} for pk in ids}
    if not keys or not ids:
        return found
    rows = FranchiseVariableValue.objects.filter(franchise_id__in=ids, variable__key__in=keys).exclude(value="")
    for franchise_id, key, value in rows.values_list("franchise_id", "variable__key", "value"):
        found[franchise_id][key] = value
    return found


def text_filled(template: str, *, franchise: Franchise, values: dict) -> str:
    """`template` with {name}, {city} and the variables in `values` filled in. Plain replacement,
    not str.format, so other braces in the text stay as typed."""
    text = template.replace("{name}", franchise.name).replace("{city}", franchise.city or "")
    for key, value in values.items():
        text = text.replace(f"{{{key}}}", value)
    return text


def values_missing(template: str, *, franchise: Franchise, values: dict) -> list[str]:
    """The placeholders of `template` this franchise has no value for ({city} included), each said
    with where to fill it in."""
    missing = []
    for word in placeholders_in(template):
        if word == "city" and not (franchise.city or "").strip():
            missing.append("It has no city for {city}: set one in its settings, or leave {city} out.")
        elif word not in BUILT_IN_PLACEHOLDERS and word not in values:
            missing.append(f"It has no value for {{{word}}}: fill it in on its settings page, or leave {{{word}}} out.")
    return missing


def franchises_missing_values(template: str, franchises: Iterable[Franchise], values: dict) -> str | None:
    """One sentence naming, for each variable of `template`, the franchises without a value for it
    (None when every franchise has every value): what "edit all" and the importer say."""
    lines = []
    for word in variables_used(template):
        names = [franchise.name for franchise in franchises if word not in values.get(franchise.pk, {})]
        if names:
            lines.append(f"No value for {{{word}}} in {', '.join(names)}: fill it in on their settings pages.")
    return " ".join(lines) or None


def franchise_variables_filled(franchise: Franchise) -> list[tuple[FranchiseVariable, str]]:
    """Each variable headquarters defined with this franchise's value, in their order (one query;
    a variable it has no value for is left out)."""
    rows = FranchiseVariableValue.objects.filter(franchise=franchise).exclude(value="").select_related("variable")
    return sorted(((row.variable, row.value) for row in rows), key=lambda pair: (pair[0].position, pair[0].label))
