"""Reading the audit trail: only through the restriction, which needs the view_audit right.

A record that concerns a unit is read by whoever holds view_audit over that unit (a secretary
of the district reads the records of its committees); a record about the whole organization
(with no unit) is read by its administrators only.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Value
from django.utils import timezone

from grassroots.access import OutOfScope, Right, grants_for, is_operator, restrict
from grassroots.access.indirect import sees_unit_slug

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
    records = records.annotate(actor_shown=ExpressionWrapper(actor_seen(user, organization), BooleanField()))
    if action:
        records = records.filter(Q(action=action) | Q(action__startswith=f"{action}."))
    if actor:
        # Only by the labels the user is shown: a hidden actor is no more found than printed.
        records = records.filter(actor_label__icontains=actor, actor_shown=True)
    if since is not None:
        records = records.filter(at__gte=_start_of(since))
    if until is not None and until < dt.date.max:
        records = records.filter(at__lt=_start_of(until + dt.timedelta(days=1)))
    return records.order_by("-at", "-id")


# The keys of `changes` whose values are unit slugs.
UNIT_KEYS = ("unit", "parent")


def actor_seen(user, organization) -> Q | Value:
    """Whether a record's actor may be printed to `user` (`access.indirect`): the user themselves,
    the command line, or a user whose person in the organization `user` may read. An actor the
    user could not read directly (an administrator without a person there, an officer of another
    district) prints empty."""
    if is_operator(user) or grants_for(user, organization.pk).everything:
        return Value(True)
    from grassroots.accounts.models import Account
    from grassroots.people.models import Person

    people = restrict(Person.objects.all(), user=user, organization=organization)
    accounts = Account.objects.filter(user=OuterRef("actor"), organization=organization, person__in=people)
    return Q(actor__isnull=True) | Q(actor=user.pk) | Exists(accounts)


def shown_actor(record: AuditRecord) -> str:
    """The actor as the reader is shown them (see `audit_records_visible_to`): empty when hidden."""
    return record.actor_label if getattr(record, "actor_shown", True) else ""


def shown_changes(user, organization_id: int, changes: dict) -> dict:
    """A record's changes as the reader may see them: a unit they may not see is null."""
    if not changes or not any(key in changes for key in UNIT_KEYS):
        return changes
    shown = dict(changes)
    for key in UNIT_KEYS:
        values = changes.get(key)
        if isinstance(values, list):
            shown[key] = [
                value if not isinstance(value, str) or sees_unit_slug(user, organization_id, value) else None
                for value in values
            ]
    return shown
