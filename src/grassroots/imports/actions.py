"""Importing and exporting the members of an organization, set-based, audited and scoped.

`import_members` reads a CSV or XLSX file in batches of checked rows (`reading`, `columns`,
`validation`, `batches`), decides what becomes of each row (`deciding`), writes each batch with
one statement per table (`writing`) and keeps its `ImportRun` up to date (`runs`). Rules it
enforces:

- The actor needs `import_export` over every unit a row names, and over the unit of every
  existing person a row would change (`authorize`); a row outside the scope is rejected.
- One current membership per person: a row matching someone who is a current member of another
  unit is rejected (transfers are a separate, deliberate action); in the same unit, `update`
  changes the status only along a transition the constitution allows.
- All or nothing by default: one transaction, rolled back when any row is rejected or anything
  fails. With `valid_rows`, each batch commits in its own transaction together with the progress
  of the `ImportRun`, so a killed import leaves whole batches and a record of how far it got; a
  re-run matches the committed people and creates no duplicates. A dry run decides every row and
  writes nothing.
- One audit record per import (who, file name, hash, counts; never personal values).

Scope holds on these indirect paths (`grassroots.access.indirect`): rows match, and recruiters
resolve to, only the people the actor may import and export; a row whose email or phone belongs
only to someone outside that scope creates a new person, exactly as an unknown one does (an
administrator finds the pair among the duplicates), and a recruiter outside it is "not found".
Rows name only the units the actor may see: any other unit is "no basic unit" like an unknown
one. No outcome, count or message differs between "outside the scope" and "does not exist".
"""

from __future__ import annotations

import datetime as dt
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from grassroots.access import Right, authorize, restrict
from grassroots.access.indirect import scope_condition
from grassroots.audit.actions import Actor, write_audit_record
from grassroots.constitution.gates import months_later
from grassroots.database import commits_without_waiting, refresh_statistics, vacuum_rewritten
from grassroots.errors import ActionRefused
from grassroots.organizations.models import PATH_END, Organization, Unit
from grassroots.people.models import Course, CourseCompletion, MemberCount, Membership, Person
from grassroots.people.normalize import normal_email

from .batches import read_batches
from .columns import IgnoredColumns, columns_of, load_mapping
from .dates import date_cells, decide_date_orders
from .deciding import ON_CONFLICT, ON_DUPLICATE, ImportResult, RowDecisions
from .errors_file import ErrorsFile
from .exporting import EXPORT_HEADER, export_rows, write_csv, write_xlsx
from .models import ImportRun
from .reading import data_rows, open_table
from .runs import RunRecord, owner_only
from .selectors import basic_units_for_import
from .validation import Rejection, RowValidator, ValidRow
from .writing import BulkStatements

BATCH_SIZE = 10_000
STATISTICS_AFTER_ROWS = 1_000  # an import this large refreshes the planner's statistics

Batch = tuple[int, Sequence[ValidRow], list[Rejection], float]  # (rows read, valid rows, rejections, fraction read)


@dataclass
class ImportProgress:
    """Where a running import is: rows read, fraction of the file read, batches committed."""

    rows_done: int
    fraction: float
    batches_committed: int


class _RolledBack(Exception):
    """Raised inside the all-or-nothing transaction to undo it when rows were rejected."""


