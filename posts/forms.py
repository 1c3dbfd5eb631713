"""Forms of the dashboard. Date-times are typed in the franchise's own zone: the views parse and
render these forms inside `timezone.override(franchise.timezone)`, so Django reads a
`datetime-local` value as local time there and shows stored UTC times back in it."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from franchises.models import Franchise
from franchises.picking import FranchiseChoices, franchise_boxes, franchise_filter_widget
from franchises.variables import variables_defined
from gbp_scheduler.times import validate_sane_date

from .brand import post_check, post_check_messages
from .content import (
    DATETIMES,
    FIELD,
    FIELDSETS,
    LOCKS,
    SPANS,
    TOPIC_CHOICES,
    TYPED,
    PostTextField,
    carries,
    fieldset_fields,
    stored,
)
from .form_fields import datetime_field
from .gbp_mapping import ends_before_start_message
from .locked_fields import locked_names
from .models import BrandRules, Post, PostNote, PostSeries
from .services import MANY_ACTIONS, PostActionError
from .services.announcements import announcement_placeholder_problems
from .services.brand import RULE_FIELDS as BRAND_RULE_FIELDS
from .services.series import (
    MAX_TEXTS,
    WEEKDAYS,
    series_rule_build,
    series_rule_fields,
    series_texts_problems,
    texts_joined,
    texts_split,
)

# A forms' "Publish at" in the past. No "publish now" here: the forms that show it have no such button.
TIME_PASSED = "That time has passed; pick a time in the future."


class ContentForm(forms.Form):
    """What the forms a post's content is typed in share; `content_form` gives one its fields."""

    def clean(self) -> dict:
        cleaned = super().clean()
        for start, end in SPANS.values():
            if cleaned.get(start) and cleaned.get(end) and cleaned[end] < cleaned[start]:
                # Whatever the intent: the database refuses it even in a draft.
                self.add_error(end, ends_before_start_message(cleaned.get("topic_type", "")))
        return cleaned

    def add_problems(self, post: Post) -> None:
        """What Google would reject in `post`, and what breaks the brand rules, each problem next
        to its field (posts/brand.py)."""
        for problem in post_check(post):
            self.add_error(problem.field if problem.field in self.fields else None, problem.message)

    def fieldsets(self) -> list[dict]:
        """The editor's per-type groups (posts/content.py) with their fields: the page's script shows
        each for the post types in `topics` only."""
        groups = []
        for fieldset in FIELDSETS:
            fields = fieldset_fields(fieldset)
            groups.append(
                {
                    "id": fieldset.id,
                    "legend": fieldset.legend,
                    "topics": " ".join(fields[0].topics),
                    "fields": [self[field.name] for field in fields],
                    "dated": any(field.name in DATETIMES for field in fields),
                }
            )
        return groups


def content_form(names) -> type[ContentForm]:
    """A form class with the content fields `names`, each as posts/content.py declares it."""
    return type(ContentForm)("ContentFields", (ContentForm,), {name: FIELD[name].form() for name in names})


