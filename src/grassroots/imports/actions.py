"""Importing and exporting the members of an organization, set-based, audited and scoped.

`import_members` reads a CSV or XLSX file (see `reading`), maps its columns (`columns`), checks
each row (`validation`), de-duplicates against the file and the database by normalized email,
then phone, and writes whole batches with one statement per table (executemany on SQLite, COPY
on PostgreSQL). Rules it enforces:

- The actor needs `import_export` over every unit a row names, and over the unit of every
  existing person a row would change (`authorize`); a row outside the scope is rejected.
- One current membership per person: a row matching someone who is a current member of another
  unit is rejected (transfers are a separate, deliberate action); in the same unit, `update`
  changes the status only along a transition the constitution allows.
- All or nothing by default: one transaction, rolled back when any row is rejected or anything
  fails. With `valid_rows`, each batch commits in its own transaction together with the progress
  of the `ImportRun`, so a killed import leaves whole batches and a record of how far it got; a
  re-run matches the committed people and creates no duplicates.
- One audit record per import (who, file name, hash, counts; never personal values). A killed
  import cannot write its own: `close_interrupted_runs` (run when a worker or a command-line
  import starts) marks it interrupted and writes it, with the counts of the committed batches.
- Speed: a file over `PIPELINE_MIN_BYTES` is read and validated by a forked child process while
  this one de-duplicates and writes the previous batch.

Recruiters are matched by email or phone among the people of the file (in any order) and of the
database; a recruiter found nowhere is left empty and noted in the errors file (the row is kept).

Scope holds on these indirect paths (`grassroots.access.indirect`): rows match, and recruiters
resolve to, only the people the actor may import and export; a row whose email or phone belongs
only to someone outside that scope creates a new person, exactly as an unknown one does (an
administrator finds the pair among the duplicates), and a recruiter outside it is "not found".
Rows name only the units the actor may see: any other unit is "no basic unit" like an unknown
one. No outcome, count or message differs between "outside the scope" and "does not exist".
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import multiprocessing
import os
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from grassroots.access import OutOfScope, Right, authorize, is_operator, restrict
from grassroots.access.indirect import scope_condition, visible_person
from grassroots.audit.actions import Actor, actor_label, write_audit_record
from grassroots.database import refresh_statistics
from grassroots.organizations.models import PATH_END, Organization, Unit, UnitState
from grassroots.people.counts import count_changes, count_status_changes
from grassroots.people.models import Membership, Person, StatusChange
from grassroots.people.normalize import names_agree, search_keys

from .columns import ColumnMap, MappingError, load_mapping, map_columns
from .models import ImportRun
from .progress import clear_progress, write_progress
from .reading import ImportFileError, Table, open_table
from .validation import Rejection, RowValidator, UnitRef, ValidRow

BATCH_SIZE = 10_000
STATISTICS_AFTER_ROWS = 1_000  # an import this large refreshes the planner's statistics
# Files at least this large are read and validated in a child process while this one writes.
PIPELINE_MIN_BYTES = 2 * 1024 * 1024
ON_DUPLICATE = ("skip", "update", "fill-empty")
# A row whose email or phone matches a known person whose name disagrees: reported, or created.
ON_CONFLICT = ("report", "create")
OUTCOMES = ("created", "updated", "unchanged", "skipped", "conflicts", "rejected")  # what becomes of a row
OPEN_STATES = (UnitState.PREPARING, UnitState.FOUNDED)
EMAIL, PHONE, RECRUITER = (ValidRow._fields.index(name) for name in ("email", "phone", "recruiter"))


@dataclass
class ImportProgress:
    """Where a running import is: rows read, fraction of the file read, batches committed."""

    rows_done: int
    fraction: float
    batches_committed: int


@dataclass
class ImportResult:
    """The outcome of an import: counts per outcome, the rejections (the first 1,000 kept here, all
    of them in the errors file), and whether anything was written."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    conflicts: int = 0
    rejected: int = 0
    rows: int = 0
    seconds: float = 0.0
    state: str = ImportRun.State.RUNNING
    written: bool = False
    run_id: int | None = None
    rejections: list[Rejection] = field(default_factory=list)
    notes: list[Rejection] = field(default_factory=list)
    read: dict[str, Any] = field(default_factory=dict)  # what was decided about the file (`Table.what_was_read`)

    def as_json(self) -> dict[str, Any]:
        names = (*OUTCOMES, "rows")
        counts = {name: getattr(self, name) for name in names}
        return counts | {"seconds": round(self.seconds, 3), "read": self.read}


class _RolledBack(Exception):
    """Raised inside the all-or-nothing transaction to undo it when rows were rejected."""


class _KnownPerson:
    """A person already known (in the database, or earlier in the file: `line` says where)."""

    __slots__ = ("id", "name", "email", "phone", "address", "unit_path", "recruiter_id", "membership", "line")

    def __init__(self, id, name, email, phone, address, unit_path, recruiter_id, membership=None, line=0):
        self.id, self.name, self.email, self.phone, self.address = id, name, email, phone, address
        self.unit_path, self.recruiter_id, self.membership, self.line = unit_path, recruiter_id, membership, line