class _MemberImport:
    """One run of `import_members`: its decisions, statements and run record, batch by batch."""

    def __init__(
        self, *, organization, by, decisions: RowDecisions, db: BulkStatements, record: RunRecord, progress, started
    ):
        self.organization, self.by, self.decisions, self.db, self.record = organization, by, decisions, db, record
        self.result = decisions.result
        self.dry_run = decisions.dry_run
        self.progress = progress
        self.fraction = 0.0
        self.started = started  # perf_counter() when the import began: the run's time counts the file's opening

    def batch(self, read: int, rows: Sequence[ValidRow], rejections: list[Rejection], fraction: float) -> None:
        """Decide and (unless a dry run) write one batch, with the run's progress around it."""
        self.fraction = fraction
        for rejection in rejections:
            self.decisions.reject(rejection)
        self.record.batch_started(read, fraction, self.result)
        matches = self.db.look_up(rows, self.organization.pk, reserve_ids=not self.dry_run)
        writes = self.decisions.decide(rows, matches)
        if not self.dry_run:
            self.db.write(writes, self.decisions.validator.today)
        self.result.rows = read
        self.record.batch_done(read, fraction, self.result)

    def report(self) -> None:
        """Tell the caller how far the import is (after the batch's commit, where it has one)."""
        if self.progress is not None:
            self.progress(ImportProgress(self.result.rows, self.fraction, self.record.batches_committed))

    def finish(self, state: str) -> None:
        self.result.state = state
        self.record.finish(self.result, self.by, self.organization, state, self.started)

    def each(self, batches: Iterable[Batch]) -> Iterator[Batch]:
        """The batches, then the last progress written (`RunRecord.read_all`)."""
        yield from batches
        self.record.read_all()

    # -- the three modes --------------------------------------------------------------------
    def check(self, batches: Iterable[Batch]) -> None:
        """Dry run: every row decided, nothing written (a job's run still records the outcome)."""
        for batch in self.each(batches):
            self.batch(*batch)
            self.report()
        self.decisions.finish_pending()
        self.finish(ImportRun.State.DONE)

    def valid_rows(self, batches: Iterable[Batch]) -> None:
        """Each batch in its own transaction: the valid rows are written, the rejected reported."""
        for batch in self.each(batches):
            with transaction.atomic():
                self.batch(*batch)
            self.record.committed(batch[0], self.result)
            self.report()
        self.decisions.finish_pending()
        self.result.written = True
        with transaction.atomic():
            self.finish(ImportRun.State.DONE)

    def all_or_nothing(self, batches: Iterable[Batch]) -> None:
        """One transaction, rolled back when any row is rejected."""
        try:
            with transaction.atomic():
                for batch in self.each(batches):
                    self.batch(*batch)
                    self.report()
                if self.result.rejected:
                    raise _RolledBack
                self.decisions.finish_pending()
                self.finish(ImportRun.State.DONE)
                self.result.written = True
        except _RolledBack:
            self.record.rolled_back()
            self.result.nothing_written()
            with transaction.atomic():
                self.finish(ImportRun.State.REJECTED)


def import_members(
    *,
    organization: Organization,
    path: str | Path,
    by: Actor,
    mapping: dict[str, str] | str | Path | None = None,
    dry_run: bool = False,
    valid_rows: bool = False,
    on_duplicate: str = "skip",
    on_conflict: str = "report",
    sheet: str | None = None,
    encoding: str | None = None,
    errors_path: str | Path | None = None,
    progress: Callable[[ImportProgress], None] | None = None,
    batch_size: int = BATCH_SIZE,
    today: dt.date | None = None,
    run: ImportRun | None = None,
) -> ImportResult:
    """Import the people of a member file into the organization's basic units (see the module for
    the rules). Raises `ImportFileError` or `MappingError` when the file cannot be read at all.

    `run` is a job's queued run (see `jobs`): the import records its progress, outcome and
    columns there, a dry run included; without it, a run is created unless it is a dry run.
    `encoding`: a CSV file's encoding, when the user knows it (default: decided on the whole file,
    `reading.file_encoding`, which refuses naming the candidates when it cannot tell)."""
    if on_duplicate not in ON_DUPLICATE:
        raise ValueError(f"on_duplicate: '{on_duplicate}' is not one of {', '.join(ON_DUPLICATE)}")
    if on_conflict not in ON_CONFLICT:
        raise ValueError(f"on_conflict: '{on_conflict}' is not one of {', '.join(ON_CONFLICT)}")
    started = time.perf_counter()
    path = Path(path)
    if mapping is not None and not isinstance(mapping, dict):
        mapping = load_mapping(mapping)
    table = open_table(path, sheet=sheet, encoding=encoding)
    columns = columns_of(table, mapping)
    region = organization.default_region or "GB"
    # A first pass over the date columns (each one's day/month order, decided over the whole file)
    # and the columns not imported (how many values each holds, to say what was left out).
    ignored = IgnoredColumns(columns)
    first_pass = ignored.counting(date_cells(path, table, columns, read_anyway=bool(ignored.indexes)))
    date_orders = decide_date_orders(first_pass, columns, region)
    deque(first_pass, maxlen=0)  # the rows no date column asked for
    constitution = organization.constitution
    validator = RowValidator(
        columns,
        region=region,
        statuses=constitution.statuses,
        initial_status=constitution.member_statuses.initial,
        units=basic_units_for_import(organization, by),
        today=today or timezone.localdate(),
        date_orders={name: order.month_first for name, order in date_orders.items()},
        header_width=len(table.header),
        sheet_cells=table.format == "xlsx",
        header_line=table.header_line,
    )
    read = table.what_was_read() | ({"dates": {n: o.as_json() for n, o in date_orders.items()}} if date_orders else {})
    if ignored_columns := ignored.as_json():
        read["ignored"] = ignored_columns
    options = {
        "dry_run": dry_run,
        "valid_rows": valid_rows,
        "on_duplicate": on_duplicate,
        "on_conflict": on_conflict,
        "mapping": bool(mapping),
    }
    record = RunRecord.start(
        run, organization=organization, by=by, path=path, options=options, columns=columns, read=read, dry_run=dry_run
    )
    db = BulkStatements(scope_condition(by, organization, Right.IMPORT_EXPORT, path_column="unit_path", id_column="id"))
    errors = ErrorsFile(errors_path, opener=owner_only) if errors_path else None
    decisions = RowDecisions(
        organization=organization,
        by=by,
        columns=columns,
        validator=validator,
        dry_run=dry_run,
        on_duplicate=on_duplicate,
        on_conflict=on_conflict,
        errors=errors,
        created_at=db.created_at,
    )
    member_import = _MemberImport(
        organization=organization,
        by=by,
        decisions=decisions,
        db=db,
        record=record,
        progress=progress,
        started=started,
    )
    result = member_import.result
    result.run_id = record.id
    result.read = read
    batches = read_batches(
        table, validator.validate, batch_size, reading=lambda read, fraction: record.reading(read, fraction, result)
    )
    db.tune()
    try:
        with commits_without_waiting():
            if dry_run:
                member_import.check(batches)
            elif valid_rows:
                member_import.valid_rows(batches)
            else:
                member_import.all_or_nothing(batches)
    except BaseException as error:
        if not isinstance(error, KeyboardInterrupt | SystemExit):
            record.failed(result, by, organization, started, error)
        raise
    finally:
        db.restore()
        if errors is not None:
            errors.write(lambda: data_rows(path, table), columns)
    if result.written and result.rows >= STATISTICS_AFTER_ROWS:
        # The planner's statistics no longer describe the tables: without fresh ones, SQLite
        # scopes a subtree by walking the whole organization.
        refresh_statistics(Person._meta.db_table, Membership._meta.db_table)
        vacuum_rewritten(MemberCount._meta.db_table)
    result.seconds = time.perf_counter() - started
    return result


