"""Writing the audit trail. Called by every action inside its own transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction
from django.db.models import Max, QuerySet
from django.http import HttpRequest

from grassroots.access import NotVisible, OutOfScope

from .models import AuditRecord

Actor = AbstractBaseUser | str | None


def actor_label(actor: Actor) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return actor.get_username()


def write_audit_record(
    *,
    by: Actor,
    action: str,
    target: models.Model,
    organization: Any = None,
    unit: Any = None,
    changes: dict[str, list[Any]] | None = None,
) -> AuditRecord:
    """Append one record; `by` is a user, or a label such as 'cli:alice' for the command line.

    `unit` is the unit the change concerns (a unit target is its own); it decides who may read
    the record. Without one, only the organization's administrators may.
    """
    if unit is None and target._meta.label_lower == "organizations.unit":
        unit = target
    return AuditRecord.objects.create(
        organization=organization,
        unit=unit,
        actor=by if isinstance(by, AbstractBaseUser) else None,
        actor_label=actor_label(by),
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_label=str(target)[:300],
        changes={key: [_plain(old), _plain(new)] for key, (old, new) in (changes or {}).items()},
    )


def _plain(value: Any) -> Any:
    """A value as JSON keeps it: lists and mappings stay so (their items made plain), anything
    else that is not a JSON scalar is its text (a date `2024-10-10`)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, models.Model):
        return str(value)
    return str(value)


def record_denied_access(*, user, organization: Any, what: str, unit: Any = None) -> AuditRecord | None:
    """Note that a signed-in user asked for something outside their scope (answered 404 or 403).

    Written outside any action's transaction, so a refusal that rolls back still leaves its trace.
    """
    if not getattr(user, "is_authenticated", False):
        return None
    return AuditRecord.objects.create(
        organization=organization,
        unit=unit,
        actor=user if isinstance(user, AbstractBaseUser) else None,
        actor_label=actor_label(user),
        action="access.denied",
        target_type="request",
        target_id="",
        target_label=what[:300],
    )


def record_refusal(*, user, refusal: BaseException, request: HttpRequest | None = None) -> AuditRecord | None:
    """Audit a refusal of scope as an interface answers it: a write refused with `OutOfScope` (403,
    named with the request's method and path when there is one) or a lookup of a record out of
    scope, `NotVisible` (404). Any other error, and an unknown record, leaves no trace."""
    if isinstance(refusal, NotVisible):
        return record_denied_access(user=user, organization=refusal.organization, unit=refusal.unit, what=refusal.what)
    if isinstance(refusal, OutOfScope) and refusal.organization is not None:
        what = refusal.message if request is None else f"{request.method} {request.path}: {refusal.message}"
        return record_denied_access(user=user, organization=refusal.organization, unit=refusal.unit, what=what)
    return None


def export_audit_records(
    *,
    organization: Any,
    by: Actor,
    action: str | None = None,
    actor: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> tuple[int, QuerySet[AuditRecord]]:
    """Take the audit records `by` may read (narrowed as the selector narrows them) for an export.

    The export is audited itself as "audit.export", with the number of rows and the filters,
    never the values. The rows are fixed when that record is written: the count and the rows
    returned agree, whatever is appended while the export streams. Refused (403) to whoever
    holds view_audit nowhere in the organization.
    """
    from .selectors import audit_records_visible_to

    records = audit_records_visible_to(by, organization, action=action, actor=actor, since=since, until=until)
    filters = {"action": action, "actor": actor, "since": since, "until": until}
    with transaction.atomic():
        last = records.aggregate(last=Max("pk"))["last"] or 0
        records = records.filter(pk__lte=last)
        count = records.count()
        write_audit_record(
            by=by,
            action="audit.export",
            target=organization,
            organization=organization,
            changes={"rows": [None, count], **{name: [None, value] for name, value in filters.items() if value}},
        )
    return count, records
