"""An attendance sheet as a file (CSV or XLSX), read by the import machinery's reader (encoding,
delimiter, title rows above the header, limits) and recorded by `actions.record_sheet`.

Apart from `meetings.actions` because the founding of a unit (organizations) records its
founding meeting through those actions, and organizations never reach the imports.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.text import get_valid_filename

from grassroots.access import Right, authorize, restrict
from grassroots.audit.actions import Actor
from grassroots.errors import ActionRefused
from grassroots.ids import is_row_id
from grassroots.imports.columns import ALIASES, header_key
from grassroots.imports.errors_file import describe
from grassroots.imports.reading import ImportFileError, open_table
from grassroots.imports.runs import owner_only
from grassroots.imports.validation import Rejection
from grassroots.people.models import Person
from grassroots.people.normalize import normal_email

from .actions import record_sheet
from .actions.meetings import check_status_and_method, outside_the_unit
from .models import Attendance, Meeting

# A sheet is one meeting's attendance: a file longer than this is not one.
SHEET_MAX_ROWS = 5000
# Refusals list this many rows; the count says how many more there are.
SHOWN_REJECTIONS = 20
ID_HEADERS = ("id", "person", "person_id", "number", "member_id")
STATUS_HEADERS = ("status", "attendance", "attended")


@dataclass(frozen=True)
class SheetResult:
    """What a sheet file recorded: the rows changed, and the rows read."""

    changed: list[Attendance]
    rows: int


def _sheet_columns(header: list[str]) -> tuple[int | None, int | None, int | None]:
    keys = [header_key(cell) for cell in header]

    def first(names: Sequence[str]) -> int | None:
        return next((i for i, key in enumerate(keys) if key in names), None)

    return first(ID_HEADERS), first(ALIASES["email"]), first(STATUS_HEADERS)


def _file_refused(error: ImportFileError) -> ActionRefused:
    return ActionRefused(f"file: {error}", field="file")


def import_attendance(
    *, meeting: Meeting, path: str | Path, by: Actor, method: str = Attendance.Method.IMPORT
) -> SheetResult:
    """An attendance sheet from a CSV or XLSX file, read as member files are (encoding, delimiter
    and header row found by `imports.reading`): a column naming each person by number (`id`,
    `person`) or `email`, and an optional `status` (present when empty). Every row is checked
    before anything is written: a row naming nobody the actor may see, someone outside the
    meeting's unit, a status not known or a person twice refuses the whole sheet, each problem
    with its line. All rows recorded in one transaction otherwise."""
    check_status_and_method(Attendance.Status.PRESENT, method)
    authorize(by, Right.MANAGE_UNITS, meeting.unit)
    try:
        table = open_table(path)
        id_column, email_column, status_column = _sheet_columns(table.header)
        if id_column is None and email_column is None:
            raise ActionRefused("file: no column names the person (give an 'id' or an 'email' column)", field="file")
        rows: list[tuple[int, list[str]]] = []
        for line, cells in table.rows:
            if len(rows) >= SHEET_MAX_ROWS:
                raise ActionRefused(f"file: more than {SHEET_MAX_ROWS} rows; a sheet is one meeting's", field="file")
            rows.append((line, cells))
    except ImportFileError as error:
        raise _file_refused(error) from None

    def cell(cells: list[str], column: int | None) -> str:
        return cells[column].strip() if column is not None and column < len(cells) else ""

    organization = meeting.unit.organization
    ids = {int(v) for _line, cells in rows if is_row_id(v := cell(cells, id_column))}
    emails = {normal_email(v) for _line, cells in rows if (v := cell(cells, email_column))}
    seen = restrict(Person.objects.all(), user=by, organization=organization)
    by_id = {person.pk: person for person in seen.filter(pk__in=ids)} if ids else {}
    by_email: dict[str, Person | None] = {}
    for sharing in seen.filter(email__in=emails) if emails else []:
        by_email[sharing.email] = (
            None if sharing.email in by_email else sharing
        )  # an email two people share names nobody
    found = list({p.pk: p for p in [*by_id.values(), *(p for p in by_email.values() if p)]}.values())
    outsiders = {person.pk for person in outside_the_unit(meeting, found)}

    rejections: list[Rejection] = []
    marks: list[tuple[Person, str]] = []
    first_line: dict[int, int] = {}
    for line, cells in rows:
        ref, email = cell(cells, id_column), cell(cells, email_column)
        status = cell(cells, status_column).lower() or Attendance.Status.PRESENT
        person: Person | None = None
        if ref:
            person = by_id.get(int(ref)) if is_row_id(ref) else None
            if person is None:
                rejections.append(Rejection(line, "id", ref, "no such person you may see"))
                continue
        elif email:
            person = by_email.get(normal_email(email))
            if person is None:
                reason = "two people share it" if normal_email(email) in by_email else "no such person you may see"
                rejections.append(Rejection(line, "email", email, reason))
                continue
        else:
            rejections.append(Rejection(line, "id" if id_column is not None else "email", "", "names nobody"))
            continue
        if person.pk in outsiders:
            reason = f"neither on this meeting's list nor a member of {meeting.unit.name}"
            rejections.append(Rejection(line, "id" if ref else "email", ref or email, reason))
            continue
        if status not in Attendance.Status.values:
            reason = f"not one of {', '.join(Attendance.Status.values)}"
            rejections.append(Rejection(line, "status", status, reason))
            continue
        if person.pk in first_line:
            reason = f"the same person as line {first_line[person.pk]}"
            rejections.append(Rejection(line, "id" if ref else "email", ref or email, reason))
            continue
        first_line[person.pk] = line
        marks.append((person, status))
    if rejections:
        shown = [f"line {r.line}: {describe(r)}" for r in rejections[:SHOWN_REJECTIONS]]
        if len(rejections) > SHOWN_REJECTIONS:
            shown.append(f"and {len(rejections) - SHOWN_REJECTIONS} more rows")
        raise ActionRefused(f"file: {len(rejections)} row(s) refused, nothing recorded", reasons=shown, field="file")
    changed = record_sheet(meeting=meeting, marks=marks, by=by, method=method)
    return SheetResult(changed=changed, rows=len(rows))


def import_attendance_upload(*, meeting: Meeting, upload: UploadedFile, by: Actor) -> SheetResult:
    """`import_attendance` of an uploaded sheet: kept in a private folder under the imports folder
    (it holds personal data) while it is read, and removed at once."""
    folder = Path(settings.IMPORTS_DIR)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = get_valid_filename(Path(upload.name or "sheet.csv").name)[:100] or "sheet.csv"
    with tempfile.TemporaryDirectory(dir=folder) as private:
        path = Path(private) / name
        with open(path, "xb", opener=owner_only) as stored:
            for chunk in upload.chunks():
                stored.write(chunk)
        return import_attendance(meeting=meeting, path=path, by=by)