class LockedBoundField(forms.BoundField):
    """A field headquarters locked, shown read-only rather than disabled where the browser allows
    it (a select cannot be read-only): a read-only field is still sent, so the live preview shows
    it. The server reads it from the post either way (the field is `disabled`)."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        if not isinstance(widget or self.field.widget, forms.Select):
            attrs.pop("disabled", None)
            attrs["readonly"] = True
        return attrs


class PostForm(content_form(TYPED)):
    """A post's content plus an optional time to schedule it.

    `intent` says what the person asked for: "draft" saves as is (what Google would reject is only
    warned about), "schedule" also schedules, so the post must be publishable and have a time;
    "retry" and "publish_now" (a failed post, fixed) must be publishable and need no time."""

    scheduled_at = datetime_field("Publish at", help_text="Leave empty to keep it as a draft.")
    # The version of the post the form was filled from: saving over a newer one is refused.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args, franchise: Franchise, intent: str = "draft", locks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.franchise = franchise
        self.intent = intent
        # A post of an announcement: the parts headquarters locked are shown, not typed in (the
        # browser sends nothing for them, and post_update refuses a change anyway).
        for name in locked_names(locks):
            if name in self.fields:
                self.fields[name].disabled = True
                self.fields[name].bound_field_class = LockedBoundField
                self.fields[name].help_text = "Locked by headquarters for this announcement."
        self.fields["summary"].widget.attrs.pop("maxlength", None)  # the live count shows the limit
        if self.initial.get("topic_type") == Post.TopicType.ALERT:  # an alert made before stays one
            self.fields["topic_type"].choices = [*TOPIC_CHOICES, (Post.TopicType.ALERT, Post.TopicType.ALERT.label)]
            self.fields["topic_type"].help_text = Post.ALERT_NOTE

    @classmethod
    def initial_for(cls, post: Post) -> dict:
        initial = {name: getattr(post, name) for name in TYPED}
        # A time already past (a failed post's) is not offered again; a scheduled post keeps its own.
        future = post.scheduled_at is not None and post.scheduled_at > timezone.now()
        initial["scheduled_at"] = post.scheduled_at if future or post.status == Post.Status.SCHEDULED else None
        initial["version"] = post.version
        return initial

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.intent == "schedule":
            at = cleaned.get("scheduled_at")
            if at is None and "scheduled_at" not in self.errors:
                self.add_error("scheduled_at", "Pick when to publish it.")
            elif at is not None and at < timezone.now() - dt.timedelta(minutes=1):
                self.add_error("scheduled_at", TIME_PASSED)
        if self.intent in ("schedule", "published", "retry", "publish_now") and not self.errors:
            self.add_problems(self.unsaved_post())
        return cleaned

    def post_fields(self) -> dict:
        """The cleaned content, as keyword arguments for post_create / post_update."""
        return {name: stored(name, self.cleaned_data.get(name)) for name in TYPED}

    def unsaved_post(self) -> Post:
        """A Post built from what is valid so far: for the preview and Google's checks."""
        data = getattr(self, "cleaned_data", {})
        fields = {name: data.get(name) for name in TYPED if data.get(name) is not None}
        if "summary" not in fields and self.is_bound:  # too long, say: preview it as typed
            fields["summary"] = self.data.get("summary", "")
        if data.get("scheduled_at"):
            fields["scheduled_at"] = data["scheduled_at"]
        return Post(franchise=self.franchise, **fields)

    def problems(self) -> list[str]:
        """What Google would reject in the current content, and the brand rules (for warnings on drafts)."""
        return post_check_messages(self.unsaved_post())


class ScheduleForm(forms.Form):
    """Approve and schedule from the post page or the drafts queue."""

    scheduled_at = datetime_field("Publish at", required=True)

    def clean_scheduled_at(self) -> dt.datetime:
        at = self.cleaned_data["scheduled_at"]
        if at < timezone.now() - dt.timedelta(minutes=1):
            raise forms.ValidationError(TIME_PASSED)
        return at


class NoteForm(forms.Form):
    """A team note on a post (posts/services/notes.py)."""

    text = forms.CharField(
        label="Add a note for your team",
        widget=forms.Textarea(attrs={"rows": 3, "id": "note-text"}),
        max_length=PostNote.TEXT_MAX_LENGTH,
        help_text="Mention someone who can see this post with @ and their username: they get an email.",
    )


class MoveForm(forms.Form):
    """Another day for a scheduled post (the calendar's Move page); its local time stays."""

    day = forms.DateField(
        label="Move to", widget=forms.DateInput(attrs={"type": "date"}), validators=[validate_sane_date]
    )