def owner_only(path, flags: int) -> int:
    """An `open` opener: the file is readable and writable by its owner only (0600), since it
    holds personal data (an errors file repeats the rejected rows' values)."""
    descriptor = os.open(path, flags, 0o600)
    os.fchmod(descriptor, 0o600)
    return descriptor


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def basic_units_for_import(organization: Organization, by: Actor | None = None) -> dict[str, UnitRef]:
    """Every way a row may name a unit (slug, name, path, case-insensitively) from one query.

    Units people cannot join (committees, planned or closed units) are there with the reason.
    Given the actor, only the units they may see are there: a row naming any other unit reads
    exactly as one naming a unit that does not exist.
    """
    constitution = organization.constitution
    basic = set(constitution.basic_kinds)
    refs: dict[str, UnitRef] = {}
    units = Unit.objects.filter(organization=organization)
    if by is not None:
        units = restrict(units, user=by, organization=organization, right=Right.VIEW_UNITS)
    rows = units.values_list("id", "path", "name", "slug", "kind", "state")
    for pk, path, name, slug, kind, state in rows.iterator(chunk_size=5000):
        refusal = ""
        if kind not in basic:
            refusal = f"{name} is a {constitution.kind(kind).label.lower()}; people are members of basic units"
        elif state not in OPEN_STATES:
            refusal = f"{name} is {state}; people join units that are preparing or founded"
        ref = UnitRef(pk, path, name, refusal)
        for key in (name.casefold(), slug.casefold(), path, name, slug):
            current = refs.get(key)
            if current is None or (current.refusal and not refusal):
                refs[key] = ref
    return refs


class _Database:
    """The set-based statements of an import, for the connection's vendor."""

    PERSON_COLUMNS = (
        "id",
        "organization_id",
        "name",
        "email",
        "phone",
        "address",
        "search_key",
        "family_key",
        "unit_path",
        "recruiter_id",
        "created_at",
    )
    MEMBERSHIP_COLUMNS = ("person_id", "unit_id", "status", "start", "end")
    SQLITE_PRAGMAS = {
        # The default 2 MB page cache makes every insert into the email, name and phone indexes of
        # a large table read pages again; 64 MB keeps them.
        "cache_size": -65536,
        # A checkpoint each 40 MB of log rather than each 4 MB: every checkpoint copies again the
        # index pages each batch touches; at a million rows they took a quarter of the import.
        "wal_autocheckpoint": 10_000,
    }

    def __init__(self, scope: tuple[str, list] | None = None):
        """`scope`: the condition (on the person table's columns) that keeps the people the actor
        may match (see `access.indirect.scope_condition`); None for the whole organization."""
        self.postgres = connection.vendor == "postgresql"
        # Adapted once for the whole import: the statements take it as it is.
        self.created_at = connection.ops.adapt_datetimefield_value(timezone.now())
        quote = connection.ops.quote_name
        self.person_table = person = Person._meta.db_table
        self.membership_table = membership = Membership._meta.db_table
        current = f"{quote('end')} IS NULL"
        # The organization's people in scope whose email (or phone) is one of a list; see
        # `select_in`, given `people_params` first.
        condition, scope_params = scope or ("", [])
        self.people_params = scope_params
        self.people_by = {
            column: f"SELECT id, name, email, phone, address, unit_path, recruiter_id FROM {person} "
            f"WHERE organization_id = %s AND erased_at IS NULL AND {condition + ' AND ' if condition else ''}{column}"
            for column in ("email", "phone")
        }
        self.current_memberships = f"SELECT person_id, unit_id, status FROM {membership} WHERE {current} AND person_id"
        current = f"person_id = %s AND {current}"  # a person's one current membership
        self.update_person = (
            f"UPDATE {person} SET name = %s, email = %s, phone = %s, address = %s, search_key = %s, family_key = %s, "
            "unit_path = %s, recruiter_id = %s WHERE id = %s"
        )
        self.record_status = (
            f"INSERT INTO {StatusChange._meta.db_table} (membership_id, {quote('on')}, old, new) "
            f"SELECT id, %s, %s, %s FROM {membership} WHERE {current}"
        )
        self.update_status = f"UPDATE {membership} SET status = %s WHERE {current}"
        self.link_recruiter = f"UPDATE {person} SET recruiter_id = %s WHERE id = %s"
        self.types: dict[str, dict[str, int]] = {}  # PostgreSQL: table -> column -> type
        self.pragmas: dict[str, int] = {}  # SQLite: the connection's own settings while tuned

    def tune(self) -> None:
        """SQLite: set the connection up for the import (`SQLITE_PRAGMAS`) until `restore`."""
        if self.postgres:
            return
        with connection.cursor() as cursor:
            for pragma, value in self.SQLITE_PRAGMAS.items():
                cursor.execute(f"PRAGMA {pragma}")
                self.pragmas.setdefault(pragma, cursor.fetchone()[0])
                cursor.execute(f"PRAGMA {pragma} = {value}")

    def restore(self) -> None:
        """Give the connection back its own settings (a worker goes on using it)."""
        with connection.cursor() as cursor:
            for pragma, value in self.pragmas.items():
                cursor.execute(f"PRAGMA {pragma} = {value}")
        self.pragmas.clear()

    def reserve_person_ids(self, count: int) -> list[int]:
        """`count` new person ids from the table's own counter: no other writer gets them, whether
        or not the import uses them all (the unused ones are gaps, as a rolled-back insert leaves)."""
        table = self.person_table
        with connection.cursor() as cursor:
            if self.postgres:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
                )
                return [pk for (pk,) in cursor.fetchall()]
            # SQLite: the AUTOINCREMENT counter, moved past the ids handed out. The transaction
            # holds the write lock (transaction_mode IMMEDIATE) until the move commits.
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) SELECT %s, 0 "
                "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = %s)",
                [table, table],
            )
            cursor.execute(
                f"UPDATE sqlite_sequence SET seq = MAX(seq, (SELECT COALESCE(MAX(id), 0) FROM {table})) + %s "
                "WHERE name = %s",
                [count, table],
            )
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            last = cursor.fetchone()[0]
            return list(range(last - count + 1, last + 1))

    def insert_people(self, rows: list[tuple]) -> None:
        """Insert people given as `PERSON_COLUMNS` (`created_at` is this import's `created_at`)."""
        self.insert(self.person_table, self.PERSON_COLUMNS, rows)

    def insert_memberships(self, rows: list[tuple]) -> None:
        """Insert memberships given as (person_id, unit_id, status, start, end): end None while current."""
        self.insert(self.membership_table, self.MEMBERSHIP_COLUMNS, rows)

    def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        names = ", ".join(map(connection.ops.quote_name, columns))
        with connection.cursor() as cursor:
            if self.postgres:
                types = self.column_types(table, columns)
                # Binary: a third less work than text to format here and to parse in the server.
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types(types)
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)

    def column_types(self, table: str, columns: tuple[str, ...]) -> list[int]:
        """PostgreSQL: the type of each column (as the catalogue says), for a binary COPY."""
        if table not in self.types:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0", [table]
                )
                self.types[table] = dict(cursor.fetchall())
        return [self.types[table][column] for column in columns]

    def select_in(self, sql: str, params: list, values: list) -> list[tuple]:
        """Rows of `sql` (ending with a column) whose column is one of `values`: one array
        parameter on PostgreSQL, chunks of IN lists on SQLite. No ORDER BY, so the index probes."""
        if not values:
            return []
        rows: list[tuple] = []
        with connection.cursor() as cursor:
            if self.postgres:
                cursor.execute(sql + " = ANY(%b)", [*params, values])  # a binary array: quicker to send
                return cursor.fetchall()
            for start in range(0, len(values), 5000):
                chunk = values[start : start + 5000]
                cursor.execute(f"{sql} IN ({', '.join(['%s'] * len(chunk))})", [*params, *chunk])
                rows.extend(cursor.fetchall())
        return rows

    def execute_many(self, sql: str, rows: list[tuple]) -> None:
        if rows:
            with connection.cursor() as cursor:
                cursor.executemany(sql, rows)


