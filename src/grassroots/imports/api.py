"""REST endpoints for member files: start an import (a background job), read its status and
result, download its errors file; download an export.

`POST /orgs/{org}/imports` takes the file as multipart form data and answers 202 with the queued
run; poll `GET /orgs/{org}/imports/{id}` until `state` is one of done, rejected, failed or
interrupted. A file that cannot be read or mapped is refused at once (409, naming the file and
what is wrong with it), and nothing is kept.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import FileResponse, HttpRequest
from ninja import File, Form, Router, Schema, Status, UploadedFile
from pydantic import Field, model_validator

from grassroots.api.pagination import paginated
from grassroots.api.schemas import NO_NUL, QUERY_ERRORS, READ_ERRORS, WRITE_ERRORS, Body, ErrorOut, Text
from grassroots.errors import ActionRefused
from grassroots.organizations.selectors import organization_for, unit_named

from . import jobs
from .columns import MappingError
from .models import ImportRun
from .reading import ImportFileError
from .selectors import run_for, runs_visible_to, with_progress

router = Router(tags=["member files"])

OnDuplicate = Literal["skip", "update", "fill-empty"]
OnConflict = Literal["report", "create"]


class ImportRunOut(Schema):
    id: int
    file_name: str
    dry_run: bool = Field(description="A check: every row validated, nothing written.")
    state: str = Field(description="queued, running, done, rejected, failed or interrupted.")
    on_duplicate: str
    on_conflict: str = Field(description="report, or create: what became of rows in conflict.")
    valid_rows: bool
    rows: int = Field(description="Rows read so far (all of them once finished).")
    progress: float = Field(description="Fraction of the file read, 0 to 1.")
    created: int
    updated: int
    unchanged: int
    skipped: int
    conflicts: int = Field(description="Rows whose email or phone is a known person's but whose name differs.")
    rejected: int
    would_create: int = Field(
        description="State rejected (all or nothing, refused for its rejected rows): the people its valid rows "
        "would have created; created is 0, since nothing was written. 0 otherwise."
    )
    would_update: int = Field(description="State rejected: the people it would have updated (updated is 0).")
    error: str
    columns: dict[str, str] = Field(description="Each header of the file and the field it fills ('ignore': none).")
    sheet: str = Field(description="XLSX: the sheet read (chosen, or found); empty for CSV.")
    read: dict[str, Any] = Field(
        description="What was decided about the file as a whole: format, encoding, encoding_by (how it "
        "was decided: given, byte order mark, UTF-8 throughout, or detected with its confidence) and "
        "delimiter (CSV), sheet "
        "(XLSX), header_line, and under dates each date column's day/month order with why "
        "({column, order: 'day first' or 'month first', line and value that show it, or region, because}); "
        "under ignored the columns not imported, counted over every row ([{column: spreadsheet letter, "
        "header, reason: 'no header', 'not a field' or 'ignored by the mapping', values: cells not empty}]; "
        "a column with neither header nor value is left out)."
    )
    started_at: str
    finished_at: str | None
    requested_by: str

    @model_validator(mode="before")
    @classmethod
    def _live(cls, values: Any) -> Any:
        """A running run's rows, progress and counts as of its last batch, in a list as on its own
        page: an all-or-nothing import commits them only at its end (`selectors.with_progress`)."""
        run = getattr(values, "_obj", values)
        if isinstance(run, ImportRun):
            with_progress(run)
        return values

    @staticmethod
    def resolve_columns(run: ImportRun) -> dict[str, str]:
        return dict(run.columns)

    @staticmethod
    def resolve_sheet(run: ImportRun) -> str:
        return run.options.get("sheet", "")

    @staticmethod
    def resolve_on_duplicate(run: ImportRun) -> str:
        return run.options.get("on_duplicate", "skip")

    @staticmethod
    def resolve_on_conflict(run: ImportRun) -> str:
        return run.options.get("on_conflict", "report")

    @staticmethod
    def resolve_valid_rows(run: ImportRun) -> bool:
        return bool(run.options.get("valid_rows", False))

    @staticmethod
    def resolve_rows(run: ImportRun) -> int:
        return run.rows_done

    @staticmethod
    def resolve_started_at(run: ImportRun) -> str:
        return run.started_at.isoformat()

    @staticmethod
    def resolve_finished_at(run: ImportRun) -> str | None:
        return run.finished_at.isoformat() if run.finished_at else None

    @staticmethod
    def resolve_requested_by(run: ImportRun) -> str:
        return run.actor_label


class RunAgainIn(Body):
    dry_run: bool = Field(False, description="Check again instead of importing.")
    valid_rows: bool = False
    on_duplicate: OnDuplicate = "skip"
    on_conflict: OnConflict = Field("report", description="A row in conflict: report it (nothing written) or create.")
    mapping: dict[Text, Text] = Field(
        default_factory=dict,
        description="{column header: field or 'ignore'}; empty: as the run before.",
        json_schema_extra={"additionalProperties": False},  # every key is a header without NUL
    )


def _file_problem(field: str, error: Exception) -> ActionRefused:
    """A file (or a mapping) that cannot be imported is refused like any rule: 409, naming the field."""
    return ActionRefused(f"{field}: {error}", field=field)


@router.post(
    "/{org_slug}/imports",
    response={202: ImportRunOut, **WRITE_ERRORS},
    summary="Start an import",
    # Like every body here, the form takes no other fields (a stray one is ignored, never stored);
    # an empty file is no file (422, "file: Field required").
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {"additionalProperties": False, "properties": {"file": {"minLength": 1}}}
                }
            }
        }
    },
)
def start_import(
    request: HttpRequest,
    org_slug: str,
    file: File[UploadedFile],
    dry_run: Form[bool] = False,
    valid_rows: Form[bool] = False,
    on_duplicate: Form[OnDuplicate] = "skip",
    on_conflict: Form[OnConflict] = "report",
    sheet: str = Form("", max_length=200, pattern=NO_NUL),  # noqa: B008 -- how ninja describes a form field
    encoding: str = Form("", max_length=40, pattern=NO_NUL),  # noqa: B008
):
    """Upload a member file (CSV or XLSX) and queue its import, or its check with `dry_run`.
    `sheet` names the sheet of a workbook to read (default: the active one, or else the first
    whose headers are recognised); `encoding` the encoding of a CSV file (default: decided on the
    whole file; a file whose encoding cannot be told is refused, 409, naming the candidates).
    All or nothing unless `valid_rows`; `on_duplicate` decides what happens to people already
    known; `on_conflict` to rows whose email or phone is a known person's but whose name differs
    (report: nothing written for them; create: a new person who shares the contact). 403 for a
    caller who may import into no unit of the organization."""
    organization = organization_for(request.auth, org_slug)
    try:
        run = jobs.stage_import(
            organization=organization,
            upload=file,
            by=request.auth,
            on_duplicate=on_duplicate,
            on_conflict=on_conflict,
            valid_rows=valid_rows,
            dry_run=dry_run,
            sheet=sheet,
            encoding=encoding,
        )
    except (ImportFileError, MappingError) as error:
        raise _file_problem("file", error) from None
    return Status(202, run)


@router.get(
    "/{org_slug}/imports", response={200: list[ImportRunOut], **QUERY_ERRORS, 403: ErrorOut}, summary="List imports"
)
@paginated
def list_imports(request: HttpRequest, org_slug: str):
    """The imports and checks the caller may see, newest first: all of them for an administrator,
    one's own for an officer who may import. 403 for a caller who may import into no unit."""
    organization = organization_for(request.auth, org_slug)
    jobs.authorize_import(request.auth, organization)
    return runs_visible_to(request.auth, organization)


