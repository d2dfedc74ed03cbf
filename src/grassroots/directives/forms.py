"""Forms of the directive pages: issuing a directive, a unit's report (built from the directive's
report form), its status and its local adaptation. They parse input; the actions decide."""

from __future__ import annotations

import datetime as dt
from typing import cast

import yaml
from django import forms

from grassroots.constitution.schema import Constitution
from grassroots.errors import ActionRefused
from grassroots.web import ActionForm, DayInput

from .models import Assignment, Directive


class LocalTimeInput(forms.DateTimeInput):
    """The browser's date-and-time picker: a wall-clock time, placed in the issuer's zone by the action."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class NamingForm(ActionForm):
    """A form whose page writes each error after its field's name or label: a refusal, which
    starts with the field's name already, joins the field without it (not "Title: title: ...")."""

    def refuse(self, refusal: ActionRefused) -> None:
        if refusal.field in self.fields:
            message = refusal.message.removeprefix(f"{refusal.field}: ")
            self.add_error(refusal.field, [message, *refusal.reasons])
        else:
            super().refuse(refusal)


class IssueForm(NamingForm):
    """A new directive of a unit: its targets are every unit of a kind in the unit's subtree or the
    units named (by their short names), and its report form is the YAML the command line reads."""

    kind = forms.ChoiceField(label="Kind", choices=Directive.Kind.choices, initial=Directive.Kind.TASK)
    title = forms.CharField(label="Title", max_length=200)
    body = forms.CharField(label="Body (Markdown)", required=False, max_length=100_000, widget=forms.Textarea)
    due = forms.DateTimeField(
        label="Due (local time of the issuer)",
        widget=LocalTimeInput,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    targets_kind = forms.ChoiceField(label="To every unit of the kind", required=False)
    targets = forms.CharField(
        label="Or to the units (short names, separated by commas)", required=False, max_length=10_000
    )
    form = forms.CharField(
        label="Report form (YAML: fields: [{name, type, required, choices}])",
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, constitution: Constitution, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["targets_kind"]).choices = [
            ("", "(chosen units)"),
            *((key, key.replace("_", " ")) for key in constitution.unit_kinds),
        ]

    def clean_due(self) -> dt.datetime:
        return self.cleaned_data["due"].replace(tzinfo=None)

    def clean_targets(self) -> list[str]:
        return [slug.strip() for slug in self.cleaned_data["targets"].replace("\n", ",").split(",") if slug.strip()]

    def clean_form(self) -> list | None:
        text = self.cleaned_data["form"].strip()
        if not text:
            return None
        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise forms.ValidationError(f"not YAML: {str(error).splitlines()[0]}") from None
        if isinstance(loaded, dict) and "fields" in loaded:
            loaded = loaded["fields"]
        return loaded

    def clean(self):
        data = super().clean() or {}
        if data.get("targets_kind") and data.get("targets"):
            self.add_error("targets", "give a kind of unit or chosen units, not both")
        return data


class StatusForm(ActionForm):
    status = forms.ChoiceField(label="Status", choices=Assignment.Status.choices)
    reason = forms.CharField(label="Reason (to decline)", required=False, max_length=2000)


class AdaptForm(ActionForm):
    text = forms.CharField(label="Local adaptation", required=False, max_length=10_000, widget=forms.Textarea)
    local_date = forms.DateField(label="Our date", required=False, widget=DayInput)


class ReportForm(NamingForm):
    """A unit's report: one input per field of the directive's report form. Values are checked by
    the form's own rules in the action (`reportform.checked_values`), which names the field."""

    def __init__(self, *args, fields: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        for field in fields:
            label = field["name"] + (" *" if field["required"] else "")
            kind = field["type"]
            if kind == "file":
                self.fields[field["name"]] = forms.FileField(label=label, required=False)
            elif kind == "choice":
                self.fields[field["name"]] = forms.ChoiceField(
                    label=label, required=False, choices=[("", "—"), *((c, c) for c in field["choices"])]
                )
            elif kind == "date":
                self.fields[field["name"]] = forms.CharField(label=label, required=False, widget=DayInput)
            elif kind == "number":
                self.fields[field["name"]] = forms.CharField(
                    label=label, required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"})
                )
            else:
                self.fields[field["name"]] = forms.CharField(
                    label=label, required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 2})
                )