@dataclass(slots=True)
class _BatchWrites:
    """What one batch writes, as the rows of each statement."""

    people: list[tuple] = field(default_factory=list)  # _Database.PERSON_COLUMNS
    memberships: list[tuple] = field(default_factory=list)  # (person_id, unit_id, status, start, end)
    # (name, email, phone, address, search_key, family_key, unit_path, recruiter_id, id)
    person_updates: list[tuple] = field(default_factory=list)
    statuses: list[tuple] = field(default_factory=list)  # (person_id, old, new): the current membership's status
    links: list[tuple[int, int]] = field(default_factory=list)  # (recruiter_id, recruit_id)


class _MemberImport:
    """One run of `import_members`; holds the state shared by its batches.

    Each batch is looked up (the database's people it may match, and ids for new ones), decided
    row by row in Python, then written set-based."""

    def __init__(
        self, *, organization, by, columns: ColumnMap, validator, dry_run, on_duplicate, on_conflict, errors, run
    ):
        self.organization, self.by, self.columns, self.validator = organization, by, columns, validator
        self.dry_run, self.on_duplicate, self.errors, self.run = dry_run, on_duplicate, errors, run
        self.on_conflict = on_conflict
        self.result = ImportResult()
        self.db = _Database(
            scope_condition(by, organization, Right.IMPORT_EXPORT, path_column="unit_path", id_column="id")
        )
        self.seen: dict[str, _KnownPerson] = {}  # dry run: the people earlier in the file
        self.allowed: dict[str, str] = {}  # unit path -> "" (allowed) or the refusal
        self.pending: dict[str, list[tuple[int, int]]] = {}  # recruiter key -> [(recruit id, line)]
        self.virtual_id = 0
        self.units_by_path = {ref.path: ref for ref in validator.units.values()}
        self.unit_names = {ref.id: ref.name for ref in validator.units.values()}
        self.operator = is_operator(by)

    # -- outcomes ---------------------------------------------------------------------------
    def reject(self, rejection: Rejection) -> None:
        self.result.rejected += 1
        if len(self.result.rejections) < 1000:
            self.result.rejections.append(rejection)
        if self.errors is not None:
            self.errors.writerow([rejection.line, rejection.column, rejection.value, rejection.reason])

    def conflict(self, line: int, match: _KnownPerson, row: ValidRow) -> None:
        """A row whose email or phone is a known person's (or an earlier row's) but whose name
        disagrees: not the same person, so nothing is merged or updated. Reported with the matched
        person's number and name (always one the actor may see: matches are in their scope)."""
        self.result.conflicts += 1
        by_email = bool(row[EMAIL]) and row[EMAIL] == match.email
        column = self.columns.header[self.columns.columns["email" if by_email else "phone"][0]]
        known = f"line {match.line} of the file ({match.name})" if match.line else f"person {match.id} ({match.name})"
        reason = (
            f"conflict: the {'email' if by_email else 'phone'} is that of {known}, whose name differs; "
            "nothing written (on conflict 'create' records a new person who shares the contact)"
        )
        self.note(Rejection(line, column, row[EMAIL] if by_email else row[PHONE], reason))

    def note(self, rejection: Rejection) -> None:
        if len(self.result.notes) < 1000:
            self.result.notes.append(rejection)
        if self.errors is not None:
            self.errors.writerow([rejection.line, rejection.column, rejection.value, rejection.reason])

    def refusal_for(self, path: str) -> str:
        """'' when the actor may import into the unit at `path`, else why not (checked once per unit)."""
        refusal = self.allowed.get(path)
        if refusal is None:
            refusal = self.allowed[path] = "" if self.operator or not path else self._scope_refusal(path)
        return refusal

    def _scope_refusal(self, path: str) -> str:
        ref = self.units_by_path.get(path)
        if ref is None:
            return f"you may not {Right.IMPORT_EXPORT.words} in this person's unit"  # a unit the actor cannot see
        unit = Unit(id=ref.id, path=path, name=ref.name, organization=self.organization)
        try:
            authorize(self.by, Right.IMPORT_EXPORT, unit)
        except OutOfScope as error:
            return error.message
        return ""

    # -- reading the database ---------------------------------------------------------------
    def look_up(self, rows: Sequence[ValidRow]) -> tuple[dict[str, _KnownPerson], dict[str, _KnownPerson], list[int]]:
        """What deciding the batch needs from the database: the people of the organization
        matching its emails and phones (and recruiters), with their current memberships, in three
        queries; and ids for the people it may create (none on a dry run)."""
        if not rows:
            return {}, {}, []
        recruiters = {row[RECRUITER] for row in rows}
        emails = {row[EMAIL] for row in rows} | {key for key in recruiters if "@" in key}
        phones = {row[PHONE] for row in rows} | {key for key in recruiters if key[:1] == "+"}
        by_id: dict[int, _KnownPerson] = {}
        for column, values in (("email", emails), ("phone", phones)):
            values.discard("")
            params = [self.organization.pk, *self.db.people_params]
            for row in self.db.select_in(self.db.people_by[column], params, list(values)):
                by_id.setdefault(row[0], _KnownPerson(*row))
        for person_id, unit_id, status in self.db.select_in(self.db.current_memberships, [], list(by_id)):
            by_id[person_id].membership = (unit_id, status)
        by_email = {person.email: person for person in by_id.values() if person.email}
        by_phone: dict[str, _KnownPerson] = {}
        for person in sorted(by_id.values(), key=lambda person: person.id):
            if person.phone:
                by_phone.setdefault(person.phone, person)
        ids = [] if self.dry_run else self.db.reserve_person_ids(len(rows))
        return by_email, by_phone, ids

    # -- one batch --------------------------------------------------------------------------
    def decide(self, rows: Sequence[ValidRow], by_email, by_phone, ids: list[int]) -> _BatchWrites:
        """The outcome of each row of the batch (`ValidRow`s, or plain tuples of their fields), and
        what the batch writes. Touches no database."""
        writes = _BatchWrites()
        known: dict[str, _KnownPerson] = self.seen if self.dry_run else {}
        next_id = iter(ids)
        organization_id, created_at = self.organization.pk, self.db.created_at
        unit_column = self.columns.header_of("unit")
        for row in rows:
            line, name, email, phone, address, unit, status, start, recruiter, end = row
            match = None
            if email:
                match = known.get(email) or by_email.get(email)
            if match is None and phone:
                match = known.get(phone) or by_phone.get(phone)
            refusal = self.refusal_for(unit.path)
            if refusal:
                self.reject(Rejection(line, unit_column, unit.name, refusal))
                continue
            if match is not None and not names_agree(match.name, name):
                if self.on_conflict != "create":
                    self.conflict(line, match, row)
                    continue
                match = None  # another person who shares the contact
            recruiter_id = self.recruiter_id(recruiter, known, by_email, by_phone) if recruiter else None
            if match is not None:
                self.update(match, row, recruiter_id, known, writes)
                continue
            if self.dry_run:
                self.virtual_id -= 1
                pk = self.virtual_id
            else:
                pk = next(next_id)
            current = (unit.id, status) if end is None else None
            person = _KnownPerson(pk, name, email, phone, address, unit.path, recruiter_id, current, line)
            keys = search_keys(name)
            writes.people.append(
                (
                    pk,
                    organization_id,
                    name,
                    email,
                    phone,
                    address,
                    keys["search_key"],
                    keys["family_key"],
                    unit.path,
                    recruiter_id,
                    created_at,
                )
            )
            writes.memberships.append((pk, unit.id, status, start, end))
            self.remember(person, known)
            if recruiter and recruiter_id is None:
                self.pending.setdefault(recruiter, []).append((pk, line))
            self.result.created += 1
        writes.links.extend(self.resolve_pending(known))
        return writes

    def update(self, match: _KnownPerson, row: ValidRow, recruiter_id: int | None, known, writes: _BatchWrites) -> None:
        """The outcome of a row that matches a known person, by `on_duplicate`."""
        line, name, email, phone, address, unit, status, start, recruiter, end = row
        if self.on_duplicate == "skip":
            self.result.skipped += 1
            return
        unit_column = self.columns.header_of("unit")
        refusal = self.refusal_for(match.unit_path)
        if refusal:
            self.reject(Rejection(line, unit_column, unit.name, f"this person is known elsewhere: {refusal}"))
            return
        current = match.membership
        if end is not None and current is not None:
            where = self.unit_names.get(current[0], "a unit")
            reason = f"the file says the membership ended, but this person is a current member of {where}"
            self.reject(Rejection(line, self.columns.header_of("ended"), end.isoformat(), reason))
            return
        if current is not None and current[0] != unit.id:
            where = self.unit_names.get(current[0], "another unit")
            reason = f"already a current member of {where}; one current membership per person: transfer instead"
            self.reject(Rejection(line, unit_column, unit.name, reason))
            return
        fill = self.on_duplicate == "fill-empty"
        changed = False
        for field_name, new in (("name", name), ("email", email), ("phone", phone), ("address", address)):
            old = getattr(match, field_name)
            if new and new != old and (not fill or not old):
                setattr(match, field_name, new)
                changed = True
        if not (fill and match.recruiter_id):
            if recruiter_id is not None and recruiter_id != match.recruiter_id:
                match.recruiter_id = recruiter_id
                changed = True
            elif recruiter and recruiter_id is None:
                self.pending.setdefault(recruiter, []).append((match.id, line))
        if current is None and end is None:
            match.unit_path = unit.path
            match.membership = (unit.id, status)
            writes.memberships.append((match.id, unit.id, status, start, None))
            changed = True
        elif current is not None and status != current[1] and not fill:
            if not self.organization.constitution.may_change_status(current[1], status):
                reason = f"cannot change status from {current[1]} to {status} under the constitution"
                self.reject(Rejection(line, self.columns.header_of("status"), status, reason))
                return
            writes.statuses.append((match.id, current[1], status))
            match.membership = (current[0], status)
            changed = True
        if not changed:
            self.result.unchanged += 1
            return
        self.result.updated += 1
        self.remember(match, known)
        keys = search_keys(match.name)
        writes.person_updates.append(
            (
                match.name,
                match.email,
                match.phone,
                match.address,
                keys["search_key"],
                keys["family_key"],
                match.unit_path,
                match.recruiter_id,
                match.id,
            )
        )

    def remember(self, person: _KnownPerson, known: dict[str, _KnownPerson]) -> None:
        if person.email:
            known[person.email] = person
        if person.phone:
            known.setdefault(person.phone, person)

    def recruiter_id(self, key: str, known, by_email, by_phone) -> int | None:
        if not key:
            return None
        found = known.get(key) or (by_email if "@" in key else by_phone).get(key)
        return found.id if found is not None else None

    def resolve_pending(self, known: dict[str, _KnownPerson]) -> list[tuple[int, int]]:
        """Recruits whose recruiter came later in the file: link them now that the recruiter is known."""
        links = []
        for key in [key for key in self.pending if key in known]:
            recruiter = known[key]
            for recruit, _line in self.pending.pop(key):
                if recruit != recruiter.id:
                    links.append((recruiter.id, recruit))
        return links

    def write(self, writes: _BatchWrites) -> None:
        """Write a decided batch: inserts first, so that the updates of the same batch find the
        people and memberships they change."""
        db, today = self.db, self.validator.today
        db.insert_people(writes.people)
        db.insert_memberships(writes.memberships)
        # Counts are of current memberships: an ended one (a past member, from an export) counts nowhere.
        count_changes(
            (unit_id, status, 1) for _person, unit_id, status, _start, end in writes.memberships if end is None
        )
        db.execute_many(db.update_person, writes.person_updates)
        db.execute_many(db.record_status, [(today, old, new, person) for person, old, new in writes.statuses])
        count_status_changes(writes.statuses)
        db.execute_many(db.update_status, [(new, person) for person, _old, new in writes.statuses])
        db.execute_many(db.link_recruiter, writes.links)

    def finish_pending(self) -> None:
        """Recruiters found nowhere: the recruits stay, with no recruiter, and the errors file says so."""
        column = self.columns.header_of("recruiter")
        for key, recruits in self.pending.items():
            for _recruit, line in recruits:
                self.note(
                    Rejection(line, column, key, "recruiter not found in the file or the organization; left empty")
                )
        self.pending.clear()


