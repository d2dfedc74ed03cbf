"""Directive pages: issue a directive from a unit (the number of target units and officers shown
before it goes), the directive with its roll-up by committee, a unit's assignment with its report
form, status and local adaptation, and a unit's open assignments. Each page runs a fixed number
of queries whatever the number of units."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Max
from django.db.models.functions import Length
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from grassroots.access import OutOfScope, Right, restrict
from grassroots.bulletin.rendering import stored_html
from grassroots.errors import ActionRefused
from grassroots.organizations.models import Organization, Unit
from grassroots.organizations.selectors import may, organization_for, unit_for
from grassroots.web import ActionForm, confirm_first, fields_html, perform_step

from . import actions, jobs, selectors
from .forms import AdaptForm, IssueForm, ReportForm, StatusForm
from .models import OPEN, Assignment, Directive
from .reportform import file_fields, uploaded_file_name

LISTED_ASSIGNMENTS = 200


def _only_with(request: HttpRequest, right: str, unit: Unit, what: str) -> None:
    """A change posted by someone who sees the unit but lacks the right: 403 before the form is read."""
    if not may(request.user, right, unit):
        raise OutOfScope(f"you may not {what} of {unit.name}", organization=unit.organization, unit=unit)


@login_required
def directive_add(request: HttpRequest, org: str, unit: str) -> HttpResponse:
    """Issue a directive of the unit: a valid form is first answered with the exact number of
    target units and of their officers who will be told; confirmed, it is drafted and issued at once."""
    organization = organization_for(request.user, org)
    issuer = unit_for(request.user, organization, unit)
    _only_with(request, Right.ISSUE_DIRECTIVES, issuer, "issue directives")
    form = IssueForm(request.POST or None, constitution=organization.constitution)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen, unknown = selectors.chosen_targets(request.user, issuer, data["targets"])
        if unknown:
            form.add_error("targets", f"no unit '{unknown[0]}' in the subtree of {issuer.name}")
        else:
            response = _issue(request, form, organization, issuer, chosen or None)
            if response is not None:
                return response
    context = {"organization": organization, "unit": issuer, "form": form, "fields": fields_html(form)}
    return render(request, "directives/directive_add.html", context, status=400 if form.errors else 200)


def _issue(request, form: IssueForm, organization: Organization, issuer: Unit, chosen) -> HttpResponse | None:
    data = form.cleaned_data
    kind = data["targets_kind"]
    if not chosen and not kind and not organization.constitution.kind(issuer.kind).basic:
        form.add_error("targets_kind", "choose a kind of unit or name the units")
        return None
    reach = selectors.issue_preview(issuer=issuer, kind=kind, chosen=chosen if chosen else None)
    if reach["units"] == 0 and (chosen or kind):
        form.add_error("targets_kind" if kind else "targets", f"no unit to send it to in {issuer.name}")
        return None
    question = (
        f"Issue “{data['title']}” to {reach['units']} unit{'s' if reach['units'] != 1 else ''}? "
        f"{reach['officers']} officer{'s' if reach['officers'] != 1 else ''} will be told."
    )
    back = reverse("directive_add", args=[organization.slug, issuer.slug])
    asked = confirm_first(request, form, question=question, back_to=back)
    if asked is not None:
        return asked
    try:
        directive, count = jobs.create_and_issue(
            issuer=issuer,
            title=data["title"],
            due=data["due"],
            by=request.user,
            kind=data["kind"],
            body=data["body"],
            target_kind=kind,
            targets=chosen or None,
            form=data["form"],
        )
    except ActionRefused as refusal:
        form.refuse(refusal)
        return None
    messages.success(request, f"Issued to {count} units.")
    return redirect("directive", org=organization.slug, directive=directive.pk)


def _directive(request: HttpRequest, org: str, pk: int) -> tuple[Organization, Directive]:
    organization = organization_for(request.user, org)
    return organization, selectors.directive_for(request.user, organization, pk)


def _root(request: HttpRequest, organization: Organization, directive: Directive) -> Unit | None:
    """Whose part of the roll-up the page shows: the issuer's for who sees it, else the highest
    unit of the caller's scope with an assignment of it."""
    visible = restrict(Unit.objects.filter(pk=directive.unit_id), user=request.user, organization=organization)
    if visible.exists():
        return directive.unit
    first = (
        selectors.assignments_visible_to(request.user, organization)
        .filter(directive=directive)
        .order_by(Length("unit_path"), "unit_path")
        .first()
    )
    return first.unit if first else None


