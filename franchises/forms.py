"""Forms of the franchise admin pages (settings, members, invitations) and of accepting an invitation."""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from functools import cache

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm, SetPasswordMixin

from gbp_scheduler.throttle import allowance_take

from .models import MAX_POSTS_PER_WEEK, Franchise, FranchiseVariable, Membership
from .services import PROFILE_FIELDS
from .variables import franchise_variables_filled
from .zone_data import COUNTRY_ZONES, LEGACY_ALIASES


@cache
def zones_canonical() -> frozenset[str]:
    """The zones a menu offers: the database's canonical names, without legacy aliases ("EST",
    "US/Eastern", "Asia/Calcutta") and the fixed offsets of Etc/ ("Etc/GMT+5"): UTC stands for those."""
    names = zoneinfo.available_timezones() - LEGACY_ALIASES
    return frozenset(name for name in names if "/" in name and not name.startswith("Etc/"))


@cache
def _country_of_zone() -> dict[str, str]:
    country = {}
    for code, (_, zones) in COUNTRY_ZONES.items():
        for zone in zones:
            country.setdefault(zone, code)
    return country


def zone_choices(current: str = "") -> list[tuple[str, list[tuple[str, str]]]]:
    """The time-zone menu, grouped: the zones of the current zone's country first (when it has
    one), then UTC, then every other zone by region (America, Europe, ...). A current zone the
    menu would not offer (an alias saved before) is kept, first, so saving changes nothing."""
    canonical = zones_canonical()
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    if current and current != "UTC" and current not in canonical:
        groups.append(("Current", [(current, current.replace("_", " "))]))
    first: tuple[str, ...] = ()
    if code := _country_of_zone().get(current):
        name, zones = COUNTRY_ZONES[code]
        first = tuple(zone for zone in zones if zone in canonical)
        groups.append((name, [(zone, zone.replace("_", " ")) for zone in first]))
    groups.append(("Universal", [("UTC", "UTC")]))
    by_region: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for zone in sorted(canonical - set(first)):
        by_region[zone.split("/")[0]].append((zone, zone.replace("_", " ")))
    groups.extend(sorted(by_region.items()))
    return groups


class FranchiseProfileForm(forms.ModelForm):
    """A franchise's name, business profile (what AI drafts are written from), AI options and time
    zone, labelled once for every form that edits them: the settings page, headquarters' new
    franchise, and the Django admin. Each subclass picks its `fields`."""

    timezone = forms.ChoiceField(
        label="Time zone",
        help_text="Posts are scheduled and shown in this zone. The zones of its country come first.",
    )
    website = forms.URLField(label="Website", required=False, max_length=200, assume_scheme="https")

    class Meta:
        model = Franchise
        fields = ["name", *PROFILE_FIELDS]
        labels = {
            "name": "Name",
            "is_active": "Active",
            "description": "What the business does",
            "services": "Services",
            "city": "City",
            "tone": "Tone of voice",
            "posts_per_week": "AI drafts a week",
            "ai_drafts_enabled": "Write AI drafts",
            "auto_schedule_ai_posts": "Schedule AI posts without review",
        }
        help_texts = {
            "name": "As staff and headquarters call it; its name on Google comes from Google.",
            "is_active": "Inactive: nothing more is published or drafted for it; what is on Google stays managed.",
            "description": "A few sentences Claude uses to write this franchise's posts.",
            "services": "One service per line.",
            "city": "Used in AI drafts and in announcements' {city}.",
            "tone": "For example: warm and local, or brief and professional.",
            "posts_per_week": f"0 to {MAX_POSTS_PER_WEEK}; 0 means no AI drafts.",
            "auto_schedule_ai_posts": "Off: AI drafts wait in the review queue until someone approves them.",
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "services": forms.Textarea(attrs={"rows": 4}),
            "posts_per_week": forms.NumberInput(attrs={"min": 0, "max": MAX_POSTS_PER_WEEK}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = zone_choices(self.instance.timezone if self.instance else "")

    def clean_posts_per_week(self) -> int:
        value = self.cleaned_data["posts_per_week"]
        if value > MAX_POSTS_PER_WEEK:
            raise forms.ValidationError(f"At most {MAX_POSTS_PER_WEEK} a week.")
        return value


class FranchiseSettingsForm(FranchiseProfileForm):
    """The settings page (its admins): the profile, the AI options and the time zone."""

    class Meta(FranchiseProfileForm.Meta):
        fields = list(PROFILE_FIELDS)


class FranchiseRenameForm(forms.ModelForm):
    class Meta:
        model = Franchise
        fields = ["name"]
        labels = FranchiseProfileForm.Meta.labels
        help_texts = FranchiseProfileForm.Meta.help_texts


class InviteForm(forms.Form):
    email = forms.EmailField(
        label="Email",
        max_length=254,
        help_text="They get a link to join; it works once and expires. Nobody is added until they accept.",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(label="Role", choices=Membership.Role.choices, initial=Membership.Role.STAFF)


class InvitationAccountForm(SetPasswordMixin, forms.Form):
    """A new account for an invited address: only a password. Its username is the address itself:
    a username chosen here could be taken, and saying so ("a user with that username already
    exists") told whoever held a link which usernames this installation has."""

    password1, password2 = SetPasswordMixin.create_password_fields()

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user  # unsaved: the password validators compare against its address

    def clean(self) -> dict:
        self.validate_passwords()
        self.validate_password_for_user(self.user)
        return super().clean()


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Membership.Role.choices)


class PasswordResetThrottledForm(PasswordResetForm):
    def get_users(self, email):
        """The accounts Django would email, less those past their allowance of
        PASSWORD_RESET_PER_ACCOUNT_PER_HOUR.

        Counted per account found, not per address typed: Django finds users case-insensitively
        (and PostgreSQL's UPPER() turns the long s, U+017F, into S), so five spellings of one
        address were five allowances for one inbox. Past it the answer is unchanged: nothing is
        sent, and nothing tells whether the address has an account."""
        for user in super().get_users(email):
            limit = settings.PASSWORD_RESET_PER_ACCOUNT_PER_HOUR
            if allowance_take(key=f"password-reset:user:{user.pk}", limit=limit):
                yield user


class FranchiseVariablesForm(forms.Form):
    """The franchise's values of the variables headquarters defined, one field each (`var_<key>`)."""

    PREFIX = "var_"

    def __init__(self, *args, franchise: Franchise, **kwargs):
        super().__init__(*args, **kwargs)
        values = {variable.key: value for variable, value in franchise_variables_filled(franchise)}
        for variable in FranchiseVariable.objects.all():
            self.fields[f"{self.PREFIX}{variable.key}"] = forms.CharField(
                label=variable.label,
                required=False,
                max_length=300,
                initial=values.get(variable.key, ""),
                help_text=" ".join(filter(None, [variable.help_text, f"Used as {{{variable.key}}}."])),
            )

    def values(self) -> dict[str, str]:
        """{key: value} as franchise_variables_set takes them."""
        return {name.removeprefix(self.PREFIX): value for name, value in self.cleaned_data.items()}
