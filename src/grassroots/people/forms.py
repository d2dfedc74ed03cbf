"""Forms for the people pages: they parse and validate input; the actions decide.

People and basic units can number in the millions, so choosing one is a select listing the
first few and the current choice, with a search box beside it that swaps in other matches.
"""

from __future__ import annotations

from django import forms

from grassroots.constitution import Constitution
from grassroots.errors import ADDRESS_MAX_LENGTH, InvalidFields
from grassroots.ids import is_row_id
from grassroots.organizations.models import Organization, Unit
from grassroots.web import ActionForm, DayForm, FirstChoicesSelect, PersonChoiceField, RowIdChoices, day_field

from .actions import CONTACT_FIELDS, normal_contact


def unit_label(unit: Unit) -> str:
    return f"{unit.name}, {unit.parent.name}" if unit.parent_id else unit.name


class UnitChoiceField(RowIdChoices, forms.ModelChoiceField):
    widget = FirstChoicesSelect

    def label_from_instance(self, unit: Unit) -> str:
        return unit_label(unit)


def status_choices(statuses: list[str]) -> list[tuple[str, str]]:
    return [(status, status.capitalize()) for status in statuses]


class PeopleFilterForm(forms.Form):
    """The people list's filters: a unit (with everything under it), by id or slug, and a status
    (the current membership's, else the one the last membership ended with). A wrong filter is
    shown as its field's error and left out; the others still apply."""

    def __init__(self, *args, organization, units, **kwargs):
        super().__init__(*args, **kwargs)
        unit = self.data.get("unit", "")
        if unit and not is_row_id(unit):
            # A slug, as the command line and the API take it (and a link may carry): its id.
            found = units.filter(slug=unit.strip()).values_list("pk", flat=True).first()
            if found is not None:
                self.data = self.data.copy()
                self.data["unit"] = str(found)
        self.fields["unit"] = UnitChoiceField(
            units,
            required=False,
            label="In",
            empty_label="— anywhere —",
            error_messages={"invalid_choice": "no unit '%(value)s' that you can see"},
        )
        statuses = organization.constitution.statuses
        self.fields["status"] = forms.ChoiceField(
            label="Status",
            required=False,
            choices=[("", "— any —"), *status_choices(statuses)],
            error_messages={"invalid_choice": f"'%(value)s' is not one of {', '.join(statuses)}"},
        )

    def chosen(self) -> dict:
        """The valid filters, as `search_people` takes them; a wrong one is left out (its error
        is on the form), the others kept."""
        self.is_valid()
        return {"unit": self.cleaned_data.get("unit"), "status": self.cleaned_data.get("status") or ""}


ALLOW_DUPLICATE_LABEL = "This is another person, even if a known person has the same name and email or phone"


