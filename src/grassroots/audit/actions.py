"""Writing the audit trail. Called by every action inside its own transaction."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import models

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
    changes: dict[str, list[Any]] | None = None,
) -> AuditRecord:
    """Append one record; `by` is a user, or a label such as 'cli:alice' for the command line."""
    return AuditRecord.objects.create(
        organization=organization,
        actor=by if isinstance(by, AbstractBaseUser) else None,
        actor_label=actor_label(by),
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_label=str(target)[:300],
        changes={key: [_plain(old), _plain(new)] for key, (old, new) in (changes or {}).items()},
    )


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, models.Model):
        return str(value)
    return str(value)