def _batches(table: Table, validate, size: int):
    """The file in batches of `size` valid rows: (rows read, valid rows, rejections, fraction read)."""
    batch: list[ValidRow] = []
    rejections: list[Rejection] = []
    count = given = 0
    for line, cells in table.rows:
        count += 1
        outcome = validate(line, cells)
        if type(outcome) is ValidRow:
            batch.append(outcome)
            if len(batch) >= size:
                yield count, batch, rejections, table.progress()
                batch, rejections, given = [], [], count
        else:
            rejections.append(outcome)
    if batch or count > given:  # the last rows, or rejected rows after the last full batch
        yield count, batch, rejections, table.progress()


def _batches_from_child(table: Table, validate, size: int):
    """The same batches, read and validated by a forked child process (on the other core) while
    this process de-duplicates and writes the previous ones. The pipe holds about one batch, so
    the child is never far ahead; it ends with the import (a pipe whose reader is gone ends it),
    touches no database, and leaves without running any clean-up of the connections it inherited."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def produce() -> None:
        receiver.close()
        try:
            for read, rows, rejections, fraction in _batches(table, validate, size):
                # By column: pickling plain strings costs a few percent of pickling named tuples.
                sender.send((read, list(zip(*rows, strict=True)), rejections, fraction))
            sender.send(None)
        except BaseException as error:  # the file's own errors go to the importing process
            with contextlib.suppress(BaseException):
                sender.send(error if isinstance(error, ImportFileError) else RuntimeError(repr(error)))
        finally:
            os._exit(0)

    child = context.Process(target=produce, daemon=True)
    child.start()
    sender.close()
    try:
        while (item := receiver.recv()) is not None:
            if isinstance(item, BaseException):
                raise item
            read, columns, rejections, fraction = item
            yield read, list(zip(*columns, strict=True)), rejections, fraction
    except EOFError:
        raise RuntimeError("the process reading the file stopped unexpectedly") from None
    finally:
        receiver.close()
        child.terminate()
        child.join()


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
    errors_path: str | Path | None = None,
    progress: Callable[[ImportProgress], None] | None = None,
    batch_size: int = BATCH_SIZE,
    today: dt.date | None = None,
    run: ImportRun | None = None,
) -> ImportResult:
    """Import the people of a member file into the organization's basic units (see the module for
    the rules). Raises `ImportFileError` or `MappingError` when the file cannot be read at all.

    `run` is a job's queued run (see `jobs`): the import records its progress, outcome and
    columns there, a dry run included; without it, a run is created unless it is a dry run."""
    if on_duplicate not in ON_DUPLICATE:
        raise ValueError(f"on_duplicate: '{on_duplicate}' is not one of {', '.join(ON_DUPLICATE)}")
    if on_conflict not in ON_CONFLICT:
        raise ValueError(f"on_conflict: '{on_conflict}' is not one of {', '.join(ON_CONFLICT)}")
    started = time.perf_counter()
    path = Path(path)
    if mapping is not None and not isinstance(mapping, dict):
        mapping = load_mapping(mapping)
    table = open_table(path, sheet=sheet)
    columns = columns_of(table, mapping)
    constitution = organization.constitution
    validator = RowValidator(
        columns,
        region=organization.default_region or "GB",
        statuses=constitution.statuses,
        initial_status=constitution.member_statuses.initial,
        units=basic_units_for_import(organization, by),
        today=today or timezone.localdate(),
    )
    options = {
        "dry_run": dry_run,
        "valid_rows": valid_rows,
        "on_duplicate": on_duplicate,
        "on_conflict": on_conflict,
        "mapping": bool(mapping),
    }
    if run is not None:
        # A job's run, staged when the file was uploaded: it now runs here.
        run.state, run.host, run.pid, run.started_at = (
            ImportRun.State.RUNNING,
            socket.gethostname(),
            os.getpid(),
            timezone.now(),
        )
        run.columns = columns.as_pairs()
        run.save(update_fields=["state", "host", "pid", "started_at", "columns"])
    elif not dry_run:
        run = ImportRun.objects.create(
            organization=organization,
            actor_label=actor_label(by)[:200],
            file_name=path.name[:255],
            sha256=file_sha256(path),
            options=options,
            columns=columns.as_pairs(),
            host=socket.gethostname(),
            pid=os.getpid(),
            started_at=timezone.now(),
        )
    errors_file = open(errors_path, "w", newline="", encoding="utf-8", opener=owner_only) if errors_path else None  # noqa: SIM115
    errors = csv.writer(errors_file) if errors_file else None
    if errors:
        errors.writerow(["line", "column", "value", "reason"])
    member_import = _MemberImport(
        organization=organization,
        by=by,
        columns=columns,
        validator=validator,
        dry_run=dry_run,
        on_duplicate=on_duplicate,
        on_conflict=on_conflict,
        errors=errors,
        run=run,
    )
    result = member_import.result
    result.run_id = run.pk if run else None
    result.read = table.what_was_read()
    split = table.size >= PIPELINE_MIN_BYTES
    batches = (_batches_from_child if split else _batches)(table, validator.validate, batch_size)
    committed = {"batches": 0, "rows": 0}
    counts = OUTCOMES
    read_fraction = 0.0

    def one_batch(read: int, rows: Sequence[ValidRow], rejections: list[Rejection], fraction: float) -> None:
        nonlocal read_fraction
        read_fraction = fraction
        for rejection in rejections:
            member_import.reject(rejection)
        if run is not None and not dry_run:
            # First the run's progress: on SQLite this also takes the write lock for the batch.
            run.batches_committed += 1
            ImportRun.objects.filter(pk=run.pk).update(
                rows_done=read,
                progress=fraction,
                batches_committed=run.batches_committed,
                **{name: getattr(result, name) for name in counts},
            )
        writes = member_import.decide(rows, *member_import.look_up(rows))
        if not dry_run:
            member_import.write(writes)
        if run is not None and not dry_run:
            ImportRun.objects.filter(pk=run.pk).update(**{name: getattr(result, name) for name in counts})
        result.rows = read
        if run is not None:
            # Readable while the batch (or the whole all-or-nothing import) is not committed yet.
            write_progress(run.pk, rows_done=read, progress=fraction, **{n: getattr(result, n) for n in counts})

    def report() -> None:
        if progress is not None:
            progress(ImportProgress(result.rows, read_fraction, run.batches_committed if run else 0))

    member_import.db.tune()
    try:
        if dry_run:
            for batch in batches:
                one_batch(*batch)
                report()
            member_import.finish_pending()
            result.state = ImportRun.State.DONE
            if run is not None:
                _finish(run, result, by, organization, ImportRun.State.DONE, started)
        elif valid_rows:
            for batch in batches:
                with transaction.atomic():
                    one_batch(*batch)
                committed.update(batches=run.batches_committed, rows=batch[0])
                report()
            member_import.finish_pending()
            result.written = True
            result.state = ImportRun.State.DONE
        else:
            try:
                with transaction.atomic():
                    for batch in batches:
                        one_batch(*batch)
                        report()
                    if result.rejected:
                        raise _RolledBack
                    member_import.finish_pending()
                    _finish(run, result, by, organization, ImportRun.State.DONE, started)
                    result.written = True
            except _RolledBack:
                _no_batch_committed(run)
                result.state = ImportRun.State.REJECTED
    except BaseException as error:
        if run is not None and not isinstance(error, KeyboardInterrupt | SystemExit):
            result.state = ImportRun.State.FAILED
            # What the database kept: the batches committed before the failure (none, all or nothing).
            run.batches_committed, run.rows_done = committed["batches"], committed["rows"]
            with transaction.atomic():
                _finish(run, result, by, organization, ImportRun.State.FAILED, started, error=error)
        raise
    finally:
        member_import.db.restore()
        if errors_file:
            errors_file.close()
    if run is not None and not dry_run and (result.state != ImportRun.State.DONE or valid_rows):
        with transaction.atomic():
            _finish(run, result, by, organization, result.state, started)
    if result.written and result.rows >= STATISTICS_AFTER_ROWS:
        # The planner's statistics no longer describe the tables: without fresh ones, SQLite
        # scopes a subtree by walking the whole organization.
        refresh_statistics(Person._meta.db_table, Membership._meta.db_table)
    result.seconds = time.perf_counter() - started
    return result


def columns_of(table: Table, mapping: dict[str, str] | None) -> ColumnMap:
    """The file's columns (`map_columns`); a refusal says which sheet of a workbook was read."""
    try:
        return map_columns(table.header, mapping)
    except MappingError as error:
        if table.sheet:
            raise MappingError(f"sheet '{table.sheet}' (row {table.header_line}): {error}") from None
        raise


