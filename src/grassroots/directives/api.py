"""REST endpoints of directives, scoped like units: a unit sees the directives it issued or was
sent and its own assignments, a committee its subtree's; a roll-up covers only a unit the caller
sees. Issuing needs the right to issue directives over the issuer; a unit's answer, adaptation and
report need the right to manage it. Anything unknown or out of scope is a 404 and changes nothing."""

import base64
import binascii
from collections.abc import Callable
from typing import Annotated, Any

from django.http import FileResponse, HttpRequest
from ninja import Router, Status
from pydantic import Field

from grassroots.access import NotVisible, restrict
from grassroots.api.pagination import paginated
from grassroots.api.schemas import READ_ERRORS, WRITE_ERRORS, Text
from grassroots.errors import ActionRefused
from grassroots.meetings.models import Decision
from grassroots.meetings.times import parse_local
from grassroots.organizations.api import referenced_unit
from grassroots.organizations.models import Organization, Unit
from grassroots.organizations.selectors import organization_for, unit_for

from . import actions, jobs, selectors
from .models import OPEN, Assignment, Directive
from .schemas import (
    AdaptIn,
    AssignmentDetailOut,
    AssignmentOut,
    AssignmentStatusIn,
    CommitteeRollupOut,
    DirectiveIn,
    DirectiveOut,
    DirectiveRollupOut,
    PassOnIn,
    ReissueIn,
    ReportIn,
)

router = Router(tags=["directives"])
RowId = Annotated[int, Field(ge=1, le=2**63 - 1)]


