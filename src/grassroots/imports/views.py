"""Web pages for member files: upload and check, the run's page with its progress, the errors
file, and the export.

An upload is stored and checked at once for what can be known without reading every row (format,
size, columns), then a worker checks every row (a dry run) while the run's page shows its
progress (htmx polls the status block). The page previews the mapped columns and the validation
summary; the user may change the mapping and check again, or import. Every read goes through
`restrict` (a run out of sight is a 404) and every run through the same action as the command line.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from grassroots.access import may_import
from grassroots.audit.actions import record_refusal
from grassroots.errors import ActionRefused
from grassroots.organizations.selectors import organization_for, unit_named
from grassroots.web import refusal_message

from . import jobs
from .columns import MappingError, how_ignored
from .dates import how_read
from .forms import FIELD_LABELS, ExportForm, RunAgainForm, UploadForm
from .models import ImportRun
from .reading import ImportFileError
from .selectors import run_for, runs_visible_to, with_progress

RECENT_RUNS = 20


def _importing(request: HttpRequest, org: str):
    """The organization, for someone who may import into some unit of it (404 or 403 otherwise)."""
    organization = organization_for(request.user, org)
    jobs.authorize_import(request.user, organization)
    return organization


@login_required
def imports_page(request: HttpRequest, org: str) -> HttpResponse:
    """Upload a member file (POST), or see the recent imports and the export form (GET)."""
    organization = _importing(request, org)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            run = jobs.stage_import(
                organization=organization,
                upload=data["file"],
                by=request.user,
                on_duplicate=data["on_duplicate"],
                on_conflict=data["on_conflict"],
                valid_rows=data["valid_rows"],
                sheet=data["sheet"],
                encoding=data["encoding"],
            )
        except (ImportFileError, MappingError) as error:
            form.add_error("file", str(error))
        else:
            return redirect("import_run", org=organization.slug, pk=run.pk)
    context = {
        "organization": organization,
        "form": form,
        "export_form": ExportForm(),
        # A running all-or-nothing import commits its counts only at its end: as of its last batch here.
        "runs": [with_progress(run) for run in runs_visible_to(request.user, organization)[:RECENT_RUNS]],
    }
    return render(request, "imports/imports.html", context, status=400 if form.errors else 200)


@never_cache
@login_required
def run_page(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    """One run: its progress while it runs (the status block alone for htmx), then its outcome,
    the preview of the mapped columns and, after a check, the form to import or check again."""
    organization = organization_for(request.user, org)
    run = run_for(request.user, organization, pk)
    context = {"organization": organization, "run": run, "finished": run.state in ImportRun.FINISHED}
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "imports/_run_status.html", context)
        patch_vary_headers(response, ["HX-Request"])
        if context["finished"]:
            response["HX-Refresh"] = "true"  # the whole page: preview, errors and next steps
        return response
    preview = jobs.preview_rows(run)
    context |= {
        "headers": [header for header, _name in run.columns],
        "mapped": [FIELD_LABELS.get(name, name) for _header, name in run.columns],
        "preview": preview,
        "errors": jobs.first_errors(run) if context["finished"] else [],
        "decisions": what_was_read(run.read),
        "form": _run_again_form(run) if preview and may_import(request.user, organization) else None,
    }
    return render(request, "imports/run.html", context)


DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


def what_was_read(read: dict) -> list[tuple[str, str]]:
    """The decisions taken about the file as a whole, as (what, decided) lines for the page."""
    lines = []
    if read.get("format"):
        lines.append(("Format", str(read["format"]).upper()))
    if read.get("sheet"):
        lines.append(("Sheet", str(read["sheet"])))
    if read.get("encoding"):
        how = f" ({read['encoding_by']})" if read.get("encoding_by") else ""
        lines.append(("Encoding", f"{read['encoding']}{how}"))
    if read.get("delimiter"):
        lines.append(("Delimiter", DELIMITER_NAMES.get(read["delimiter"], repr(read["delimiter"]))))
    if read.get("header_line"):
        lines.append(("Header row", f"line {read['header_line']}"))
    for order in (read.get("dates") or {}).values():
        lines.append((f"Dates in '{order['column']}'", how_read(order)))
    for column in read.get("ignored") or []:
        lines.append(("Ignored", how_ignored(column)))
    return lines


def _run_again_form(run: ImportRun, data=None) -> RunAgainForm:
    options = run.options
    initial = {
        "on_duplicate": options.get("on_duplicate", "skip"),
        "on_conflict": options.get("on_conflict", "report"),
        "valid_rows": options.get("valid_rows", False),
    }
    return RunAgainForm(data, columns=run.columns, initial=initial)


@require_POST
@login_required
def run_again(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    """Import the checked file (action=import), or check it again with another mapping (action=check)."""
    organization = organization_for(request.user, org)
    run = run_for(request.user, organization, pk)
    form = _run_again_form(run, request.POST)
    if not form.is_valid():
        messages.error(request, form.error_message())
        return redirect("import_run", org=organization.slug, pk=run.pk)
    data = form.cleaned_data
    try:
        again = jobs.rerun_import(
            run,
            by=request.user,
            dry_run=data["action"] == "check",
            valid_rows=data["valid_rows"],
            on_duplicate=data["on_duplicate"],
            on_conflict=data["on_conflict"],
            mapping=form.mapping(),
        )
    except ActionRefused as refusal:
        messages.error(request, refusal_message(refusal))
        return redirect("import_run", org=organization.slug, pk=run.pk)
    except (ImportFileError, MappingError) as error:
        messages.error(request, str(error))
        return redirect("import_run", org=organization.slug, pk=run.pk)
    return redirect("import_run", org=organization.slug, pk=again.pk)


@never_cache
@login_required
def run_errors(request: HttpRequest, org: str, pk: int) -> FileResponse:
    """The errors file of a finished run: every rejected row with its line, column, value and reason."""
    organization = organization_for(request.user, org)
    run = run_for(request.user, organization, pk)
    path = jobs.finished_errors_path(run)
    filename = f"{organization.slug}-import-{run.pk}-errors.csv"
    return FileResponse(path.open("rb"), as_attachment=True, filename=filename, content_type="text/csv")


@never_cache
@login_required
def export_page(request: HttpRequest, org: str) -> HttpResponse:
    """Download the people the user may export (all, or a unit's subtree) with their current
    membership, as CSV or XLSX: written to a temporary file in constant memory, then sent."""
    organization = _importing(request, org)
    form = ExportForm(request.GET)
    unit = None
    if form.is_valid() and form.cleaned_data["unit"]:
        ref = form.cleaned_data["unit"].strip()
        try:
            unit = unit_named(request.user, organization, ref)
        except Http404 as missing:
            # Out of scope or unknown alike: the same error on the kept form (the refusal audited).
            record_refusal(user=request.user, refusal=missing, request=request)
            several = str(missing).startswith("several")
            form.add_error("unit", str(missing) if several else f"no unit '{ref}' that you can see")
    if not form.is_valid():
        return render(request, "imports/export_error.html", {"organization": organization, "form": form}, status=400)
    format = form.cleaned_data["format"] or "csv"
    stream = jobs.export_to_stream(organization=organization, by=request.user, format=format, unit=unit)
    return FileResponse(stream, as_attachment=True, filename=jobs.export_file_name(organization, unit, format))