def _no_batch_committed(run: ImportRun | None) -> None:
    """An all-or-nothing import that rolled back committed none of its batches."""
    if run is not None:
        run.batches_committed = 0


def _finish(run, result: ImportResult, by, organization, state: str, started: float, *, error=None) -> None:
    """Close the run with its counts and write the import's one audit record."""
    if run is None:
        return
    result.state = state
    result.seconds = time.perf_counter() - started
    counts = {name: getattr(result, name) for name in OUTCOMES}
    run.state = state
    run.rows_total = result.rows
    run.finished_at = timezone.now()
    run.error = f"{type(error).__name__}: {error}"[:2000] if error is not None else ""
    for name, value in counts.items():
        setattr(run, name, value)
    if state in (ImportRun.State.DONE, ImportRun.State.REJECTED):
        run.rows_done = result.rows  # read to the end (otherwise: what the committed batches read)
    run.progress = 1.0 if state in (ImportRun.State.DONE, ImportRun.State.REJECTED) else run.progress
    ImportRun.objects.filter(pk=run.pk).update(
        state=state,
        rows_total=run.rows_total,
        rows_done=run.rows_done,
        progress=run.progress,
        finished_at=run.finished_at,
        error=run.error,
        batches_committed=run.batches_committed,
        **counts,
    )
    clear_progress(run.pk)
    if not run.dry_run:  # a check writes nothing: no audit record
        _audit_import(run, by, organization, state, result.rows, counts)


