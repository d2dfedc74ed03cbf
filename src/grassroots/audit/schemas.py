"""Typed shapes of the API for the audit trail."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from .models import AuditRecord
from .selectors import shown_actor, shown_changes


class AuditRecordOut(Schema):
    id: int
    at: dt.datetime
    actor: str = Field(description="Who acted: a username, or 'cli:<login>' for the command line.")
    action: str = Field(description="What was done, e.g. 'membership.join', 'person.export', 'access.denied'.")
    target_type: str
    target_id: str
    target: str = Field(description="The object acted on, as it was named then.")
    unit: str | None = Field(description="Slug of the unit the record concerns; null for the whole organization.")
    changes: dict = Field(description="{field: [old, new]} for what the action changed.")

    @staticmethod
    def resolve_actor(record: AuditRecord) -> str:
        return shown_actor(record)

    @staticmethod
    def resolve_changes(record: AuditRecord, context) -> dict:
        return shown_changes(context["request"].auth, record.organization_id, record.changes)

    @staticmethod
    def resolve_target(record: AuditRecord) -> str:
        return record.target_label

    @staticmethod
    def resolve_unit(record: AuditRecord) -> str | None:
        return record.unit.slug if record.unit_id else None