@login_required
def directive_page(request: HttpRequest, org: str, directive: int) -> HttpResponse:
    """The directive, and its roll-up: the caller's part and each committee below it, by path,
    with counts per status, completion, overdue and the sums of the report's number fields."""
    organization, target = _directive(request, org, directive)
    root = _root(request, organization, target)
    table = selectors.committee_rollup(target, unit=root) if root else []
    files = file_fields(target.form)
    assignments = selectors.assignments_visible_to(request.user, organization).filter(directive=target)
    if files:
        assignments = assignments.annotate(latest_revision=Max("reports__revision"))
    rows = [
        (assignment, _file_links(organization, assignment, getattr(assignment, "latest_revision", None), files))
        for assignment in assignments.order_by("unit_path", "pk")[:LISTED_ASSIGNMENTS]
    ]
    context = {
        "organization": organization,
        "directive": target,
        "body": stored_html(target),
        "root": root,
        "table": table,
        "numbers": [name for name in (table[0]["fields"] if table else {})],
        "units_rule": target.completion == Directive.Completion.UNITS,
        "rows": rows,
        "files": files,
        "listed": LISTED_ASSIGNMENTS,
    }
    return render(request, "directives/directive.html", context)


def _file_links(
    organization: Organization,
    assignment: Assignment,
    revision: int | None,
    files: list[str],
    values: dict | None = None,
) -> list[tuple[str, str, str]]:
    """The files of a revision of the assignment's report (by default the latest, whose values the
    assignment keeps), each `(field, file name, download address)`."""
    values = (assignment.latest_values or {}) if values is None else values
    args = (organization.slug, assignment.directive_id, assignment.unit.slug, revision)
    return [
        (
            name,
            uploaded_file_name(name, str(values[name]).rsplit("/", 1)[-1]),
            reverse("report_file", args=(*args, name)),
        )
        for name in files
        if values.get(name)
    ]


def _assignment(request: HttpRequest, org: str, directive: int, unit: str) -> tuple[Organization, Assignment]:
    organization, target = _directive(request, org, directive)
    found = selectors.assignment_for(request.user, organization, target, unit_for(request.user, organization, unit))
    found.directive = target
    return organization, found


def _assignment_page(request, organization, assignment: Assignment, report_form=None, status=200) -> HttpResponse:
    directive = assignment.directive
    manages = may(request.user, Right.MANAGE_UNITS, assignment.unit)
    working = manages and directive.status == Directive.Status.ISSUED
    files = file_fields(directive.form)
    if report_form is None and working and directive.form:
        report_form = ReportForm(fields=directive.form, initial=assignment.latest_values or {})
    context = {
        "organization": organization,
        "assignment": assignment,
        "directive": directive,
        "body": stored_html(directive),
        "overdue": assignment.status in OPEN and timezone.now() > directive.due,
        "reports": [
            (
                report,
                [(name, value) for name, value in report.values.items() if name not in files],
                _file_links(organization, assignment, report.revision, files, report.values),
            )
            for report in selectors.reports_of(assignment)[:20]
        ],  # fmt: skip
        "working": working,
        "report_form": report_form,
        "report_fields": fields_html(report_form) if report_form is not None else "",
        "status_form": StatusForm(initial={"status": assignment.status}) if working else None,
        "adapt_form": AdaptForm(initial={"text": assignment.adaptation, "local_date": assignment.local_date})
        if working
        else None,
        "file_limit": settings.GRASSROOTS_REPORT_FILE_LIMIT,
    }
    return render(request, "directives/assignment.html", context, status=status)


@login_required
def assignment_page(request: HttpRequest, org: str, directive: int, unit: str) -> HttpResponse:
    """A unit's assignment: the directive, the unit's status, adaptation and report revisions,
    and for its officers the forms that answer it."""
    organization, assignment = _assignment(request, org, directive, unit)
    return _assignment_page(request, organization, assignment)