@router.get("/{org_slug}/imports/{run_id}", response={200: ImportRunOut, **READ_ERRORS}, summary="Import status")
def get_import(request: HttpRequest, org_slug: str, run_id: int):
    """One import or check: its state, progress and counts (as of its last batch while it runs)."""
    return run_for(request.auth, organization_for(request.auth, org_slug), run_id)


@router.post(
    "/{org_slug}/imports/{run_id}/again",
    response={202: ImportRunOut, **WRITE_ERRORS},
    summary="Run an import again",
)
def run_import_again(request: HttpRequest, org_slug: str, run_id: int, payload: RunAgainIn):
    """Queue another run of the same uploaded file: typically the import after a check, or a
    check with another mapping. 409 once the file is no longer kept (removed when imported)."""
    organization = organization_for(request.auth, org_slug)
    run = run_for(request.auth, organization, run_id)
    try:
        again = jobs.rerun_import(
            run,
            by=request.auth,
            dry_run=payload.dry_run,
            valid_rows=payload.valid_rows,
            on_duplicate=payload.on_duplicate,
            on_conflict=payload.on_conflict,
            mapping=payload.mapping or None,
        )
    except MappingError as error:
        raise _file_problem("mapping", error) from None
    except ImportFileError as error:
        raise _file_problem("file", error) from None
    return Status(202, again)


@router.get(
    "/{org_slug}/imports/{run_id}/errors",
    response={200: None, **READ_ERRORS},
    summary="Import errors file",
    openapi_extra={
        "responses": {
            200: {
                "description": "CSV: line, reason (every problem of the row), then the row's original columns",
                "content": {"text/csv": {}},
            }
        }
    },
)
def import_errors(request: HttpRequest, org_slug: str, run_id: int):
    """The errors file of a finished run (CSV): every rejected or noted row (conflicts, recruiters
    not found) with its line, a reason column naming each problem and its column, and the row's
    original cells under the original header, ready to fix and import. 404 until the run has finished."""
    organization = organization_for(request.auth, org_slug)
    run = run_for(request.auth, organization, run_id)
    path = jobs.finished_errors_path(run)
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"import-{run.pk}-errors.csv")


@router.get(
    "/{org_slug}/members/export",
    response={200: None, **WRITE_ERRORS},
    summary="Export members",
    openapi_extra={
        "responses": {
            200: {
                "description": "The people the caller may export with their current membership.",
                "content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
            }
        }
    },
)
def export_members_file(request: HttpRequest, org_slug: str, format: Literal["csv", "xlsx"] = "csv", unit: Text = ""):
    """Download the people the caller may export (of the whole organization, or of `unit`'s
    subtree), with their current membership, as CSV or XLSX; audited with the row count."""
    organization = organization_for(request.auth, org_slug)
    jobs.authorize_import(request.auth, organization)
    target = unit_named(request.auth, organization, unit) if unit else None
    stream = jobs.export_to_stream(organization=organization, by=request.auth, format=format, unit=target)
    return FileResponse(stream, as_attachment=True, filename=jobs.export_file_name(organization, target, format))
