"""Forms for the meeting pages: they parse and validate input; the actions decide."""

from __future__ import annotations

import datetime as dt
from typing import cast

from django import forms

from grassroots.constitution import Constitution
from grassroots.web import ActionForm, CourseChoiceField, ListedSelect

from .models import Attendance, Decision, PlaceVisibility

# An attendance sheet uploaded on the meeting page: one meeting's, never a member file.
SHEET_MAX_BYTES = 2 * 1024 * 1024


class LocalStartInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class MeetingForm(ActionForm):
    """A meeting of a unit: its start is a wall-clock time where it is held."""

    title = forms.CharField(label="Title", max_length=200)
    kind = forms.ChoiceField(label="Kind")
    start = forms.DateTimeField(label="Starts (local time)", widget=LocalStartInput, input_formats=["%Y-%m-%dT%H:%M"])
    duration = forms.IntegerField(label="Minutes", min_value=1, max_value=1440, initial=120)
    place = forms.CharField(label="Place", max_length=500, required=False)
    place_visibility = forms.ChoiceField(
        label="Place shown to", choices=PlaceVisibility.choices, initial=PlaceVisibility.MEMBERS
    )
    repeat = forms.CharField(
        label="Repeat (RRULE, optional)",
        max_length=300,
        required=False,
        help_text="For a series, e.g. FREQ=MONTHLY;BYDAY=2TU",
    )

    def __init__(self, *args, constitution: Constitution, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kind"]).choices = [
            (key, label) for key, label in constitution.meeting_kinds.items() if key != "founding"
        ]

    def clean_start(self) -> dt.datetime:
        # The wall-clock time as typed: the action places it in the unit's zone.
        start = self.cleaned_data["start"]
        return start.replace(tzinfo=None)


class AttendanceGridForm(ActionForm):
    """A paper sheet entered afterwards: every person on the list with their status."""

    def __init__(self, *args, people: list[tuple[int, str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        for pk, name, status in people:
            self.fields[f"status_{pk}"] = forms.ChoiceField(
                label=name, choices=Attendance.Status.choices, initial=status, required=False
            )

    def marks(self) -> list[tuple[int, str]]:
        """(person id, status) for every row of the sheet."""
        return [(int(name.removeprefix("status_")), value) for name, value in self.cleaned_data.items() if value]


class SheetFileForm(ActionForm):
    """An attendance sheet as a file: a column `id` or `email`, and `status`."""

    file = forms.FileField(label="Sheet (CSV or XLSX)")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > SHEET_MAX_BYTES:
            raise forms.ValidationError(f"at most {SHEET_MAX_BYTES // 1024 // 1024} MB: a sheet is one meeting's")
        return upload


class DecisionForm(ActionForm):
    text = forms.CharField(label="Decision", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    outcome = forms.ChoiceField(label="Outcome", choices=Decision.Outcome.choices)
    yes = forms.IntegerField(label="Yes", min_value=0, max_value=1_000_000, required=False)
    no = forms.IntegerField(label="No", min_value=0, max_value=1_000_000, required=False)
    abstain = forms.IntegerField(label="Abstain", min_value=0, max_value=1_000_000, required=False)
    agenda_item = forms.TypedChoiceField(
        label="On the item", coerce=int, required=False, empty_value=None, widget=ListedSelect
    )
    # Everyone on the meeting's list (hundreds at an assembly): options written without a template each.
    responsible = forms.TypedChoiceField(
        label="Responsible", coerce=int, required=False, empty_value=None, widget=ListedSelect
    )
    due = forms.DateField(label="Due", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, items: list[tuple[int, str]], people: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["agenda_item"]).choices = [("", "(none)"), *items]
        cast(forms.ChoiceField, self.fields["responsible"]).choices = [("", "(nobody)"), *people]


class ApproveMinutesForm(ActionForm):
    """At a later meeting: approve the latest minutes of an earlier one, by a carried decision."""

    minutes = forms.TypedChoiceField(label="Minutes of", coerce=int, widget=ListedSelect)
    yes = forms.IntegerField(label="Yes", min_value=0, max_value=1_000_000, required=False)
    no = forms.IntegerField(label="No", min_value=0, max_value=1_000_000, required=False)
    abstain = forms.IntegerField(label="Abstain", min_value=0, max_value=1_000_000, required=False)

    def __init__(self, *args, minutes: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["minutes"]).choices = minutes


class AgendaItemForm(ActionForm):
    title = forms.CharField(label="Agenda item", max_length=300)
    parent = forms.TypedChoiceField(label="Under", coerce=int, required=False, empty_value=None, widget=ListedSelect)

    def __init__(self, *args, items: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["parent"]).choices = [("", "(top level)"), *items]


class MinutesForm(ActionForm):
    text = forms.CharField(label="Minutes", max_length=100_000, widget=forms.Textarea(attrs={"rows": 8}))


class FeedForm(ActionForm):
    scope = forms.ChoiceField(
        label="Feed of",
        choices=[("unit", "a unit"), ("subtree", "a unit and all under it"), ("mine", "my meetings")],
    )
    unit = forms.SlugField(label="Unit (its slug)", required=False, max_length=80)


class WalkInForm(ActionForm):
    """Someone at the door who is not on the list."""

    name = forms.CharField(label="Name", max_length=200, required=False)
    email = forms.EmailField(label="Email", max_length=254, required=False)
    consent = forms.BooleanField(label="They agree to be recorded as a supporter", required=False)


class MeetingEditForm(ActionForm):
    """A planned meeting's time, place and title (its kind and zone stay)."""

    title = forms.CharField(label="Title", max_length=200)
    start = forms.DateTimeField(label="Starts (local time)", widget=LocalStartInput, input_formats=["%Y-%m-%dT%H:%M"])
    duration = forms.IntegerField(label="Minutes", min_value=1, max_value=1440)
    place = forms.CharField(label="Place", max_length=500, required=False)
    place_visibility = forms.ChoiceField(label="Place shown to", choices=PlaceVisibility.choices)
    online_link = forms.URLField(label="Online link", max_length=500, required=False, assume_scheme="https")

    def clean_start(self) -> dt.datetime:
        return self.cleaned_data["start"].replace(tzinfo=None)


def _dates(text: str) -> list[dt.date]:
    days = []
    for word in text.replace(",", " ").split():
        try:
            days.append(dt.date.fromisoformat(word))
        except ValueError:
            raise forms.ValidationError(f"'{word[:20]}' is not a date (YYYY-MM-DD)") from None
    return days


class SeriesForm(MeetingEditForm):
    """A series: its first start sets every occurrence's time of day; the rule and the dates left out."""

    start = forms.DateTimeField(
        label="First meeting (local time)", widget=LocalStartInput, input_formats=["%Y-%m-%dT%H:%M"]
    )
    repeat = forms.CharField(label="Repeat (RRULE)", max_length=300, help_text="e.g. FREQ=MONTHLY;BYDAY=2TU")
    excluded = forms.CharField(
        label="Dates left out",
        required=False,
        max_length=6000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="YYYY-MM-DD, one a line",
    )

    field_order = ["title", "start", "repeat", "excluded", "duration", "place", "place_visibility", "online_link"]

    def clean_excluded(self) -> list[dt.date]:
        return _dates(self.cleaned_data["excluded"])


class AgendaMoveForm(ActionForm):
    position = forms.IntegerField(label="Position", min_value=1, max_value=10_000)


class SessionCourseForm(ActionForm):
    """Which course of the organization an education session is a session of (none: of no course)."""

    def __init__(self, *args, courses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"] = CourseChoiceField(
            courses, label="Session of the course", required=False, empty_label="— no course —"
        )