class PostFilterForm(forms.Form):
    """The list's filters; every field optional, bad values are ignored with an inline error."""

    status = forms.ChoiceField(label="Status", choices=[("", "Any status"), *Post.Status.choices], required=False)
    source = forms.ChoiceField(label="Source", choices=[("", "Any source"), *Post.Source.choices], required=False)
    # Of the user's franchises (franchises/picking.py): options, or past a few hundred a search box.
    franchise = forms.UUIDField(label="Franchise", required=False)
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}), validators=[validate_sane_date]
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}), validators=[validate_sane_date]
    )

    def __init__(self, *args, franchises: FranchiseChoices | None = None, chosen: Franchise | None = None, **kwargs):
        """`franchises`: the filter's choices (no franchise filter when None); `chosen`: the
        franchise `?franchise=` names, which the view has checked is the user's."""
        super().__init__(*args, **kwargs)
        if franchises is None:
            del self.fields["franchise"]
        else:
            self.fields["franchise"].widget = franchise_filter_widget(franchises, chosen=chosen, attrs={})

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned


class AnnouncementContentForm(content_form(TYPED)):
    """What every post of an announcement shares, and when it goes out ("edit all" changes these):
    a post's content, as in the editor (the text with {name} and {city} filled in per franchise);
    an event's or offer's start and end, like the publish time, are each franchise's local time."""

    summary = PostTextField(
        label="Text",
        widget=forms.Textarea(attrs={"rows": 8, "id": "summary", "aria-describedby": "char-count summary-help"}),
        strip=False,
        help_text="Use {name} and {city} (in lower case): each franchise's own name and city are filled in.",
    )
    local_time = forms.TimeField(
        label="Publish at (each franchise's local time)",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    date = forms.DateField(label="On", widget=forms.DateInput(attrs={"type": "date"}), validators=[validate_sane_date])
    locked = forms.MultipleChoiceField(
        label="Locked: no franchise can change these on its post",
        choices=list(LOCKS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Franchises can still adjust the parts not locked (their own photo, a local line).",
    )
    overwrite = forms.BooleanField(
        label="Overwrite local changes",
        required=False,
        help_text="Otherwise each franchise keeps what it adjusted on its post in the parts not locked.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic_type"].required = False  # none picked: an update
        if variables := variables_defined():  # headquarters' own fields, filled in per franchise too
            keys = ", ".join(f"{{{key}}}" for key in variables)
            self.fields[
                "summary"
            ].help_text = (
                f"Use {{name}}, {{city}} and {keys} (in lower case): each franchise's own values are filled in."
            )
        for name in DATETIMES:
            self.fields[name].label = f"{self.fields[name].label} (each franchise's local time)"

    def clean_summary(self) -> str:
        summary = self.cleaned_data["summary"]
        problems = announcement_placeholder_problems(template=summary)
        if problems:
            raise forms.ValidationError(problems)
        return summary

    def locks(self) -> list[str]:
        """The parts headquarters locked (keys of content.LOCKS)."""
        return list(self.cleaned_data.get("locked") or [])

    def post_fields(self) -> dict:
        """The cleaned content for announcement_preview / _schedule / _edit_all: the text as typed
        (`template`), the rest as the columns keep it, what the post type does not carry empty, and
        an event's times as typed (wall-clock, no zone: the service puts each in its franchise's)."""
        data = self.cleaned_data
        topic = data.get("topic_type") or Post.TopicType.STANDARD
        fields = {"template": data["summary"], "topic_type": topic}
        for name in TYPED:
            if name in fields or name == "summary":
                continue
            value = stored(name, data.get(name) if carries(topic, name) else None)
            fields[name] = value.replace(tzinfo=None) if isinstance(value, dt.datetime) else value
        return fields


class AnnouncementForm(AnnouncementContentForm):
    """One post for many franchises, once or repeating (a repeating post in each franchise)."""

    # The order the errors are listed in: what the posts say, the franchises, then when.
    field_order = ["summary", "all_franchises", "franchises", *TYPED]
    overwrite = None  # a first send has no local changes to overwrite

    all_franchises = forms.BooleanField(
        label="Every active franchise", required=False, help_text="Or pick them one by one below."
    )
    franchises = forms.ModelMultipleChoiceField(
        label="Franchises",
        queryset=Franchise.objects.none(),
        required=False,
    )
    repeat = forms.ChoiceField(
        label="Repeat",
        choices=[("", "Once"), ("weekly", "Every week, on that weekday"), ("monthly", "Every month, on that day")],
        required=False,
        help_text="A repeating announcement is a repeating post in each franchise, which its staff can change there.",
    )
    repeat_count = forms.IntegerField(
        label="Number of times", required=False, min_value=1, max_value=520, help_text="Empty: until it is ended."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        franchise_boxes(self.fields["franchises"], Franchise.objects.filter(is_active=True).order_by("name"))

    def rule(self) -> str | None:
        """The repeat as an RRULE (None: once), from the day the announcement starts."""
        data = self.cleaned_data
        if not data.get("repeat"):
            return None
        count = data.get("repeat_count")
        if data["repeat"] == "weekly":
            return series_rule_build(frequency="weekly", weekdays=[WEEKDAYS[data["date"].weekday()]], count=count)
        return series_rule_build(frequency="monthly", month_day=data["date"].day, count=count)

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("repeat") and cleaned.get("locked"):
            self.add_error(
                "locked",
                "Locks hold on an announcement sent once: a repeating one becomes each franchise's own "
                "repeating post. Send it once, or lock nothing.",
            )
        if cleaned.get("all_franchises"):
            cleaned["franchises"] = self.fields["franchises"].queryset
        elif not cleaned.get("franchises") and "franchises" not in self.errors:
            self.add_error("franchises", "Pick at least one franchise, or tick Every active franchise.")
        return cleaned


class SeriesForm(content_form(TYPED)):
    """A repeating post: a post's content, as in the editor (posts/content.py: any type; an event's
    or offer's dates are its first post's), and when it repeats, in the franchise's local time.

    The choices become an RFC 5545 rule (posts/services/series.py) in `clean`. Each of the rule's
    fields shows only for the choice it belongs to (SHOWN_WHEN, read by the template's script)."""

    FREQUENCIES = [("weekly", "Every week"), ("monthly", "Every month")]
    WEEKDAY_CHOICES = [
        ("MO", "Monday"), ("TU", "Tuesday"), ("WE", "Wednesday"), ("TH", "Thursday"),
        ("FR", "Friday"), ("SA", "Saturday"), ("SU", "Sunday"),
    ]  # fmt: skip
    MONTHLY_BY = [("day", "On a day of the month"), ("weekday", "On a weekday of the month")]
    NTH_CHOICES = [("1", "First"), ("2", "Second"), ("3", "Third"), ("4", "Fourth"), ("-1", "Last")]
    MONTH_DAYS = [(str(n), str(n)) for n in range(1, 32)] + [("-1", "Last day")]
    ENDS = [("never", "Until I end it"), ("until", "On a date"), ("count", "After a number of posts")]
    # A rule's field, and the choice it shows for: (the field that decides, its value).
    SHOWN_WHEN = {
        "weekdays": ("frequency", "weekly"),
        "monthly_by": ("frequency", "monthly"),
        "month_day": ("monthly_by", "day"),
        "nth": ("monthly_by", "weekday"),
        "nth_weekday": ("monthly_by", "weekday"),
        "until": ("ends", "until"),
        "count": ("ends", "count"),
    }

    frequency = forms.ChoiceField(label="Repeats", choices=FREQUENCIES, widget=forms.RadioSelect, initial="weekly")
    weekdays = forms.MultipleChoiceField(
        label="On", choices=WEEKDAY_CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )
    monthly_by = forms.ChoiceField(label="Which day", choices=MONTHLY_BY, widget=forms.RadioSelect, initial="day")
    month_day = forms.ChoiceField(
        label="Day of the month",
        choices=MONTH_DAYS,
        initial="1",
        help_text="A month without that day (the 31st in April) is skipped.",
    )
    nth = forms.ChoiceField(label="Which", choices=NTH_CHOICES, initial="1")
    nth_weekday = forms.ChoiceField(label="Weekday", choices=WEEKDAY_CHOICES, initial="MO")
    local_time = forms.TimeField(label="At", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    starts_on = forms.DateField(
        label="Starting", widget=forms.DateInput(attrs={"type": "date"}), validators=[validate_sane_date]
    )
    ends = forms.ChoiceField(label="Ends", choices=ENDS, widget=forms.RadioSelect, initial="never")
    until = forms.DateField(
        label="Last day",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_sane_date],
    )
    count = forms.IntegerField(label="Number of posts", required=False, min_value=1, max_value=520)
    more_texts = forms.CharField(
        label="More texts, used in turn",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=(
            "Each post takes the next text: the text above first, then these, then round again. Put a line "
            f"with only --- between two texts (up to {MAX_TEXTS} in all). Placeholders such as {{name}} work in each."
        ),
    )
    vary_with_claude = forms.BooleanField(
        label="Ask Claude to reword each post",
        required=False,
        help_text=(
            "Each post waits as a draft while Claude says its text again in new words, then for your review in "
            "AI drafts: nothing goes out before someone approves it. Applies to the posts made from now on."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args, franchise: Franchise, **kwargs):
        super().__init__(*args, **kwargs)
        self.franchise = franchise
        self.fields["summary"].widget.attrs.pop("maxlength", None)  # the live count shows the limit
        self.fields["topic_type"].required = False  # none picked: an update
        # A choice that does not apply (the day of the month of a weekly post) may be left out.
        for name in ("monthly_by", "month_day", "nth", "nth_weekday", "ends"):
            self.fields[name].required = False

    @classmethod
    def initial_for(cls, series) -> dict:
        rule = series_rule_fields(series.rule)
        initial = {name: getattr(series, name) for name in TYPED}
        initial.update(
            frequency=rule["frequency"],
            weekdays=rule.get("weekdays", []),
            monthly_by=rule.get("monthly_by", "day"),
            month_day=str(rule.get("month_day", 1)),
            nth=str(rule.get("nth", 1)),
            nth_weekday=rule.get("nth_weekday", "MO"),
            local_time=series.local_time,
            starts_on=series.starts_on,
            ends="until" if rule["until"] else "count" if rule["count"] else "never",
            until=rule["until"],
            count=rule["count"],
            more_texts=texts_joined(series.more_texts),
            vary_with_claude=series.vary_with_claude,
            version=series.version,
        )
        return initial

    def shown_when(self, name: str) -> str:
        """`data-shown-when` of a rule's field: "frequency=weekly" ("" for one always shown)."""
        field, value = self.SHOWN_WHEN.get(name, ("", ""))
        return f"{field}={value}" if field else ""

    def clean(self) -> dict:
        cleaned = super().clean()
        ends = cleaned.get("ends")
        if ends == "until" and not cleaned.get("until") and "until" not in self.errors:
            self.add_error("until", "Pick the last day.")
        if ends == "count" and not cleaned.get("count") and "count" not in self.errors:
            self.add_error("count", "Say how many posts.")
        if cleaned.get("frequency") == "weekly" and not cleaned.get("weekdays"):
            self.add_error("weekdays", "Pick the days of the week it goes out on.")
        if not any(name in self.errors for name in self.SHOWN_WHEN | {"frequency": None, "ends": None}):
            by_day = (cleaned.get("monthly_by") or "day") == "day"
            try:
                cleaned["rule"] = series_rule_build(
                    frequency=cleaned["frequency"],
                    weekdays=cleaned.get("weekdays"),
                    month_day=int(cleaned.get("month_day") or 1) if by_day else None,
                    nth=None if by_day else int(cleaned.get("nth") or 1),
                    nth_weekday=None if by_day else cleaned.get("nth_weekday") or "MO",
                    until=cleaned.get("until") if ends == "until" else None,
                    count=cleaned.get("count") if ends == "count" else None,
                )
            except PostActionError as exc:
                self.add_error(None, str(exc))
        if not any(name in self.errors for name in TYPED):
            self.add_problems(Post(franchise=self.franchise, **self.series_fields()))
            more = texts_split(cleaned.get("more_texts") or "")
            if more:
                problems = series_texts_problems(
                    franchise=self.franchise, content=self.series_fields(), more_texts=more
                )
                for problem in problems:
                    if not problem.startswith("Text 1: "):  # the main text's are shown at their fields
                        self.add_error("more_texts", problem)
        return cleaned

    def series_fields(self) -> dict:
        """The content, as keyword arguments for series_create / series_update."""
        data = self.cleaned_data
        return {**{name: stored(name, data.get(name)) for name in TYPED}, "topic_type": self.topic_type()}

    def variety(self) -> dict:
        """The other texts and whether Claude rewords each post, for series_create / series_update."""
        data = getattr(self, "cleaned_data", {})
        # A text that breaks a rule leaves cleaned_data: the preview still shows it, as typed.
        typed = data["more_texts"] if "more_texts" in data else self.data.get("more_texts", "")
        return {
            "more_texts": texts_split(typed or ""),
            "vary_with_claude": bool(data.get("vary_with_claude")),
        }

    def topic_type(self) -> str:
        return getattr(self, "cleaned_data", {}).get("topic_type") or Post.TopicType.STANDARD

    def when(self) -> dict:
        data = self.cleaned_data
        return {"rule": data["rule"], "starts_on": data["starts_on"], "local_time": data["local_time"]}

    def unsaved_series(self) -> PostSeries | None:
        """The series as typed so far, for the preview; None while its rule or time is not valid."""
        data = getattr(self, "cleaned_data", {})
        if not all(data.get(name) for name in ("rule", "starts_on", "local_time")):
            return None
        return PostSeries(franchise=self.franchise, **self.when(), **self.series_fields(), **self.variety())


class ManyPostsForm(forms.Form):
    """What to do to the posts ticked in the list; "reschedule" moves them by an offset."""

    action = forms.ChoiceField(label="With the ticked posts", choices=list(MANY_ACTIONS.items()))
    amount = forms.IntegerField(
        label="By", required=False, min_value=-365, max_value=365, help_text="For Move by: negative moves earlier."
    )
    unit = forms.ChoiceField(
        label="Unit", choices=[("days", "days"), ("hours", "hours")], initial="days", required=False
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("action") == "reschedule" and not cleaned.get("amount"):
            self.add_error("amount", "Say how far to move them: 1 day later, or -2 hours (earlier).")
        return cleaned

    def offset(self) -> dt.timedelta | None:
        amount = self.cleaned_data.get("amount")
        if not amount:
            return None
        return dt.timedelta(**{self.cleaned_data.get("unit") or "days": amount})

    def describe(self, count: int) -> str:
        """The confirmation's question, with the count: "Move 3 posts 1 day later?"."""
        posts = f"{count} post{'s' if count != 1 else ''}"
        action = self.cleaned_data["action"]
        if action == "reschedule":
            amount, unit = self.cleaned_data["amount"], self.cleaned_data.get("unit") or "days"
            unit = unit[:-1] if abs(amount) == 1 else unit
            return f"Move {posts} {abs(amount)} {unit} {'later' if amount > 0 else 'earlier'}?"
        return {
            "schedule": f"Schedule {posts}, each at its own time?",
            "unschedule": f"Unschedule {posts} (back to draft)?",
            "delete": f"Delete {posts}? Posts live on Google are deleted there too.",
        }[action]


class BrandRulesForm(forms.ModelForm):
    """Headquarters' brand rules (posts/brand.py checks posts against them)."""

    class Meta:
        model = BrandRules
        fields = list(BRAND_RULE_FIELDS)
        widgets = {
            "banned_phrases": forms.Textarea(attrs={"rows": 4}),
            "offer_terms_required": forms.Textarea(attrs={"rows": 3}),
            "link_domains": forms.Textarea(attrs={"rows": 3}),
        }
