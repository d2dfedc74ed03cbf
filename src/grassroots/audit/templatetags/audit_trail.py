"""Template tags of the audit trail: whether to offer it in the navigation, and a record's changes."""

from __future__ import annotations

from django import template

from grassroots.audit.labels import action_label as label_of
from grassroots.audit.selectors import may_read_audit

register = template.Library()


@register.simple_tag(takes_context=True)
def audit_trail_visible(context, organization) -> bool:
    """Whether the signed-in user may read the organization's audit trail: costs no query once
    the page has looked up the user's grants, which are kept for the request."""
    request = context.get("request")
    if organization is None or request is None or not request.user.is_authenticated:
        return False
    return may_read_audit(request.user, organization)


@register.filter
def audit_changes(changes: dict) -> str:
    """{field: [old, new]} as "field: old → new; ..." (a value that was absent shows as —)."""

    def shown(value) -> str:
        return "—" if value is None else str(value)

    return "; ".join(f"{field}: {shown(old)} → {shown(new)}" for field, (old, new) in (changes or {}).items())


@register.filter
def action_label(action: str) -> str:
    """The audited action as the audit trail names it ("Unit founded or constituted")."""
    return label_of(action)
