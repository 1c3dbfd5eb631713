"""Headquarters sets the group's brand rules (posts/brand.py checks posts against them)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from ..models import BrandRules

# What a person sets: everything but who and when.
RULE_FIELDS = (
    "banned_phrases",
    "offer_terms_required",
    "link_domains",
    "utm_tagging",
    "photo_required",
    "photo_min_width",
    "photo_min_height",
)


def brand_rules_get() -> BrandRules:
    """The group's rules row as it is (unsaved and empty when none was set yet)."""
    return BrandRules.objects.filter(pk=BrandRules.GROUP).first() or BrandRules()


def brand_rules_save(*, user: AbstractBaseUser | None, **fields) -> BrandRules:
    """Set the group's rules. Posts already scheduled are checked against them when they publish."""
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise ValueError(f"Not a brand rule: {', '.join(sorted(unknown))}")
    rules = brand_rules_get()
    for name, value in fields.items():
        setattr(rules, name, value)
    rules.updated_by = user if getattr(user, "pk", None) else None
    rules.full_clean()
    rules.save()
    return rules
