"""The audit trail pages: the records the user may read, filtered and paginated, and a CSV export.

Reads go through the audit selector with the signed-in user: an organization out of scope is a
404, and a user who sees the organization but holds view_audit nowhere in it gets 403. Nothing
here changes or deletes a record; the export is audited by its action.
"""

from __future__ import annotations

import csv
import json

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from grassroots.organizations.selectors import organization_for

from .actions import export_audit_records
from .forms import AuditFilterForm
from .models import AuditRecord
from .selectors import audit_records_visible_to, shown_actor, shown_changes

RECORDS_PER_PAGE = 100
CSV_COLUMNS = ["at", "actor", "action", "target_type", "target_id", "target", "unit", "changes"]
# A spreadsheet reads a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    """The cell as text a spreadsheet will not run: a leading apostrophe before a formula start."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def csv_cells(record: AuditRecord, user) -> list[str]:
    changes = shown_changes(user, record.organization_id, record.changes)
    cells = [
        timezone.localtime(record.at).isoformat(),
        shown_actor(record),
        record.action,
        record.target_type,
        record.target_id,
        record.target_label,
        record.unit.slug if record.unit_id else "",
        json.dumps(changes, ensure_ascii=False) if changes else "",
    ]
    return [spreadsheet_safe(cell) for cell in cells]


class _Line:
    """What csv.writer writes to: it hands back each line, for a streamed response."""

    def write(self, line: str) -> str:
        return line


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _when(at) -> tuple[str, str]:
    """A record's time as the page shows it, in the current time zone: ISO 8601 for the <time>
    element and "YYYY-MM-DD HH:MM" to read; what `|date:'c'` and `|date:"Y-m-d H:i"` give, without
    their format machinery for every row."""
    local = timezone.template_localtime(at)
    return local.isoformat(), f"{local.year:04d}-{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"


@never_cache
@login_required
def audit_trail(request: HttpRequest, org: str) -> HttpResponse:
    """The audit records the user may read, newest first, 100 a page, narrowed by the filters.

    A filter that is not valid (a date that is not one, say) is shown with its error and the page
    lists nothing (400), rather than every record as if no filter had been asked for."""
    organization = organization_for(request.user, org)
    form = AuditFilterForm(request.GET or None)
    invalid = form.is_bound and not form.is_valid()
    records = audit_records_visible_to(request.user, organization, **form.filters())
    if invalid:
        records = records.none()
    page = Paginator(records, RECORDS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        (record, *_when(record.at), shown_actor(record), shown_changes(request.user, organization.pk, record.changes))
        for record in page
    ]
    context = {
        "organization": organization,
        "form": form,
        "page": page,
        "rows": rows,
        "query": _query_without_page(request),
        # The export form posts the page's filters again.
        "export_filters": [(name, value) for name, value in request.GET.items() if name in form.fields],
    }
    return render(request, "audit/audit_trail.html", context, status=400 if invalid else 200)


@never_cache
@login_required
@require_POST
def audit_csv(request: HttpRequest, org: str) -> HttpResponse | StreamingHttpResponse:
    """The records of the audit trail page, with its filters, as a CSV file streamed row by row.

    It writes one audit record (the export, with its row count), so it is a form posted with
    its CSRF token: a link on another site cannot make a reader's browser write one.
    """
    organization = organization_for(request.user, org)
    form = AuditFilterForm(request.POST or None)
    if form.is_bound and not form.is_valid():
        errors = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in form.errors.items())
        return HttpResponse(f"No export: {errors}", status=400, content_type="text/plain; charset=utf-8")
    _count, records = export_audit_records(organization=organization, by=request.user, **form.filters())
    writer = csv.writer(_Line())

    def lines():
        yield writer.writerow(CSV_COLUMNS)
        for record in records.iterator(chunk_size=2000):
            yield writer.writerow(csv_cells(record, request.user))

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    filename = f"{organization.slug}-audit-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