def caller(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _directive(request: HttpRequest, org_slug: str, directive_id: int) -> Directive:
    user = caller(request)
    return selectors.directive_for(user, organization_for(user, org_slug), directive_id)


def _part(request: HttpRequest, directive: Directive, unit_slug: str | None) -> Unit:
    """The unit whose part of the roll-up is asked for: one the caller sees (default: the issuer)."""
    user = caller(request)
    if unit_slug:
        return unit_for(user, directive.organization, unit_slug)
    issuer = directive.unit
    if not restrict(Unit.objects.filter(pk=issuer.pk), user=user, organization=directive.organization).exists():
        raise NotVisible(
            f"directive {directive.pk}: name one of your units (?unit=) for its part of the roll-up",
            organization=directive.organization,
            unit=issuer,
            what=f"roll-up of directive {directive.pk}",
        )
    return issuer


def _assignment(request: HttpRequest, org_slug: str, directive_id: int, unit_slug: str) -> Assignment:
    directive = _directive(request, org_slug, directive_id)
    unit = unit_for(caller(request), directive.organization, unit_slug)
    assignment = selectors.assignment_for(caller(request), directive.organization, directive, unit)
    assignment.directive = directive
    return assignment


def _answer(
    request: HttpRequest, org_slug: str, directive_id: int, unit_slug: str, action: Callable[..., Assignment], payload
) -> Assignment:
    """Run `action` on the unit's assignment (404 out of scope) with the payload's fields as its
    arguments, by the caller; the assignment as it stands after."""
    assignment = _assignment(request, org_slug, directive_id, unit_slug)
    return action(assignment=assignment, by=caller(request), **payload.model_dump())


def _targets(request: HttpRequest, organization: Organization, slugs: list[str] | None) -> list[Unit] | None:
    if not slugs:
        return None
    return [unit for slug in slugs if (unit := referenced_unit(request, organization, slug, field="targets"))]


def _local(text: str | None, field: str):
    return parse_local(text, field=field) if text else None


@router.get("/{org_slug}/directives", response={200: list[DirectiveOut], **READ_ERRORS}, summary="List directives")
@paginated
def list_directives(request: HttpRequest, org_slug: str):
    """The directives the caller may read (issued or received within their scope), the latest
    first: a page `{"items": [...], "count": n}` as every list."""
    user = caller(request)
    return selectors.directives_visible_to(user, organization_for(user, org_slug)).order_by("-created_at", "-pk")


@router.post("/{org_slug}/directives", response={201: DirectiveOut, **WRITE_ERRORS}, summary="Issue a directive")
def add_directive(request: HttpRequest, org_slug: str, payload: DirectiveIn):
    """Issue a directive (or keep it as a draft) to units of the issuer's subtree: every unit of
    `targets_kind` or the chosen `targets`; `due` is the issuer's local time. A refusal is a 409
    naming the field (unit, title, due, targets, targets_kind, form...)."""
    user = caller(request)
    organization = organization_for(user, org_slug)
    issuer = referenced_unit(request, organization, payload.unit, field="unit")
    assert issuer is not None
    decision = None
    if payload.decision is not None:
        # A decision of the issuer's own meetings, which the caller sees with the issuer.
        decision = Decision.objects.filter(pk=payload.decision, meeting__unit=issuer).select_related("meeting").first()
        if decision is None:
            raise ActionRefused(f"decision: no decision {payload.decision} of {issuer.name}", field="decision")
    directive, _count = jobs.create_and_issue(
        draft=payload.draft,
        issuer=issuer,
        title=payload.title,
        due=parse_local(payload.due, field="due"),
        by=user,
        kind=payload.kind,
        body=payload.body,
        target_kind=payload.targets_kind,
        targets=_targets(request, organization, payload.targets),
        form=[field.model_dump(exclude_none=True) for field in payload.form] if payload.form else None,
        completion=payload.completion,
        decision=decision,
    )
    return Status(201, directive)


@router.get(
    "/{org_slug}/directives/{directive_id}", response={200: DirectiveOut, **READ_ERRORS}, summary="Read a directive"
)
def get_directive(request: HttpRequest, org_slug: str, directive_id: RowId):
    return _directive(request, org_slug, directive_id)


@router.post(
    "/{org_slug}/directives/{directive_id}/issue",
    response={200: DirectiveOut, **WRITE_ERRORS},
    summary="Issue a draft directive",
)
def issue_directive(request: HttpRequest, org_slug: str, directive_id: RowId):
    directive = _directive(request, org_slug, directive_id)
    jobs.issue(directive=directive, by=caller(request))
    return directive


@router.post(
    "/{org_slug}/directives/{directive_id}/reissue",
    response={200: DirectiveOut, **WRITE_ERRORS},
    summary="Re-issue a directive",
)
def reissue_directive(request: HttpRequest, org_slug: str, directive_id: RowId, payload: ReissueIn):
    """A new version: the units that had acknowledged it are told again."""
    directive = _directive(request, org_slug, directive_id)
    return jobs.reissue(
        directive=directive,
        by=caller(request),
        title=payload.title,
        body=payload.body,
        due=_local(payload.due, "due"),
    )


@router.post(
    "/{org_slug}/directives/{directive_id}/close",
    response={200: DirectiveOut, **WRITE_ERRORS},
    summary="Close a directive",
)
def close_directive(request: HttpRequest, org_slug: str, directive_id: RowId):
    return actions.close_directive(directive=_directive(request, org_slug, directive_id), by=caller(request))


@router.get(
    "/{org_slug}/directives/{directive_id}/status",
    response={200: DirectiveRollupOut, **READ_ERRORS},
    summary="A directive's roll-up",
)
def directive_status(request: HttpRequest, org_slug: str, directive_id: RowId, unit: Text | None = None):
    """Counts per status, completion, overdue and the report's number fields over the subtree of
    `unit` (a unit the caller sees; default: the issuer), from one grouped query."""
    directive = _directive(request, org_slug, directive_id)
    return selectors.rollup(directive, unit=_part(request, directive, unit))


@router.get(
    "/{org_slug}/directives/{directive_id}/rollup",
    response={200: list[CommitteeRollupOut], **READ_ERRORS},
    summary="A directive's roll-up by committee",
)
def directive_rollup(request: HttpRequest, org_slug: str, directive_id: RowId, unit: Text | None = None):
    """The roll-up of `unit` (default: the issuer) and of every committee between it and the
    target units, by path, from one grouped query."""
    directive = _directive(request, org_slug, directive_id)
    return selectors.committee_rollup(directive, unit=_part(request, directive, unit))


@router.get(
    "/{org_slug}/directives/{directive_id}/assignments",
    response={200: list[AssignmentOut], **READ_ERRORS},
    summary="List a directive's assignments",
)
@paginated
def list_directive_assignments(request: HttpRequest, org_slug: str, directive_id: RowId):
    """The directive's assignments of units in the caller's scope, by place in the tree."""
    directive = _directive(request, org_slug, directive_id)
    return (
        selectors.assignments_visible_to(caller(request), directive.organization)
        .filter(directive=directive)
        .order_by("unit_path", "pk")
    )


@router.get("/{org_slug}/assignments", response={200: list[AssignmentOut], **READ_ERRORS}, summary="List assignments")
@paginated
def list_assignments(request: HttpRequest, org_slug: str, unit: Text | None = None, open: bool = False):
    """Assignments of units in the caller's scope (of one `unit` when given; only open ones of
    issued directives with `open=true`), the first due first."""
    user = caller(request)
    organization = organization_for(user, org_slug)
    rows = selectors.assignments_visible_to(user, organization)
    if unit:
        rows = rows.filter(unit=unit_for(user, organization, unit))
    if open:
        rows = rows.filter(status__in=OPEN, directive__status=Directive.Status.ISSUED)
    return rows.order_by("directive__due", "pk")


@router.get(
    "/{org_slug}/directives/{directive_id}/assignments/{unit_slug}",
    response={200: AssignmentDetailOut, **READ_ERRORS},
    summary="Read a unit's assignment",
)
def get_assignment(request: HttpRequest, org_slug: str, directive_id: RowId, unit_slug: str):
    """The unit's assignment with every revision of its report, the latest first."""
    return _assignment(request, org_slug, directive_id, unit_slug)


@router.get(
    "/{org_slug}/directives/{directive_id}/assignments/{unit_slug}/reports/{revision}/files/{field}",
    response={200: None, **READ_ERRORS},
    summary="Download a file of a unit's report",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file as uploaded, as an attachment; its media type from its name's extension.",
                "content": {"application/octet-stream": {}},
            }
        }
    },
)
def report_file(request: HttpRequest, org_slug: str, directive_id: RowId, unit_slug: str, revision: RowId, field: str):
    """The file that revision `revision` of the unit's report holds in its file field `field`, for
    whoever may read the assignment (the unit and the committees above it); 404 for anyone else,
    for a revision or field with no file."""
    assignment = _assignment(request, org_slug, directive_id, unit_slug)
    found = selectors.report_file(assignment, revision=revision, field=field)
    return FileResponse(found.path.open("rb"), as_attachment=True, filename=found.filename)


