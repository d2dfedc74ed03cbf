"""Forms of the education pages: they parse and validate input; the actions decide."""

from __future__ import annotations

from django import forms

from grassroots.people.models import REASON_MAX_LENGTH
from grassroots.web import ActionForm, CourseChoiceField, DayForm, day_field


class CompletionForm(DayForm):
    """A completion an officer marks: which course, on which day (not in the future)."""

    on = day_field("Completed on")

    def __init__(self, *args, courses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"] = CourseChoiceField(courses, label="Course", empty_label="— choose a course —")
        self.order_fields(["course", "on"])


class ReviewForm(ActionForm):
    """A review of a pending declaration: accept or decline (the two buttons), and why."""

    declaration = forms.IntegerField(min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)
    decision = forms.ChoiceField(label="Decision", choices=[("accept", "Accept"), ("decline", "Decline")])
    reason = forms.CharField(
        label="Reason", required=False, max_length=REASON_MAX_LENGTH, help_text="Required to decline."
    )