class PersonFieldsForm(ActionForm):
    """A person's own fields, as typed: the action stores them in their normal form and refuses a
    phone that is no number, naming the field."""

    name = forms.CharField(label="Name", max_length=200)
    email = forms.EmailField(label="Email", required=False)
    phone = forms.CharField(label="Phone", max_length=40, required=False)
    address = forms.CharField(
        label="Address", required=False, max_length=ADDRESS_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )
    allow_duplicate = forms.BooleanField(label=ALLOW_DUPLICATE_LABEL, required=False)

    def __init__(self, *args, organization: Organization, stored: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization, self.stored = organization, stored or {}

    def clean(self):
        """Every field checked at once: a field the form found wrong keeps its error, the others
        go through the action's own check (`normal_contact`), so a wrong phone is shown beside a
        wrong email, not after it. Stored values left as they are (`stored`) are not checked."""
        cleaned = super().clean()
        given = {field: cleaned.get(field) or "" for field in CONTACT_FIELDS}
        unchecked = frozenset(
            field for field in CONTACT_FIELDS if field in self.errors or self.stored.get(field) == given[field]
        )
        try:
            normal_contact(self.organization, **given, kept=unchecked)
        except InvalidFields as refusal:
            self.refuse(refusal)
        return cleaned


class EditPersonForm(PersonFieldsForm):
    """Corrections to a person's name, email, phone or address; `stored` are its current values."""


class AddPersonForm(PersonFieldsForm):
    """A new person, and optionally the basic unit they join at once."""

    status = forms.ChoiceField(label="Status")
    on = day_field("Joined on")

    def __init__(self, *args, people, units, **kwargs):
        super().__init__(*args, **kwargs)
        constitution = self.organization.constitution
        self.fields["recruiter"] = PersonChoiceField(people, required=False, label="Recruited by", empty_label="—")
        self.fields["unit"] = UnitChoiceField(units, required=False, label="Joins", empty_label="— no unit yet —")
        self.fields["status"].choices = status_choices(constitution.statuses)
        self.fields["status"].initial = constitution.member_statuses.initial
        self.order_fields(["name", "email", "phone", "address", "recruiter", "unit", "status", "on", "allow_duplicate"])


class TransferForm(DayForm):
    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_unit"] = UnitChoiceField(units, label="Transfer to", empty_label="—")
        self.order_fields(["to_unit", "on"])


class StatusForm(DayForm):
    """A new status for the current membership.

    The page offers the moves the constitution allows from the current status; what is posted
    may be any status, and the action refuses a move that is not allowed.
    """

    status = forms.ChoiceField(label="New status")
    field_order = ["status", "on"]

    def __init__(self, *args, statuses: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        # Nothing preselected: a change of status is chosen, never submitted by default.
        self.fields["status"].choices = [("", "— choose —"), *status_choices(statuses)]


class GatedStatusForm(StatusForm):
    """A new status, with an optional override of the move's gate: the number of a carried
    decision of the next body up and the reason (the action checks both)."""

    override_decision = forms.IntegerField(
        label="Override by decision no.",
        required=False,
        min_value=1,
        help_text="Only when the constitution's requirements for this move are unmet.",
    )
    reason = forms.CharField(label="Reason for the override", required=False, max_length=500)
    field_order = ["status", "on", "override_decision", "reason"]


class EndMembershipForm(StatusForm):
    """The end of the current membership, with an optional final status."""

    def __init__(self, *args, statuses: list[str], **kwargs):
        super().__init__(*args, statuses=statuses, **kwargs)
        self.fields["status"].required = False
        self.fields["status"].label = "Final status"
        self.fields["status"].choices = [("", "— as it is —"), *status_choices(statuses)]

    def clean_status(self) -> str | None:
        return self.cleaned_data["status"] or None


class JoinForm(DayForm):
    status = forms.ChoiceField(label="Status")

    def __init__(self, *args, constitution: Constitution, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = UnitChoiceField(units, label="Join", empty_label="—")
        self.fields["status"].choices = status_choices(constitution.statuses)
        self.fields["status"].initial = constitution.member_statuses.initial
        self.order_fields(["unit", "status", "on"])


class MergeForm(ActionForm):
    """The other record of the same person, which moves into this one and goes."""

    other = forms.IntegerField(min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)


class ConsentForm(ActionForm):
    """A consent the person gives: to what, under which version of the policy."""

    purpose = forms.CharField(label="Purpose", max_length=100, help_text="e.g. email bulletins, phone contact")
    policy_version = forms.CharField(label="Policy version", max_length=40)


ERASE_WORD = "ERASE"


class EraseForm(ActionForm):
    """Erasure cannot be undone, so it is confirmed by typing a word, not by one click."""

    confirm = forms.CharField(label=f"Type {ERASE_WORD} to confirm", max_length=20)

    def clean_confirm(self) -> str:
        if self.cleaned_data["confirm"].strip() != ERASE_WORD:
            raise forms.ValidationError(f"type {ERASE_WORD} in capitals to erase this person")
        return ERASE_WORD
