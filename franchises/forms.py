"""Forms of the franchise admin pages (settings, members, invitations) and of accepting an invitation."""

from __future__ import annotations

import zoneinfo
from functools import cache

from django import forms
from django.contrib.auth.forms import UserCreationForm

from .models import MAX_POSTS_PER_WEEK, Franchise, Membership
from .services import PROFILE_FIELDS


@cache
def _zone_choices() -> list[tuple[str, str]]:
    # Only IANA names; the legacy aliases without a slash ("EST", "GMT+0") confuse more than help.
    names = sorted(name for name in zoneinfo.available_timezones() if "/" in name or name == "UTC")
    return [(name, name.replace("_", " ")) for name in names]


class FranchiseSettingsForm(forms.ModelForm):
    """The business profile AI drafts are written from, the AI options and the time zone."""

    timezone = forms.ChoiceField(
        label="Time zone",
        help_text="Posts are scheduled and shown in this zone (IANA name, e.g. America/New_York).",
    )
    website = forms.URLField(label="Website", required=False, max_length=200, assume_scheme="https")

    class Meta:
        model = Franchise
        fields = list(PROFILE_FIELDS)
        labels = {
            "description": "What the business does",
            "services": "Services",
            "city": "City",
            "tone": "Tone of voice",
            "posts_per_week": "AI drafts a week",
            "ai_drafts_enabled": "Write AI drafts",
            "auto_schedule_ai_posts": "Schedule AI posts without review",
        }
        help_texts = {
            "description": "A few sentences Claude uses to write this franchise's posts.",
            "services": "One service per line.",
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
        self.fields["timezone"].choices = _zone_choices()

    def clean_posts_per_week(self) -> int:
        value = self.cleaned_data["posts_per_week"]
        if value > MAX_POSTS_PER_WEEK:
            raise forms.ValidationError(f"At most {MAX_POSTS_PER_WEEK} a week.")
        return value


class InviteForm(forms.Form):
    email = forms.EmailField(
        label="Email",
        max_length=254,
        help_text="They get a link to join; it works once and expires. Nobody is added until they accept.",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(label="Role", choices=Membership.Role.choices, initial=Membership.Role.STAFF)


class InvitationAccountForm(UserCreationForm):
    """A new account for an invited address: a username and a password (the address is the one
    the invitation went to)."""

    class Meta(UserCreationForm.Meta):
        help_texts = {"username": "You sign in with it. Letters, digits and @/./+/-/_ only."}


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Membership.Role.choices)
