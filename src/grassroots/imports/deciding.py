"""Deciding what becomes of each row of a member import. Plain Python, no database.

A row that carries a person's number (the id column of an export) matches that person of the
organization first. Otherwise it matches a known person (in the database, or earlier in the
file) by normalized email, then phone; a row with neither matches the one person of the database
with neither, of the same name (search key), in the same unit. When the contact (or, with none,
the name in the unit) is that of several people of the row's name (twins the duplicates page
lists), none is picked: the row is a conflict naming their numbers, whatever `on_conflict` says.
What follows, by `on_duplicate` and `on_conflict`:

- no match: a new person with a membership (current, or ended when the file says so);
- a match whose name disagrees (`people.normalize.names_agree`): a conflict, reported and not
  written, or (`on_conflict="create"`) a new person who shares the contact;
- a match: skipped, updated, or its empty fields filled; a status changes only along a
  transition the constitution allows; one current membership per person (a transfer is a
  separate action). A field the row leaves empty, or whose column the file does not have,
  changes nothing (no status column is not "the initial status").

Recruiters are matched by email or phone among the people of the file (in any order) and of the
database; a recruiter found nowhere is left empty and noted in the errors file (the row is kept).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from grassroots.access import OutOfScope, Right, authorize, is_operator
from grassroots.organizations.models import Unit
from grassroots.people.normalize import names_agree, search_keys

from .columns import ColumnMap
from .models import ImportRun
from .validation import Rejection, ValidRow

ON_DUPLICATE = ("skip", "update", "fill-empty")
# A row whose email or phone matches a known person whose name disagrees: reported, or created.
ON_CONFLICT = ("report", "create")
OUTCOMES = ("created", "updated", "unchanged", "skipped", "conflicts", "rejected")  # what becomes of a row
# What an all-or-nothing import refused for its rejected rows would have written: its created and
# updated are 0, since it wrote nothing (a dry run's created and updated already say what it would do).
WOULD = ("would_create", "would_update")
NAME, EMAIL, PHONE, RECRUITER, SEARCH_KEY, NUMBER = (
    ValidRow._fields.index(name) for name in ("name", "email", "phone", "recruiter", "search_key", "number")
)


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
    would_create: int = 0
    would_update: int = 0
    rows: int = 0
    seconds: float = 0.0
    state: str = ImportRun.State.RUNNING
    written: bool = False
    run_id: int | None = None
    rejections: list[Rejection] = field(default_factory=list)
    notes: list[Rejection] = field(default_factory=list)
    read: dict[str, Any] = field(default_factory=dict)  # what was decided about the file (`Table.what_was_read`)

    def as_json(self) -> dict[str, Any]:
        names = (*OUTCOMES, *WOULD, "rows")
        counts = {name: getattr(self, name) for name in names}
        return counts | {"seconds": round(self.seconds, 3), "read": self.read}

    def nothing_written(self) -> None:
        """An all-or-nothing import refused for its rejected rows, rolled back: created and updated
        are 0, and would_create and would_update say what its valid rows would have written. The
        other outcomes (unchanged, skipped, conflicts, rejected) write nothing and stay as decided."""
        self.would_create, self.would_update = self.created, self.updated
        self.created = self.updated = 0


class KnownPerson:
    """A person already known (in the database, or earlier in the file: `line` says where)."""

    __slots__ = ("id", "name", "email", "phone", "address", "unit_path", "recruiter_id", "membership", "line")

    def __init__(self, id, name, email, phone, address, unit_path, recruiter_id, membership=None, line=0):
        self.id, self.name, self.email, self.phone, self.address = id, name, email, phone, address
        self.unit_path, self.recruiter_id, self.membership, self.line = unit_path, recruiter_id, membership, line


class BatchMatches(NamedTuple):
    """The people a batch may match (`BulkStatements.look_up`), and ids for those it may create."""

    by_email: dict[str, KnownPerson]
    by_phone: dict[str, KnownPerson]  # the oldest person with the phone
    sharing: dict[str, list[KnownPerson]]  # email or phone -> everyone known with it (a household shares them)
    # (search key, unit path) -> the people with neither email nor phone of that name in that unit
    by_name: dict[tuple[str, str], list[KnownPerson]]
    ids: list[int]
    by_number: dict[int, KnownPerson]  # the people whose number (id) a row of the batch gives


@dataclass(slots=True)
class BatchWrites:
    """What one batch writes, as the rows of each statement."""

    people: list[tuple] = field(default_factory=list)  # BulkStatements.PERSON_COLUMNS
    memberships: list[tuple] = field(default_factory=list)  # (person_id, unit_id, status, start, end)
    # (name, email, phone, address, search_key, family_key, unit_path, recruiter_id, id)
    person_updates: list[tuple] = field(default_factory=list)
    statuses: list[tuple] = field(default_factory=list)  # (person_id, old, new): the current membership's status
    links: list[tuple[int, int]] = field(default_factory=list)  # (recruiter_id, recruit_id)


class RowDecisions:
    """What becomes of each row of one import, batch by batch, given the people the batch may
    match (`BulkStatements.look_up`); holds what the batches share (the people earlier in the
    file, recruiters still to find, the outcomes) and touches no database."""

    def __init__(
        self, *, organization, by, columns: ColumnMap, validator, dry_run, on_duplicate, on_conflict, errors, created_at
    ):
        self.organization, self.by, self.columns, self.validator = organization, by, columns, validator
        self.dry_run, self.on_duplicate, self.errors = dry_run, on_duplicate, errors
        self.on_conflict, self.created_at = on_conflict, created_at
        self.result = ImportResult()
        self.seen: dict[str, KnownPerson] = {}  # dry run: the people earlier in the file
        self.allowed: dict[str, str] = {}  # unit path -> "" (allowed) or the refusal
        self.pending: dict[str, list[tuple[int, int]]] = {}  # recruiter key -> [(recruit id, line)]
        self.virtual_id = 0
        self.units_by_path = {ref.path: ref for ref in validator.units.values()}
        self.unit_names = {ref.id: ref.name for ref in validator.units.values()}
        self.operator = is_operator(by)

    # -- outcomes ---------------------------------------------------------------------------
    def reject(self, problems: Rejection | Sequence[Rejection]) -> None:
        """A rejected row, with one problem or all of them (`RowValidator.validate`)."""
        self.result.rejected += 1
        for rejection in (problems,) if isinstance(problems, Rejection) else problems:
            if len(self.result.rejections) < 1000:
                self.result.rejections.append(rejection)
            if self.errors is not None:
                self.errors.add(rejection)

    def conflict(self, line: int, match: KnownPerson, row: ValidRow) -> None:
        """A row whose number, email or phone is a known person's (or an earlier row's) but whose
        name disagrees: not the same person, so nothing is merged or updated. Reported with the
        matched person's number and name (always one the actor may see: matches are in their scope)."""
        self.result.conflicts += 1
        what = self._matched_by(row, match)
        known = f"line {match.line} of the file ({match.name})" if match.line else f"person {match.id} ({match.name})"
        reason = (
            f"conflict: the {what} is that of {known}, whose name differs; "
            "nothing written (on conflict 'create' records a new person who shares the contact)"
        )
        self.note(Rejection(line, self.columns.header_of(what), self._value_of(row, what), reason))

    def ambiguous(self, line: int, people: Sequence[KnownPerson], row: ValidRow) -> None:
        """A row whose contact (or, with none, whose name in its unit) is that of several people
        of its name: which one it means cannot be told, so none is picked. Reported naming their
        numbers; the id column (an export's first) says which."""
        self.result.conflicts += 1
        people = sorted(people, key=lambda person: person.id)  # named in the order of their numbers
        what = self._matched_by(row, people[0]) if row[EMAIL] or row[PHONE] else "name"
        numbers = ", ".join(str(person.id) for person in people[:-1]) + f" and {people[-1].id}"
        reason = (
            f"conflict: the {what} is that of persons {numbers}, who all have this name; nothing written "
            "(give the person's number in an id column, as an export does, to say which)"
        )
        self.note(Rejection(line, self.columns.header_of(what), self._value_of(row, what), reason))

    @staticmethod
    def _matched_by(row: ValidRow, match: KnownPerson) -> str:
        """What a row matched a known person by: "id", "email" or "phone"."""
        if row[NUMBER] and row[NUMBER] == match.id:
            return "id"
        return "email" if row[EMAIL] and row[EMAIL] == match.email else "phone"

    @staticmethod
    def _value_of(row: ValidRow, what: str) -> str:
        return str(row[{"id": NUMBER, "email": EMAIL, "phone": PHONE, "name": NAME}[what]])

    def note(self, rejection: Rejection) -> None:
        if len(self.result.notes) < 1000:
            self.result.notes.append(rejection)
        if self.errors is not None:
            self.errors.add(rejection)

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

    # -- one batch --------------------------------------------------------------------------
    def decide(self, rows: Sequence[ValidRow], matches: BatchMatches) -> BatchWrites:
        """The outcome of each row of the batch (`ValidRow`s, or plain tuples of their fields), and
        what the batch writes. Touches no database."""
        by_email, by_phone, sharing, by_name, ids, by_number = matches
        writes = BatchWrites()
        known: dict[str, KnownPerson] = self.seen if self.dry_run else {}
        next_id = iter(ids)
        organization_id, created_at = self.organization.pk, self.created_at
        unit_column = self.columns.header_of("unit")
        allowed, people, memberships = self.allowed, writes.people, writes.memberships
        initial_status = self.validator.initial_status
        for row in rows:
            line, name, email, phone, address, unit, status, start, recruiter, end, key, family, number = row
            if not key:
                key, family = search_keys(name).values()
            match = by_number.get(number) if number else None  # the person the row names by number
            same: Sequence[KnownPerson] = ()  # the people the row's contact (or name) may mean
            if match is None:
                if email:
                    match = known.get(email) or by_email.get(email)
                if match is None and phone:
                    match = known.get(phone) or by_phone.get(phone)
                if match is not None:
                    by_mail, by_tel = sharing.get(email, ()), sharing.get(phone, ())
                    # Several people share the contact, or the match is a person earlier in the file
                    # (one of the organization's who shares the contact may be the one the row names).
                    if len(by_mail) > 1 or len(by_tel) > 1 or (by_mail and by_tel and by_mail != by_tel) or match.line:
                        same = [*by_mail, *by_tel]
                elif not email and not phone:
                    # No contact to match by: the person of this name, with no contact either, in this unit.
                    same = by_name.get((key, unit.path), ())
                    match = same[0] if same else None
            refusal = allowed.get(unit.path)  # `refusal_for`, its answer kept per unit
            if refusal is None:
                refusal = self.refusal_for(unit.path)
            if refusal:
                self.reject(Rejection(line, unit_column, unit.name, refusal))
                continue
            if same:  # a household may share a contact: the known person(s) of the row's name
                agreeing = list({other.id: other for other in same if names_agree(other.name, name)}.values())
                if len(agreeing) > 1:
                    self.ambiguous(line, agreeing, row)
                    continue
                if agreeing:
                    match = agreeing[0]
            if match is not None and not names_agree(match.name, name):
                if self.on_conflict != "create":
                    self.conflict(line, match, row)
                    continue
                match = None  # another person who shares the contact
            recruiter_id = self.recruiter_id(recruiter, known, by_email, by_phone) if recruiter else None
            if match is not None:
                self.update(match, row, recruiter_id, known, writes)
                continue
            if not unit.id or (unit.closed and end is None):  # no unit, or one no one joins now
                self.reject(Rejection(line, unit_column, unit.name, unit.refusal))
                continue
            if self.dry_run:
                self.virtual_id -= 1
                pk = self.virtual_id
            else:
                pk = next(next_id)
            status = status or initial_status
            current = (unit.id, status) if end is None else None
            people.append(
                (
                    pk,
                    organization_id,
                    name,
                    email,
                    phone,
                    address,
                    key,
                    family,
                    unit.path,
                    recruiter_id,
                    created_at,
                )
            )
            memberships.append((pk, unit.id, status, start, end))
            if email or phone:  # `remember`: a later row of the batch may match them
                person = KnownPerson(pk, name, email, phone, address, unit.path, recruiter_id, current, line)
                if email:
                    known[email] = person
                if phone:
                    known.setdefault(phone, person)
            if recruiter and recruiter_id is None:
                self.pending.setdefault(recruiter, []).append((pk, line))
            self.result.created += 1
        writes.links.extend(self.resolve_pending(known))
        return writes

    def update(self, match: KnownPerson, row: ValidRow, recruiter_id: int | None, known, writes: BatchWrites) -> None:
        """The outcome of a row that matches a known person, by `on_duplicate`."""
        line, name, email, phone, address, unit, status, start, recruiter, end, *_keys = row
        # An empty status (no column, or an empty cell) changes nothing; a new membership takes the initial one.
        new_status = status or self.validator.initial_status
        if self.on_duplicate == "skip":
            self.result.skipped += 1
            return
        unit_column = self.columns.header_of("unit")
        refusal = self.refusal_for(match.unit_path)
        if refusal:
            self.reject(Rejection(line, unit_column, unit.name, f"this person is known elsewhere: {refusal}"))
            return
        current = match.membership
        if unit.id:  # the row names a unit: the membership there (no unit: memberships stay as they are)
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
            if current is None and end is None and unit.closed:  # would join a unit no one joins now
                self.reject(Rejection(line, unit_column, unit.name, unit.refusal))
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
        if unit.id and current is None and end is None:
            match.unit_path = unit.path
            match.membership = (unit.id, new_status)
            writes.memberships.append((match.id, unit.id, new_status, start, None))
            changed = True
        elif unit.id and current is not None and status and status != current[1] and not fill:
            if not self.organization.constitution.may_change_status(current[1], status):
                reason = f"cannot change status from {current[1]} to {status} under the constitution"
                self.reject(Rejection(line, self.columns.header_of("status"), status, reason))
                return
            if self.organization.constitution.status_gate(current[1], status) is not None:
                reason = (
                    f"{current[1]} to {status} is gated by the constitution (courses, months in status): "
                    "change it with member status, which checks each requirement"
                )
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

    def remember(self, person: KnownPerson, known: dict[str, KnownPerson]) -> None:
        if person.email:
            known[person.email] = person
        if person.phone:
            known.setdefault(person.phone, person)

    def recruiter_id(self, key: str, known, by_email, by_phone) -> int | None:
        if not key:
            return None
        found = known.get(key) or (by_email if "@" in key else by_phone).get(key)
        return found.id if found is not None else None

    def resolve_pending(self, known: dict[str, KnownPerson]) -> list[tuple[int, int]]:
        """Recruits whose recruiter came later in the file: link them now that the recruiter is known."""
        links = []
        for key in [key for key in self.pending if key in known]:
            recruiter = known[key]
            for recruit, _line in self.pending.pop(key):
                if recruit != recruiter.id:
                    links.append((recruiter.id, recruit))
        return links

    def finish_pending(self) -> None:
        """Recruiters found nowhere: the recruits stay, with no recruiter, and the errors file says so."""
        column = self.columns.header_of("recruiter")
        for key, recruits in self.pending.items():
            for _recruit, line in recruits:
                self.note(
                    Rejection(line, column, key, "recruiter not found in the file or the organization; left empty")
                )
        self.pending.clear()