def _audit_import(run: ImportRun, by, organization, state: str, rows: int, counts: dict[str, int]) -> None:
    write_audit_record(
        by=by,
        action="people.import",
        target=run,
        organization=organization,
        changes={
            "file": [None, run.file_name],
            "sha256": [None, run.sha256],
            "state": [None, state],
            "rows": [None, rows],
            **{name: [None, value] for name, value in counts.items()},
        },
    )


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def close_interrupted_runs() -> int:
    """Close the imports still marked running whose process on this host has died (killed, or the
    machine restarted): interrupted, with the counts of the batches they committed and the import's
    audit record. Called when a worker or a command-line import starts. Returns how many."""
    closed = 0
    stale = ImportRun.objects.filter(state=ImportRun.State.RUNNING, host=socket.gethostname())
    for run in stale.select_related("organization"):
        if run.pid is None or run.pid == os.getpid() or _process_alive(run.pid):
            continue
        with transaction.atomic():
            if not ImportRun.objects.filter(pk=run.pk, state=ImportRun.State.RUNNING).update(
                state=ImportRun.State.INTERRUPTED,
                finished_at=timezone.now(),
                error="the importing process stopped before the end; committed batches are kept",
            ):
                continue  # closed by someone else meanwhile
            if not run.dry_run:
                counts = {name: getattr(run, name) for name in OUTCOMES}
                by = run.requested_by if run.requested_by_id else run.actor_label
                _audit_import(run, by, run.organization, ImportRun.State.INTERRUPTED, run.rows_done, counts)
        clear_progress(run.pk)
        closed += 1
    return closed


