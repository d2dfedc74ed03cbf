"""The forms of the conference pages: planning a conference and stepping it on. They parse
input; the actions decide (a refusal joins the field it names)."""

from __future__ import annotations

from typing import Any

from django import forms

from grassroots.errors import ActionRefused
from grassroots.organizations.models import Unit
from grassroots.web import ActionForm, DayInput

from .apportionment import METHODS, ROUNDINGS
from .models import Conference

RULES = [*METHODS.items(), (Conference.PER, "one delegate per N members"), (Conference.BRACKETS, "brackets")]
# The form's field for each argument of `add_conference` a refusal may name.
FIELD_OF = {"minimum": "minimum_seats", "maximum": "maximum_seats", "starts_on": "starts_on"}


class PlanForm(ActionForm):
    """A conference of the unit: its name, dates, place, cut-off date, rule and who counts."""

    name = forms.CharField(label="Name", max_length=200)
    cutoff = forms.DateField(label="Cut-off date (members counted as on this day)", widget=DayInput)
    method = forms.ChoiceField(
        label="Rule",
        required=False,
        choices=RULES,
    )
    seats = forms.IntegerField(label="Seats (a house-size rule)", required=False, min_value=0)
    minimum_seats = forms.IntegerField(label="At least, per unit", required=False, min_value=0)
    maximum_seats = forms.IntegerField(label="At most, per unit", required=False, min_value=1)
    per = forms.IntegerField(label="One delegate per N members", required=False, min_value=0)
    rounding = forms.ChoiceField(
        label="Rounding (one per N)",
        required=False,
        choices=[("", "floor (the default)"), *((key, key) for key in ROUNDINGS if key != "floor")],
    )
    brackets = forms.CharField(
        label="Brackets, '1-14: 1' a line", required=False, max_length=10_000, widget=forms.Textarea
    )
    starts_on = forms.DateField(label="First day", required=False, widget=DayInput)
    ends_on = forms.DateField(label="Last day", required=False, widget=DayInput)
    place = forms.CharField(label="Place", required=False, max_length=200)
    minimum_tenure_days = forms.IntegerField(label="Days of membership by the cut-off", required=False, min_value=0)
    standing = forms.BooleanField(
        label="Only members in good standing (the constitution's meetings rule)", required=False
    )
    statuses = forms.MultipleChoiceField(
        label="Statuses counted (none ticked: the constitution's counted ones)",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    delegation_kind = forms.ChoiceField(label="Delegations sent by", required=False)
    votes_per_delegate = forms.IntegerField(
        label="Weighted delegates: at most N member votes each (empty: one vote each)", required=False, min_value=1
    )
    seed = forms.CharField(
        label="Seed of the lot that breaks ties (empty: a random one)", required=False, max_length=64
    )

    def __init__(self, *args: Any, unit: Unit, constitution_rule: str = "", **kwargs: Any) -> None:
        """The plan of a conference convened by `unit`: the kinds of unit below it that may send
        the delegations and its constitution's statuses are offered. `constitution_rule`: the
        constitution's rule in words (conferences.apportionment), offered first and chosen by
        default; empty: the constitution has none and a rule must be chosen."""
        super().__init__(*args, **kwargs)
        constitution = unit.organization.constitution
        field = self.fields["method"]
        assert isinstance(field, forms.ChoiceField)
        if constitution_rule:
            field.choices = [("", f"As the constitution says: {constitution_rule}"), *RULES]
        else:
            field.required = True
        kinds = self.fields["delegation_kind"]
        assert isinstance(kinds, forms.ChoiceField)
        kinds.choices = [
            ("", "the basic units"),
            *(
                (key, constitution.kind(key).label)
                for key in constitution.kinds_below(unit.kind)
                if not constitution.kind(key).basic
            ),
        ]
        statuses = self.fields["statuses"]
        assert isinstance(statuses, forms.MultipleChoiceField)
        statuses.choices = [(status, status) for status in constitution.statuses]

    def refuse(self, refusal: ActionRefused) -> None:
        field = FIELD_OF.get(refusal.field or "", refusal.field)
        if field in self.fields:
            self.add_error(field, [refusal.message, *refusal.reasons])
        else:
            super().refuse(refusal)

    def arguments(self) -> dict[str, Any]:
        """The cleaned fields as `add_conference`'s arguments."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "cutoff": data["cutoff"],
            "method": data["method"] or None,
            "seats": data["seats"],
            "minimum": data["minimum_seats"],
            "maximum": data["maximum_seats"],
            "per": data["per"],
            "rounding": data["rounding"],
            "brackets": data["brackets"],
            "starts_on": data["starts_on"],
            "ends_on": data["ends_on"],
            "place": data["place"],
            "minimum_tenure_days": data["minimum_tenure_days"] or 0,
            "standing": data["standing"],
            "statuses": data["statuses"] or None,
            "delegation_kind": data["delegation_kind"],
            "votes_per_delegate": data["votes_per_delegate"],
            "seed": data["seed"] or None,
        }


class StepForm(ActionForm):
    """The step a called conference takes next (credentialing, in session, closed)."""

    status = forms.ChoiceField(label="Status", choices=Conference.Status.choices)
