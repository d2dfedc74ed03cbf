"""The session page's forms for motions, amendments, resolutions and polls (issue 17). They parse
and bound the input; the conference actions (`assembly`) decide, and their refusals are flashed
naming the field."""

from __future__ import annotations

import re

from django import forms

from grassroots.web import ActionForm

from . import voting
from .assembly import TEXT_LIMIT
from .models import Motion

ROW_ID_MAX = 2**63 - 1
WEIGHT_MAX = 10**9
# An issue to publish in, as the form's select sends it: the publication's slug and the issue's number.
ISSUE = re.compile(r"\A(?P<publication>[-a-zA-Z0-9_]{1,100}):(?P<number>[0-9]{1,6})\Z")
# What a poll is on, as the form's select sends it: a motion's number, or a motion's and its amendment's.
TARGET = re.compile(r"\A(?:motion:(?P<motion>[0-9]{1,6})|amendment:(?P<of>[0-9]{1,6})\.(?P<amendment>[0-9]{1,6}))\Z")


class TextField(forms.CharField):
    """A text box's text with the browser's line ends (CRLF) made plain newlines, so a blank line
    separates its paragraphs as `assembly.paragraphs` reads them."""

    def to_python(self, value):
        text = super().to_python(value)
        return text.replace("\r\n", "\n").replace("\r", "\n") if text else text


class MotionForm(ActionForm):
    """A motion: by the signed-in delegate themself, or by a unit through a carried decision of
    one of its meetings (its number); `founding` marks the founding resolution (organizers)."""

    title = forms.CharField(label="Title", max_length=200)
    text = TextField(label="Text", max_length=TEXT_LIMIT, widget=forms.Textarea)
    submitter = forms.ChoiceField(
        label="Submitted by", choices=[("delegate", "me, as a delegate"), ("decision", "a unit, by its decision")]
    )
    decision = forms.IntegerField(label="Decision number", required=False, min_value=1, max_value=ROW_ID_MAX)
    founding = forms.BooleanField(label="The founding resolution", required=False)

    def clean(self):
        data = super().clean() or {}
        if data.get("submitter") == "decision" and data.get("decision") is None and "decision" not in self.errors:
            self.add_error("decision", "give the number of the unit's carried decision")
        return data


class MotionStatusForm(ActionForm):
    status = forms.ChoiceField(label="Status", choices=Motion.Status.choices)


class AmendmentForm(ActionForm):
    """A replacement of the whole text (no paragraph) or of paragraph `paragraph` (1 first)."""

    paragraph = forms.IntegerField(label="Paragraph", required=False, min_value=1, max_value=10_000)
    text = TextField(label="New text", max_length=TEXT_LIMIT, widget=forms.Textarea)


class PublishForm(ActionForm):
    """The draft or scheduled issue a resolution goes into, as `publication:number`."""

    issue = forms.RegexField(
        label="Issue", regex=ISSUE, error_messages={"invalid": "choose a draft or scheduled issue of the bulletin"}
    )

    def target(self) -> tuple[str, int]:
        found = ISSUE.fullmatch(self.cleaned_data["issue"])
        assert found is not None
        return found["publication"], int(found["number"])


class PollForm(ActionForm):
    """A draft poll: on a motion, on one of its amendments or on a free subject; its kind, base of
    100 %, required majority (a custom fraction such as 3/4) and how it is counted."""

    subject = forms.CharField(label="Subject", max_length=200, required=False)
    target = forms.RegexField(
        label="On",
        regex=TARGET,
        required=False,
        error_messages={"invalid": "choose a motion, an amendment or a free subject"},
    )
    kind = forms.ChoiceField(label="Kind", choices=list(voting.KINDS.items()))
    base = forms.ChoiceField(label="Base of 100 %", choices=list(voting.BASES.items()))
    majority = forms.ChoiceField(
        label="Majority",
        choices=[
            ("simple", "simple (more yes than no)"),
            ("absolute", "absolute (more than half of the base)"),
            ("two-thirds", "two thirds of the base"),
            ("custom", "a fraction of the base"),
        ],
    )
    fraction = forms.CharField(label="Fraction", max_length=20, required=False)
    counting = forms.ChoiceField(
        label="Counted from", choices=[("named", "named votes of the delegates"), ("totals", "totals entered")]
    )

    def clean(self):
        data = super().clean() or {}
        if data.get("majority") == "custom" and not (data.get("fraction") or "").strip():
            self.add_error("fraction", "give the share of the base, like 3/4")
        return data

    def rule(self) -> str:
        """The majority as the action takes it: a name, or the fraction's text."""
        data = self.cleaned_data
        return data["fraction"].strip() if data["majority"] == "custom" else data["majority"]

    def on(self) -> tuple[int | None, int | None]:
        """(motion number, amendment number) of what the poll is on; (None, None) for a free subject."""
        found = TARGET.fullmatch(self.cleaned_data["target"] or "")
        if found is None:
            return None, None
        if found["motion"]:
            return int(found["motion"]), None
        return int(found["of"]), int(found["amendment"])


class TotalsForm(ActionForm):
    """The totals counted in the hall (a show of hands): yes, no and abstain weights."""

    yes = forms.IntegerField(label="Yes", min_value=0, max_value=WEIGHT_MAX)
    no = forms.IntegerField(label="No", min_value=0, max_value=WEIGHT_MAX, required=False)
    abstain = forms.IntegerField(label="Abstain", min_value=0, max_value=WEIGHT_MAX, required=False)

    def totals(self) -> dict[str, int]:
        return {name: self.cleaned_data[name] or 0 for name in ("yes", "no", "abstain")}