def export_members(
    *, organization: Organization, by: Actor, path: str | Path, format: str = "csv", unit: Unit | None = None
) -> int:
    """Write the people the actor may import and export (of the organization, or of `unit`'s
    subtree) with their current membership to a CSV or XLSX file, streamed; audited with the row
    count. Returns the number of people written."""
    if format not in ("csv", "xlsx"):
        raise ValueError(f"format: '{format}' is not csv or xlsx")
    if unit is not None:
        authorize(by, Right.IMPORT_EXPORT, unit)
    people = restrict(Person.objects.all(), user=by, organization=organization, right=Right.IMPORT_EXPORT)
    people = people.filter(erased_at__isnull=True)
    if unit is not None:
        people = people.filter(unit_path__gte=unit.path, unit_path__lt=unit.path + PATH_END)
    with transaction.atomic():
        rows = export_rows(people, by)
        writer = write_xlsx if format == "xlsx" else write_csv
        count = writer(Path(path), EXPORT_HEADER, rows)
        write_audit_record(
            by=by,
            action="people.export",
            target=unit or organization,
            organization=organization,
            unit=unit,
            changes={"rows": [None, count], "format": [None, format]},
        )
    return count


# Course completions: exported and imported with the member files' reader and writers.
COMPLETION_HEADER = ("person_id", "name", "email", "course", "completed_on", "how", "expires_on")


def export_completions(
    *, organization: Organization, by: Actor, path: str | Path, format: str = "csv", unit: Unit | None = None
) -> int:
    """Write the course completions of the people the actor may import and export (of the
    organization, or of `unit`'s subtree) to a CSV or XLSX file with `COMPLETION_HEADER`, one row
    per completion; audited with the row count. Returns the number of rows written."""
    if format not in ("csv", "xlsx"):
        raise ValueError(f"format: '{format}' is not csv or xlsx")
    if unit is not None:
        authorize(by, Right.IMPORT_EXPORT, unit)
    people = restrict(Person.objects.all(), user=by, organization=organization, right=Right.IMPORT_EXPORT)
    people = people.filter(erased_at__isnull=True)
    if unit is not None:
        people = people.filter(unit_path__gte=unit.path, unit_path__lt=unit.path + PATH_END)
    completions = (
        CourseCompletion.objects.filter(person__in=people)
        .order_by("person_id", "course__code", "completed_on")
        .values_list("person_id", "person__name", "person__email", "course__code", "completed_on", "how", "expires_on")
    )
    rows = (
        (str(pk), name, email, code, day.isoformat(), how, expires.isoformat() if expires else "")
        for pk, name, email, code, day, how, expires in completions.iterator(chunk_size=5000)
    )
    with transaction.atomic():
        writer = write_xlsx if format == "xlsx" else write_csv
        count = writer(Path(path), COMPLETION_HEADER, rows)
        write_audit_record(
            by=by,
            action="completions.export",
            target=unit or organization,
            organization=organization,
            unit=unit,
            changes={"rows": [None, count], "format": [None, format]},
        )
    return count


