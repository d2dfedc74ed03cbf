"""Filters of the session page's motion forms: a motion's paragraphs numbered for the amendment
form, the text an amendment would give, and the steps a motion's status allows next (the rule is
the action's: `assembly.MOTION_NEXT`, `assembly.paragraphs`, `assembly.amended_text`)."""

from __future__ import annotations

from django import template

from grassroots.conferences import assembly
from grassroots.conferences.models import Amendment, Motion

register = template.Library()

# The button that moves a motion into each status.
STEP_LABELS = {
    "admitted": "Admit",
    "debated": "Debate",
    "adopted": "Adopt",
    "rejected": "Reject",
    "referred": "Refer",
}


@register.filter
def paragraphs(text: str) -> list[str]:
    """The text's paragraphs (blocks separated by a blank line), as an amendment numbers them."""
    return assembly.paragraphs(text)


@register.filter
def amended(text: str, amendment: Amendment) -> str:
    """The motion's `text` as it would read with `amendment` adopted; "" when the paragraph it
    replaces is gone (an earlier amendment changed the text)."""
    if amendment.paragraph is not None and amendment.paragraph > len(assembly.paragraphs(text)):
        return ""
    return assembly.amended_text(text, amendment)


@register.filter
def next_steps(status: str) -> list[tuple[str, str]]:
    """(status, button label) of each status a motion in `status` may move to, in order."""
    allowed = assembly.MOTION_NEXT.get(Motion.Status(status), ()) if status in Motion.Status.values else ()
    return [(str(step), STEP_LABELS[str(step)]) for step in allowed]
