"""Forms for the account pages: a code from the authenticator app, and a new API token."""

from __future__ import annotations

from django import forms

from grassroots.web import ActionForm


class CodeForm(ActionForm):
    """The 6-digit code an authenticator app shows; spaces are allowed, as some apps group the digits."""

    code = forms.CharField(
        label="Code from your app",
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "size": 8}
        ),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isdigit() and len(code) == 6):
            raise forms.ValidationError("A code is 6 digits.")
        return code


class TokenForm(ActionForm):
    """A new API token: what it is for, the organization it reaches, how many days it lives."""

    name = forms.CharField(
        label="Name", max_length=100, required=False, help_text="What will use it, e.g. “member import script”."
    )
    organization = forms.ChoiceField(label="Organization", help_text="The token reaches this organization only.")
    days = forms.IntegerField(label="Days", min_value=1, max_value=366, initial=90, help_text="From 1 to 366.")

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.organizations = {organization.slug: organization for organization in organizations}
        self.fields["organization"].choices = [(slug, org.name) for slug, org in self.organizations.items()]

    def clean_organization(self):
        return self.organizations[self.cleaned_data["organization"]]