# -- export -----------------------------------------------------------------------------------


def export_members(
    *, organization: Organization, by: Actor, path: str | Path, format: str = "csv", unit: Unit | None = None
) -> int:
    """Write the people the actor may import and export (of the organization, or of `unit`'s
    subtree) with their current membership to a CSV or XLSX file, streamed; audited with the row
    count. Returns the number of people written."""
    from .exporting import EXPORT_HEADER, write_csv, write_xlsx

    if format not in ("csv", "xlsx"):
        raise ValueError(f"format: '{format}' is not csv or xlsx")
    if unit is not None:
        authorize(by, Right.IMPORT_EXPORT, unit)
    people = restrict(Person.objects.all(), user=by, organization=organization, right=Right.IMPORT_EXPORT)
    people = people.filter(erased_at__isnull=True)
    if unit is not None:
        people = people.filter(unit_path__gte=unit.path, unit_path__lt=unit.path + PATH_END)
    with transaction.atomic():
        rows = _export_rows(people, by)
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


EXPORT_CHUNK = 5000  # people read, and their memberships and recruiters looked up, at a time


def _export_rows(people, by: Actor):
    """Rows of (name, email, phone, address, unit, status, joined, ended, recruiter), by unit, chunk by chunk:
    for each chunk of people, their current (else last) memberships and recruiters in a query each.
    A recruiter the actor could not export is left empty, as if there were none (`access.indirect`)."""
    columns = ("id", "name", "email", "phone", "address", "recruiter_id")
    # Chunks in the order of the people's unit path (by unit, then id), each an ordinary query that
    # continues after the last row of the one before (keyset): the path index answers the scope's
    # range in that order on both databases. Ordered by id instead, a server-side cursor (what
    # `iterator()` opens on PostgreSQL) walked the whole id index of a million people to find one
    # district's 2,500 (1.2 s), and SQLite did the same for an id bound.
    after: tuple[str, int] | None = None
    while True:
        page = people
        if after is not None:  # `unit_path >= p` first, a range of the index; then the tie-break
            page = page.filter(unit_path__gte=after[0]).filter(Q(unit_path__gt=after[0]) | Q(pk__gt=after[1]))
        chunk = list(page.order_by("unit_path", "id").values_list(*columns, "unit_path")[:EXPORT_CHUNK])
        if not chunk:
            return
        after = (chunk[-1][-1], chunk[-1][0])
        yield from _export_chunk([row[:-1] for row in chunk], by)
        if len(chunk) < EXPORT_CHUNK:
            return