@router.post(
    "/{org_slug}/directives/{directive_id}/assignments/{unit_slug}/status",
    response={200: AssignmentOut, **WRITE_ERRORS},
    summary="Set a unit's status of its assignment",
)
def set_assignment_status(
    request: HttpRequest, org_slug: str, directive_id: RowId, unit_slug: str, payload: AssignmentStatusIn
):
    """The unit's answer: acknowledged, in progress, done, or declined with a reason."""
    return _answer(request, org_slug, directive_id, unit_slug, actions.set_assignment_status, payload)


@router.post(
    "/{org_slug}/directives/{directive_id}/assignments/{unit_slug}/adapt",
    response={200: AssignmentOut, **WRITE_ERRORS},
    summary="Adapt an assignment locally",
)
def adapt_assignment(request: HttpRequest, org_slug: str, directive_id: RowId, unit_slug: str, payload: AdaptIn):
    """The unit's local adaptation: how it carries the directive out, and its own date."""
    return _answer(request, org_slug, directive_id, unit_slug, actions.adapt_assignment, payload)


@router.post(
    "/{org_slug}/directives/{directive_id}/assignments/{unit_slug}/reports",
    response={201: AssignmentDetailOut, **WRITE_ERRORS},
    summary="File a unit's report",
)
def submit_report(request: HttpRequest, org_slug: str, directive_id: RowId, unit_slug: str, payload: ReportIn):
    """A new revision of the unit's report, checked against the directive's form (a 409 names the
    field); file fields come base64-encoded under `files`."""
    assignment = _assignment(request, org_slug, directive_id, unit_slug)
    files = {}
    for name, file in payload.files.items():
        try:
            files[name] = (file.filename, base64.b64decode(file.content_base64, validate=True))
        except (binascii.Error, ValueError):
            raise ActionRefused(f"{name}: the file's content is not base64", field=name) from None
    actions.submit_report(assignment=assignment, values=dict(payload.values), files=files, by=caller(request))
    return Status(201, assignment)


@router.post(
    "/{org_slug}/directives/{directive_id}/assignments/{unit_slug}/pass-on",
    response={201: DirectiveOut, **WRITE_ERRORS},
    summary="Pass an assignment on down the tree",
)
def pass_on(request: HttpRequest, org_slug: str, directive_id: RowId, unit_slug: str, payload: PassOnIn):
    """The committee passes its assignment on to units of its own subtree as a child directive."""
    assignment = _assignment(request, org_slug, directive_id, unit_slug)
    child = jobs.pass_on(
        assignment=assignment,
        by=caller(request),
        target_kind=payload.targets_kind,
        targets=_targets(request, assignment.directive.organization, payload.targets),
        due=_local(payload.due, "due"),
    )
    return Status(201, child)
