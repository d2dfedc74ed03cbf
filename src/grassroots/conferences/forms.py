"""The small forms of the conference pages."""

from django import forms

from grassroots.web import ActionForm

from .models import Conference


class StepForm(ActionForm):
    """The step a called conference takes next (credentialing, in session, closed)."""

    status = forms.ChoiceField(label="Status", choices=Conference.Status.choices)
