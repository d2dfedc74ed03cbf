"""Member imports as background jobs, for the web pages and the API.

An uploaded file is stored under the data directory's imports folder and checked at once
(format, size, columns), then every run of it is an `ImportRun` queued as a job: first a check
(a dry run giving the validation summary and the errors file), then, when the user confirms,
the import itself. Workers (`grassroots worker`, Django's tasks framework with the database
backend: SQLite, or PostgreSQL with as many workers as wanted) run `run_import`, which calls the
same `import_members` action as the command line, with the rights of whoever asked, as they are
when it runs.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.text import get_valid_filename
from django_tasks import task

from grassroots.access import OutOfScope, Right, grants_for, is_operator
from grassroots.audit.actions import actor_label, write_audit_record
from grassroots.organizations.models import Organization

from .actions import export_members, import_members
from .columns import FIELDS, IGNORE, MappingError, columns_of, map_columns, recognise_columns
from .deciding import ON_CONFLICT, ON_DUPLICATE
from .models import ImportRun
from .reading import ImportFileError, configured_max_bytes, human_size, open_table
from .runs import close_interrupted_runs, file_sha256, owner_only
from .validation import plain

PREVIEW_ROWS = 5


def imports_dir() -> Path:
    return Path(settings.IMPORTS_DIR)


def private_folder(path: Path) -> Path:
    """Create `path` and the folders above it, up from the imports folder, readable by the
    owner only (0700): the files in them hold personal data."""
    root = imports_dir()
    for folder in [*reversed(path.relative_to(root).parents), path.relative_to(root)]:
        target = root / folder
        target.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(target, 0o700)
    return path


def prune_import_files(*, days: int | None = None, now: float | None = None) -> int:
    """Remove the uploaded member files and errors files older than the retention period
    (`GRASSROOTS_IMPORT_RETENTION_DAYS`), and their emptied folders; the files of a queued or
    running import stay. Run by every import job and by `grassroots import prune`. Returns how
    many files went."""
    days = settings.GRASSROOTS_IMPORT_RETENTION_DAYS if days is None else days
    cutoff = (time.time() if now is None else now) - days * 86400
    busy = ImportRun.objects.filter(state__in=(ImportRun.State.QUEUED, ImportRun.State.RUNNING))
    kept = {name for pair in busy.values_list("stored_file", "errors_file") for name in pair if name}
    removed = 0
    root = imports_dir()
    for folder in ("uploads", "errors"):
        # Ages first (removing a file makes its folder look new), then deepest first, so that a
        # folder is looked at after the files in it.
        old = [path for path in (root / folder).rglob("*") if _modified(path) < cutoff]
        for path in sorted(old, key=lambda path: len(path.parts), reverse=True):
            if path.is_dir():
                with contextlib.suppress(OSError):
                    path.rmdir()  # only when empty
            elif str(path.relative_to(root)) not in kept:
                path.unlink(missing_ok=True)
                removed += 1
    return removed


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # removed meanwhile
        return float("inf")


def stored_path(run: ImportRun) -> Path:
    return imports_dir() / run.stored_file


def errors_path(run: ImportRun) -> Path | None:
    return imports_dir() / run.errors_file if run.errors_file else None


def finished_errors_path(run: ImportRun) -> Path:
    """The errors file of a finished run, for download; 404 before the run ends or without one."""
    path = errors_path(run)
    if run.state not in ImportRun.FINISHED or path is None or not path.exists():
        raise Http404("this import has no errors file")
    return path


def authorize_import(by, organization: Organization) -> None:
    """Refuse (403) anyone who may import into no unit of the organization."""
    if is_operator(by):
        return
    grants = grants_for(by, organization.pk)
    if not (grants.everything or grants.paths(Right.IMPORT_EXPORT)):
        raise OutOfScope(f"you may not import members into {organization.name}", organization=organization)


def check_options(on_duplicate: str, mapping: dict[str, str] | None, on_conflict: str = "report") -> None:
    if on_duplicate not in ON_DUPLICATE:
        raise MappingError(f"on_duplicate: '{on_duplicate}' is not one of {', '.join(ON_DUPLICATE)}")
    if on_conflict not in ON_CONFLICT:
        raise MappingError(f"on_conflict: '{on_conflict}' is not one of {', '.join(ON_CONFLICT)}")
    for header, name in (mapping or {}).items():
        if name not in FIELDS and name != IGNORE:
            raise MappingError(f"column '{header}': '{name}' is not a field ({', '.join(FIELDS)} or ignore)")


def stage_import(
    *,
    organization: Organization,
    upload: UploadedFile,
    by,
    on_duplicate: str = "skip",
    valid_rows: bool = False,
    mapping: dict[str, str] | None = None,
    dry_run: bool = True,
    on_conflict: str = "report",
    sheet: str = "",
    encoding: str = "",
) -> ImportRun:
    """Store an uploaded member file, check that it can be read and mapped, and queue its first
    run (a check by default); `sheet` names the sheet of a workbook to read, `encoding` the encoding
    of a CSV file (default: decided on the whole file). Raises
    `ImportFileError` or `MappingError` with a message for the user, keeping nothing, when the file
    or the options cannot be used."""
    authorize_import(by, organization)
    check_options(on_duplicate, mapping, on_conflict)
    name = get_valid_filename(Path(upload.name or "members.csv").name)[:100] or "members.csv"
    limit = configured_max_bytes()
    if upload.size is not None and upload.size > limit:
        raise ImportFileError(f"{name} is {human_size(upload.size)}, over the limit of {human_size(limit)}")
    relative = Path("uploads") / secrets.token_hex(16) / name
    path = imports_dir() / relative
    private_folder(path.parent)
    try:
        with open(path, "xb", opener=owner_only) as stored:
            for chunk in upload.chunks():
                stored.write(chunk)
        table = open_table(path, sheet=sheet or None, encoding=encoding or None)  # refuses unreadable files at once
        try:
            columns = columns_of(table, mapping)
        except MappingError:
            if not dry_run:
                raise
            # A check goes ahead: it reports the missing column, and its page offers the mapping.
            columns = recognise_columns(table.header, mapping)
    except (ImportFileError, MappingError):
        _discard(path)
        raise
    run = ImportRun(
        organization=organization,
        file_name=name,
        sha256=file_sha256(path),
        stored_file=str(relative),
        read=table.what_was_read(),  # the file's shape; the import adds the date columns' orders
    )
    options = {"valid_rows": valid_rows, "on_duplicate": on_duplicate, "on_conflict": on_conflict}
    return _queue(run, by=by, columns=columns, dry_run=dry_run, sheet=table.sheet, encoding=encoding, **options)


def rerun_import(
    run: ImportRun,
    *,
    by,
    dry_run: bool,
    valid_rows: bool,
    on_duplicate: str,
    mapping: dict[str, str] | None = None,
    on_conflict: str = "report",
) -> ImportRun:
    """Queue another run of a stored file: the import after its check, or a check with another
    mapping. Refused (409 with the reason) once the file is gone."""
    from grassroots.errors import ActionRefused

    authorize_import(by, run.organization)
    check_options(on_duplicate, mapping, on_conflict)
    if not run.stored_file or not stored_path(run).exists():
        raise ActionRefused("the uploaded file is no longer kept (it is removed once imported); upload it again")
    sheet, encoding = run.options.get("sheet", ""), run.options.get("encoding", "")
    table = open_table(stored_path(run), sheet=sheet or None, encoding=encoding or None)
    columns = (map_columns if not dry_run else recognise_columns)(table.header, mapping or dict(run.columns))
    again = ImportRun(
        organization=run.organization,
        file_name=run.file_name,
        sha256=run.sha256,
        stored_file=run.stored_file,
        read=run.read or table.what_was_read(),
    )
    options = {"valid_rows": valid_rows, "on_duplicate": on_duplicate, "on_conflict": on_conflict}
    return _queue(again, by=by, columns=columns, dry_run=dry_run, sheet=sheet, encoding=encoding, **options)


def _queue(
    run: ImportRun,
    *,
    by,
    columns,
    dry_run: bool,
    valid_rows: bool,
    on_duplicate: str,
    on_conflict: str,
    sheet: str = "",
    encoding: str = "",
) -> ImportRun:
    """Save the run (of a stored file) and its job in one transaction, with the audit record of
    who asked for it; the job acts as them."""
    run.actor_label = actor_label(by)[:200]
    run.requested_by = by if getattr(by, "pk", None) else None
    run.columns = columns.as_pairs()
    run.dry_run = dry_run
    run.state = ImportRun.State.QUEUED
    run.options = {
        "dry_run": dry_run,
        "valid_rows": valid_rows,
        "on_duplicate": on_duplicate,
        "on_conflict": on_conflict,
        "mapping": True,
        "sheet": sheet,  # a workbook's sheet, chosen or found when the file was uploaded
        "encoding": encoding,  # a CSV file's encoding as the user gave it ("": decided on the file)
    }
    run.started_at = timezone.now()
    with transaction.atomic():
        run.save()
        run.errors_file = str(Path("errors") / f"{run.pk}.csv")
        run.save(update_fields=["errors_file"])
        run_import.enqueue(run.pk)  # the job row commits with the run, or neither does
        write_audit_record(
            by=by,
            action="people.import.queued",
            target=run,
            organization=run.organization,
            changes={
                "file": [None, run.file_name],
                "sha256": [None, run.sha256],
                "check": [None, dry_run],
                "valid_rows": [None, valid_rows],
                "on_duplicate": [None, on_duplicate],
                "on_conflict": [None, on_conflict],
            },
        )
    return run


def _discard(path: Path) -> None:
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        path.parent.rmdir()


@task()
def run_import(run_id: int) -> str:
    """The job: run one queued import (or check) with the rights of whoever asked for it."""
    close_interrupted_runs()
    prune_import_files()
    run = ImportRun.objects.select_related("organization", "requested_by").filter(pk=run_id).first()
    if run is None or run.state != ImportRun.State.QUEUED:
        return run.state if run else "gone"  # run already (a job is claimed by one worker only)
    if run.requested_by is None:
        return _fail(run, "the account that asked for this import no longer exists")
    options = run.options
    errors = errors_path(run)
    private_folder(errors.parent)
    try:
        import_members(
            organization=run.organization,
            path=stored_path(run),
            by=run.requested_by,
            mapping=dict(run.columns) or None,
            dry_run=run.dry_run,
            valid_rows=options.get("valid_rows", False),
            on_duplicate=options.get("on_duplicate", "skip"),
            on_conflict=options.get("on_conflict", "report"),
            sheet=options.get("sheet") or None,
            encoding=options.get("encoding") or None,
            errors_path=errors,
            run=run,
        )
    except (ImportFileError, MappingError) as error:  # the file changed on disk, or went away
        return _fail(run, str(error))
    run.refresh_from_db()
    if not run.dry_run and run.state == ImportRun.State.DONE:
        # Imported: the uploaded file (personal data) is not kept; the errors file stays.
        _discard(stored_path(run))
    return run.state


def _fail(run: ImportRun, message: str) -> str:
    ImportRun.objects.filter(pk=run.pk, state=ImportRun.State.QUEUED).update(
        state=ImportRun.State.FAILED, error=message[:2000], finished_at=timezone.now()
    )
    return ImportRun.State.FAILED


def export_to_stream(*, organization: Organization, by, format: str, unit=None) -> BinaryIO:
    """`export_members` into a temporary file under the imports folder (constant memory), returned
    open for reading and already unlinked: the data lives until the stream is closed."""
    imports_dir().mkdir(parents=True, exist_ok=True)
    spool = tempfile.NamedTemporaryFile(suffix=f".{format}", dir=imports_dir(), delete=False)  # noqa: SIM115
    spool.close()
    try:
        export_members(organization=organization, by=by, path=spool.name, format=format, unit=unit)
        return open(spool.name, "rb")  # noqa: SIM115 -- the response closes it
    finally:
        os.unlink(spool.name)


def export_file_name(organization: Organization, unit, format: str) -> str:
    day = timezone.localdate().isoformat()
    return f"{organization.slug}-{unit.slug + '-' if unit else ''}members-{day}.{format}"


def preview_rows(run: ImportRun, limit: int = PREVIEW_ROWS) -> list[tuple[int, list[str]]]:
    """The first rows of the stored file, as read (for the preview of the mapped columns)."""
    if not run.stored_file or not stored_path(run).exists():
        return []
    try:
        table = open_table(
            stored_path(run), sheet=run.options.get("sheet") or None, encoding=run.options.get("encoding") or None
        )
    except ImportFileError:
        return []
    rows = []
    for line, cells in table.rows:
        rows.append((line, cells))
        if len(rows) == limit:
            break
    return rows


def first_errors(run: ImportRun, limit: int = 20) -> list[tuple[str, str]]:
    """The first rejected or noted rows of a finished run's errors file: (line, every problem of
    the row, each naming its column)."""
    import csv

    path = errors_path(run)
    if path is None or not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as stream:
        reader = csv.reader(stream)
        next(reader, None)
        return [(row[0], plain(row[1])) for _, row in zip(range(limit), reader, strict=False) if len(row) > 1]
