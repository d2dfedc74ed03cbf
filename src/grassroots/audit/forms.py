"""The filters of the audit trail page; they parse input, the selector narrows."""

from __future__ import annotations

from django import forms

from grassroots.web import DayInput

from .labels import action_choices


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label="Action", required=False, choices=action_choices)
    actor = forms.CharField(label="Who", required=False, max_length=200)
    since = forms.DateField(label="From", required=False, widget=DayInput)
    until = forms.DateField(label="To", required=False, widget=DayInput)

    def filters(self) -> dict:
        """The valid filters, by the selector's argument names; a field with an error is left out."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}
