"""Request and response bodies of the directives API."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from grassroots.api.schemas import Body, IsoDate

LOCAL_TIME = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$"
Kind = Literal["task", "report", "campaign"]
AssignmentStatus = Literal["pending", "acknowledged", "in_progress", "done", "declined"]


class FormFieldIn(Body):
    name: str = Field(min_length=1, max_length=80)
    type: Literal["number", "text", "choice", "date", "file"]
    required: bool = False
    choices: list[str] | None = None


class DirectiveIn(Body):
    unit: str = Field(max_length=80, description="Slug of the issuing unit.")
    title: str = Field(min_length=1, max_length=200)
    due: str = Field(pattern=LOCAL_TIME, description="YYYY-MM-DD HH:MM, in the issuer's time zone.")
    kind: Kind = "task"
    body: str = Field(default="", max_length=100_000, description="Markdown.")
    targets_kind: str = Field(default="", max_length=60, description="Every unit of this kind in the subtree.")
    targets: list[str] | None = Field(default=None, max_length=10_000, description="Or chosen units, by slug.")
    form: list[FormFieldIn] | None = Field(default=None, max_length=100, description="The report form's fields.")
    completion: Literal["units", "report"] = "units"
    draft: bool = Field(default=False, description="Keep it as a draft instead of issuing it at once.")
    decision: int | None = Field(
        default=None, ge=1, le=2**63 - 1, description="Id of the carried decision of the issuer's meeting it executes."
    )


class ReissueIn(Body):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    body: str | None = Field(default=None, max_length=100_000)
    due: str | None = Field(
        default=None, pattern=LOCAL_TIME, description="YYYY-MM-DD HH:MM in the directive's own zone (`time_zone`)."
    )


class PassOnIn(Body):
    targets_kind: str = Field(default="", max_length=60)
    targets: list[str] | None = Field(default=None, max_length=10_000)
    due: str | None = Field(default=None, pattern=LOCAL_TIME, description="Default: the directive's due time.")


class AssignmentStatusIn(Body):
    status: AssignmentStatus
    reason: str = Field(default="", max_length=2000, description="Required to decline.")


class AdaptIn(Body):
    text: str = Field(default="", max_length=10_000)
    local_date: IsoDate | None = None


class FileIn(Body):
    filename: str = Field(min_length=1, max_length=200)
    content_base64: str = Field(description="The file's bytes, base64-encoded.")


class ReportIn(Body):
    # bool first: JSON true/false arrive as such, for the form to refuse in a number field (not as 1/0).
    values: dict[str, bool | str | int | float | None] = Field(default_factory=dict)
    files: dict[str, FileIn] = Field(default_factory=dict, description="File fields: {name: {filename, content}}.")


class DirectiveOut(Schema):
    id: int
    unit: str = Field(description="Slug of the issuing unit.")
    parent: int | None = Field(None, description="The directive this one passes on.")
    kind: str
    title: str
    body: str
    due: str = Field(description="ISO date-time in the issuer's time zone.")
    time_zone: str
    status: str
    version: int
    targets_kind: str
    form: list[dict[str, Any]]
    completion: str
    issued_at: dt.datetime | None

    @staticmethod
    def resolve_unit(directive) -> str:
        return directive.unit.slug

    @staticmethod
    def resolve_parent(directive) -> int | None:
        return directive.parent_id

    @staticmethod
    def resolve_due(directive) -> str:
        return directive.due.astimezone(directive.zone).isoformat()

    @staticmethod
    def resolve_targets_kind(directive) -> str:
        return directive.target_kind


class FieldFiguresOut(Schema):
    sum: float | int
    mean: float | int | None
    reported: int
    of: int


class DirectiveRollupOut(Schema):
    directive: int
    unit: str
    targets: int
    done: int
    declined: int
    pending: int
    acknowledged: int
    in_progress: int
    overdue: int
    completion: float = Field(description="Done over targets, a share (0.75 is 75 %).")
    fields: dict[str, FieldFiguresOut]


class CommitteeRollupOut(DirectiveRollupOut):
    name: str
    path: str


class AssignmentOut(Schema):
    directive: int
    title: str
    unit: str
    status: str
    reason: str
    adaptation: str
    local_date: dt.date | None
    due: str
    overdue: bool
    passed_on: int | None
    latest_values: dict[str, Any] | None
    reported_at: dt.datetime | None

    @staticmethod
    def resolve_directive(assignment) -> int:
        return assignment.directive_id

    @staticmethod
    def resolve_title(assignment) -> str:
        return assignment.directive.title

    @staticmethod
    def resolve_unit(assignment) -> str:
        return assignment.unit.slug

    @staticmethod
    def resolve_due(assignment) -> str:
        return assignment.directive.due.astimezone(assignment.directive.zone).isoformat()

    @staticmethod
    def resolve_overdue(assignment) -> bool:
        from django.utils import timezone

        open_statuses = ("pending", "acknowledged", "in_progress")
        return assignment.status in open_statuses and timezone.now() > assignment.directive.due

    @staticmethod
    def resolve_passed_on(assignment) -> int | None:
        return assignment.passed_on_id


class ReportOut(Schema):
    revision: int
    values: dict[str, Any]
    submitted_by: str
    submitted_at: dt.datetime


class AssignmentDetailOut(AssignmentOut):
    reports: list[ReportOut]

    @staticmethod
    def resolve_reports(assignment) -> list:
        return list(assignment.reports.order_by("-revision"))
