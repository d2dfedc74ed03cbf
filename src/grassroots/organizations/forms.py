"""Forms for the organization pages: they parse and validate input; the actions decide.

A form never holds a business rule. When the action it feeds refuses, `ActionForm.refuse`
turns the refusal into the form's errors, so the page shows every reason and nothing changed.
"""

from __future__ import annotations

from django import forms

from grassroots.constitution import Constitution
from grassroots.people.models import Person
from grassroots.people.selectors import current_membership
from grassroots.web import ActionForm, DayForm, DayInput, FirstChoicesSelect, PersonChoiceField, RowIdChoices, day_field

from .models import Unit, UnitState


class AsOfForm(forms.Form):
    as_of = forms.DateField(label="As of", required=False, widget=DayInput)


class FindUnitsForm(forms.Form):
    """Finding units in the tree: by a part of the name, a kind, a state."""

    name = forms.CharField(label="Name", required=False, max_length=200)
    kind = forms.ChoiceField(label="Kind", required=False)
    state = forms.ChoiceField(label="State", required=False)

    def __init__(self, *args, constitution: Constitution, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = [(key, kind.label) for key, kind in constitution.unit_kinds.items()]
        self.fields["kind"].choices = [("", "any"), *kinds]
        self.fields["state"].choices = [("", "any"), *UnitState.choices]


class UnitChoiceField(RowIdChoices, forms.ModelChoiceField):
    """A unit, shown with its kind as the constitution names it."""

    def __init__(self, *args, constitution: Constitution, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind_labels = {key: kind.label for key, kind in constitution.unit_kinds.items()}

    def label_from_instance(self, unit: Unit) -> str:
        return f"{unit.name} ({self.kind_labels.get(unit.kind, unit.kind)})"


class AddUnitForm(ActionForm):
    """A new unit: offers only the parents the user may add under (the top of the tree only when
    `at_top`), and the kinds the constitution allows under them (under `parent` when given)."""

    kind = forms.ChoiceField(label="Kind")
    name = forms.CharField(label="Name", max_length=200)
    on = day_field("Planned on")

    def __init__(self, *args, constitution: Constitution, parents, at_top: bool, parent: Unit | None = None, **kwargs):
        super().__init__(*args, initial={"parent": parent}, **kwargs)
        places = (
            {parent.kind} if parent else set(parents.values_list("kind", flat=True)) | ({None} if at_top else set())
        )
        self.fields["kind"].choices = [
            (key, kind.label)
            for key, kind in constitution.unit_kinds.items()
            if any(constitution.may_be_child(kind=key, parent_kind=place) for place in places)
        ]
        self.fields["parent"] = UnitChoiceField(
            parents,
            constitution=constitution,
            required=not at_top,
            label="Under",
            empty_label="— top of the tree —" if at_top else None,
        )
        self.order_fields(["kind", "name", "parent", "on"])


class RenameForm(DayForm):
    name = forms.CharField(label="New name", max_length=200)
    field_order = ["name", "on"]


class MoveForm(DayForm):
    def __init__(self, *args, constitution: Constitution, parents, **kwargs):
        super().__init__(*args, **kwargs)
        # Hundreds of committees: the select lists the first few, a search box finds the others.
        self.fields["parent"] = UnitChoiceField(
            parents,
            constitution=constitution,
            required=False,
            label="Move under",
            empty_label="— top of the tree —",
            widget=FirstChoicesSelect,
        )
        self.order_fields(["parent", "on"])


class OfficerChoiceField(RowIdChoices, forms.ModelChoiceField):
    """Who takes an officer post at the founding meeting."""


class FounderChoiceField(RowIdChoices, forms.ModelMultipleChoiceField):
    """Candidates for the founding meeting, each with the membership they would found with."""

    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, person: Person) -> str:
        membership = current_membership(person)
        if membership is None:
            return f"{person.name} (no membership yet: joins at the founding)"
        return f"{person.name} ({membership.status}, {membership.unit.name})"


class FoundForm(ActionForm):
    """The founding meeting (or, for a body, its constituting meeting) of one unit."""

    on = day_field("Date of the meeting")
    minutes = forms.CharField(label="Minutes", required=False, widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, constitution: Constitution, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["founding_members"] = FounderChoiceField(candidates, required=False, label="Founding members")
        self.posts = constitution.officer_posts
        for post in self.posts:
            self.fields[f"officer_{post}"] = OfficerChoiceField(
                candidates, required=False, label=post.capitalize(), empty_label="— not appointed —"
            )
        self.order_fields(["on", "founding_members", *(f"officer_{post}" for post in self.posts), "minutes"])

    def officer_fields(self) -> list[forms.BoundField]:
        return [self[f"officer_{post}"] for post in self.posts]

    def officers(self) -> dict[str, Person]:
        """The posts appointed at the meeting: post name to person, leaving out posts left empty."""
        chosen = {post: self.cleaned_data.get(f"officer_{post}") for post in self.posts}
        return {post: person for post, person in chosen.items() if person is not None}


class AssignPostForm(DayForm):
    """An appointment to an officer post of the unit, chosen among the members of its subtree."""

    post = forms.ChoiceField(label="Post")
    until = forms.DateField(label="Until", required=False, widget=DayInput, help_text="Leave empty for no set end.")

    def __init__(self, *args, constitution: Constitution, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["post"].choices = [(post, post.capitalize()) for post in constitution.officer_posts]
        self.fields["person"] = PersonChoiceField(candidates, label="Person", empty_label="—")
        self.fields["on"].label = "From"
        self.order_fields(["post", "person", "on", "until"])