def _export_chunk(chunk: list[tuple], by: Actor):
    if not chunk:
        return
    ids = [person[0] for person in chunk]
    memberships: dict[int, tuple] = {}
    # Each person's current membership, else the one that ended last: a past member comes back as one.
    latest_first = Membership.objects.filter(person_id__in=ids).order_by("person_id", "-start", "-id")
    for person_id, unit_id, status, start, end in latest_first.values_list(
        "person_id", "unit_id", "status", "start", "end"
    ):
        known = memberships.get(person_id)
        if known is None or (known[3] is not None and (end is None or end > known[3])):
            memberships[person_id] = (unit_id, status, start, end)
    # The slugs of those units only, not a map of every unit of the organization.
    unit_ids = {membership[0] for membership in memberships.values()}
    slugs = dict(Unit.objects.filter(pk__in=unit_ids).values_list("pk", "slug"))
    recruiter_ids = {person[5] for person in chunk if person[5]}
    found = Person.objects.filter(pk__in=recruiter_ids).only("id", "organization_id", "unit_path", "email", "phone")
    recruiters = {
        recruiter.pk: recruiter.email or recruiter.phone
        for recruiter in found
        if visible_person(by, recruiter, right=Right.IMPORT_EXPORT) is not None
    }
    for pk, name, email, phone, address, recruiter_id in chunk:
        unit_id, status, start, end = memberships.get(pk, (None, "", None, None))
        yield (
            name,
            email,
            phone,
            address,
            slugs.get(unit_id, "") if unit_id else "",
            status,
            start.isoformat() if start else "",
            end.isoformat() if end else "",
            recruiters.get(recruiter_id, "") if recruiter_id else "",
        )
