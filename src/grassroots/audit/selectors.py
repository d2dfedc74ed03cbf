"""Reading the audit trail: only through the restriction, which needs the view_audit right.

A record that concerns a unit is read by whoever holds view_audit over that unit (a secretary
of the district reads the records of its committees); a record about the whole organization
(with no unit) is read by its administrators only.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from grassroots.access import OutOfScope, Right, grants_for, restrict

from .models import AuditRecord


def may_read_audit(user, organization) -> bool:
    """Whether the user holds view_audit anywhere in the organization (to offer the audit trail)."""
    grants = grants_for(user, organization.pk)
    return grants.everything or bool(grants.paths(Right.VIEW_AUDIT))


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_records_visible_to(
    user,
    organization,
    *,
    action: str | None = None,
    actor: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[AuditRecord]:
    """The organization's audit records the user may read, newest first, optionally narrowed.

    `action` matches an action ("person.export") or a family of them ("person" matches
    "person.add" and "person.erase"); `actor` is part of who acted; `since` and `until` are
    days, both included. A user who may see the organization but holds view_audit nowhere in it
    is refused (403) rather than shown an empty trail.
    """
    if not may_read_audit(user, organization):
        raise OutOfScope(f"you may not {Right.VIEW_AUDIT.words} in {organization.name}", organization=organization)
    records = restrict(AuditRecord.objects.select_related("unit"), user=user, organization=organization)
    if action:
        records = records.filter(Q(action=action) | Q(action__startswith=f"{action}."))
    if actor:
        records = records.filter(actor_label__icontains=actor)
    if since is not None:
        records = records.filter(at__gte=_start_of(since))
    if until is not None and until < dt.date.max:
        records = records.filter(at__lt=_start_of(until + dt.timedelta(days=1)))
    return records.order_by("-at", "-id")