@dataclass
class CompletionsImported:
    """What an import of completions did: rows created, every rejected row, whether it wrote."""

    created: int
    rejections: list[Rejection]
    written: bool


def import_completions(
    *, organization: Organization, by: Actor, path: str | Path, valid_rows: bool = False
) -> CompletionsImported:
    """Import course completions from a CSV or XLSX file: a person (`person_id`, or else an
    `email` that names exactly one person), a `course` code, `completed_on` (YYYY-MM-DD, not in
    the future) and optionally `how` (default imported); the expiry follows the course's validity.
    Only people the actor may import and export are found (anyone else reads as unknown). Every
    rejected row is reported with its line, column and reason; all or nothing unless
    `valid_rows`. One audit record with the counts. Raises `ImportFileError` for an unreadable
    file and `ActionRefused` naming the missing columns."""
    table = open_table(path)
    header = [cell.strip().lower() for cell in table.header]
    missing = [name for name in ("course", "completed_on") if name not in header]
    if "person_id" not in header and "email" not in header:
        missing.insert(0, "person_id or email")
    if missing:
        raise ActionRefused(f"{Path(path).name}: no column {', '.join(missing)}", field="file")
    rows = [(line, dict(zip(header, (cell.strip() for cell in cells), strict=False))) for line, cells in table.rows]
    rows = [(line, row) for line, row in rows if any(row.values())]
    people = restrict(Person.objects.all(), user=by, organization=organization, right=Right.IMPORT_EXPORT).filter(
        erased_at__isnull=True
    )
    ids = {row.get("person_id", "") for _line, row in rows}
    emails = {normal_email(row.get("email", "")) for _line, row in rows} - {""}
    by_id = {str(pk): pk for pk in people.filter(pk__in=[i for i in ids if i.isdigit()]).values_list("pk", flat=True)}
    by_email: dict[str, list[int]] = {}
    for pk, email in people.filter(email__in=sorted(emails)).values_list("pk", "email"):
        by_email.setdefault(email, []).append(pk)
    courses = {course.code: course for course in Course.objects.filter(organization=organization)}
    known = set(
        CourseCompletion.objects.filter(course__organization=organization, person__in=people).values_list(
            "person_id", "course__code", "completed_on"
        )
    )
    today = timezone.localdate()
    rejections: list[Rejection] = []
    new: list[CourseCompletion] = []
    for line, row in rows:
        person_id, column, value = None, "person_id", row.get("person_id", "")
        if value:
            person_id = by_id.get(value)
        else:
            column, value = "email", row.get("email", "")
            matches = by_email.get(normal_email(value), [])
            person_id = matches[0] if len(matches) == 1 else None
            if len(matches) > 1:
                rejections.append(Rejection(line, column, value, "more than one person has this email: give person_id"))
                continue
        if person_id is None:
            rejections.append(Rejection(line, column, value, "no such person among those you may import"))
            continue
        course = courses.get(row.get("course", ""))
        if course is None:
            rejections.append(Rejection(line, "course", row.get("course", ""), "no course with this code"))
            continue
        try:
            day = dt.date.fromisoformat(row.get("completed_on", ""))
        except ValueError:
            rejections.append(Rejection(line, "completed_on", row.get("completed_on", ""), "not a date (YYYY-MM-DD)"))
            continue
        if day > today:
            rejections.append(Rejection(line, "completed_on", day.isoformat(), "in the future"))
            continue
        how = row.get("how") or CourseCompletion.How.IMPORTED
        if how not in CourseCompletion.How.values:
            reason = f"one of {', '.join(CourseCompletion.How.values)}"
            rejections.append(Rejection(line, "how", how, reason))
            continue
        if (person_id, course.code, day) in known:
            rejections.append(Rejection(line, "completed_on", day.isoformat(), f"already completed {course.code} then"))
            continue
        known.add((person_id, course.code, day))
        expires = months_later(day, course.valid_months) if course.valid_months else None
        new.append(CourseCompletion(person_id=person_id, course=course, completed_on=day, how=how, expires_on=expires))
    write = not rejections or valid_rows
    with transaction.atomic():
        if write:
            CourseCompletion.objects.bulk_create(new, batch_size=1000)
        write_audit_record(
            by=by,
            action="completions.import",
            target=organization,
            organization=organization,
            changes={
                "file": [None, Path(path).name],
                "created": [None, len(new) if write else 0],
                "rejected": [None, len(rejections)],
            },
        )
    return CompletionsImported(created=len(new) if write else 0, rejections=rejections, written=write)