@never_cache
@login_required
def report_file(request: HttpRequest, org: str, directive: int, unit: str, revision: int, field: str) -> FileResponse:
    """A file of the unit's report (revision `revision`, file field `field`) as an attachment, for
    whoever sees the assignment (the unit's officers, the committees above it); 404 otherwise."""
    _organization, assignment = _assignment(request, org, directive, unit)
    found = selectors.report_file(assignment, revision=revision, field=field)
    return FileResponse(found.path.open("rb"), as_attachment=True, filename=found.filename)


def _back(organization: Organization, assignment: Assignment) -> HttpResponse:
    return redirect("assignment", org=organization.slug, directive=assignment.directive_id, unit=assignment.unit.slug)


@login_required
@require_POST
def assignment_report(request: HttpRequest, org: str, directive: int, unit: str) -> HttpResponse:
    """File the unit's report: values checked by the directive's form, files up to the size limit;
    a refusal comes back on the page at the field it names, and nothing is stored."""
    organization, assignment = _assignment(request, org, directive, unit)
    _only_with(request, Right.MANAGE_UNITS, assignment.unit, "report for the assignments")
    form = ReportForm(request.POST, request.FILES, fields=assignment.directive.form)
    if form.is_valid():
        limit = settings.GRASSROOTS_REPORT_FILE_LIMIT
        kinds = {field["name"]: field["type"] for field in assignment.directive.form}
        values = {name: value for name, value in form.cleaned_data.items() if kinds[name] != "file"}
        files = {
            name: (upload.name, upload.read(limit + 1))
            for name, upload in form.cleaned_data.items()
            if kinds[name] == "file" and upload
        }
        try:
            actions.submit_report(assignment=assignment, values=values, files=files, by=request.user)
        except ActionRefused as refusal:
            form.refuse(refusal)
        else:
            messages.success(request, f"Report filed for {assignment.unit.name}.")
            return _back(organization, assignment)
    return _assignment_page(request, organization, assignment, report_form=form, status=400)


def _answer(
    request: HttpRequest,
    org: str,
    directive: int,
    unit: str,
    form: type[ActionForm],
    action: Callable[..., object],
    *,
    what: str,
    done: str,
) -> HttpResponse:
    """One answer of the unit to its assignment from a small form (`form`, its fields named as
    `action`'s arguments): 403 to who sees the unit without the right to manage it, else the
    action with the outcome flashed, back on the assignment page."""
    organization, assignment = _assignment(request, org, directive, unit)
    _only_with(request, Right.MANAGE_UNITS, assignment.unit, what)
    back = _back(organization, assignment)
    return perform_step(request, form(request.POST), action, done=done, back_to=back, assignment=assignment)


@login_required
@require_POST
def assignment_status(request: HttpRequest, org: str, directive: int, unit: str) -> HttpResponse:
    """The unit's answer: acknowledged, in progress, done, or declined with a reason."""
    return _answer(
        request, org, directive, unit, StatusForm, actions.set_assignment_status,
        what="answer the assignments", done="Status saved.",
    )  # fmt: skip


@login_required
@require_POST
def assignment_adapt(request: HttpRequest, org: str, directive: int, unit: str) -> HttpResponse:
    """The unit's local adaptation: how it carries the directive out, and its own date."""
    return _answer(
        request, org, directive, unit, AdaptForm, actions.adapt_assignment,
        what="adapt the assignments", done="Adaptation saved.",
    )  # fmt: skip


@login_required
def unit_assignments(request: HttpRequest, org: str, unit: str) -> HttpResponse:
    """The unit's open assignments of issued directives, the first due first, and (for who may
    issue) the way to issue one of its own."""
    organization = organization_for(request.user, org)
    target = unit_for(request.user, organization, unit)
    rows = list(selectors.open_assignments_of(target).select_related("directive__unit")[:LISTED_ASSIGNMENTS])
    issued = list(selectors.directives_visible_to(request.user, organization).filter(unit=target)[:LISTED_ASSIGNMENTS])
    context = {
        "organization": organization,
        "unit": target,
        "rows": rows,
        "issued": issued,
        "may_issue": may(request.user, Right.ISSUE_DIRECTIVES, target),
        "listed": LISTED_ASSIGNMENTS,
    }
    return render(request, "directives/unit_assignments.html", context)
