"""The form of a unit's delegation on its page: the decision that elected it, the delegates and
the alternates in rank order (an email or member number a line) and the chair. It parses input;
the action decides (a refusal joins the field it names)."""

from __future__ import annotations

from django import forms

from grassroots.web import ActionForm


def lines(text: str) -> list[str]:
    """The non-empty lines of a text box, stripped."""
    return [line.strip() for line in text.splitlines() if line.strip()]


class DelegationForm(ActionForm):
    """A unit's elected delegation; `decisions` are (id, label) of the unit's carried decisions."""

    decision = forms.TypedChoiceField(label="Decision that elected it", coerce=int)
    delegates = forms.CharField(
        label="Delegates, in rank order (an email or member number a line)", max_length=20_000, widget=forms.Textarea
    )
    alternates = forms.CharField(
        label="Alternates, in rank order (an email or member number a line)",
        max_length=20_000,
        required=False,
        widget=forms.Textarea,
    )
    chair = forms.CharField(label="Chair (email or member number, one of the delegates)", max_length=254)

    def __init__(self, *args, decisions: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = decisions  # type: ignore[attr-defined]
