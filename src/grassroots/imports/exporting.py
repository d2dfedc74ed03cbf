"""Member exports: the rows (`export_rows`, a query per chunk of people) and the writers (CSV and
XLSX, streamed, with spreadsheet formulas neutralized). The audited action is
`actions.export_members`."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from django.db.models import Q

from grassroots.access import Right
from grassroots.access.indirect import visible_person
from grassroots.audit.actions import Actor
from grassroots.organizations.models import Unit
from grassroots.people.models import Membership, Person

from .validation import FORMULA_START

# The person's number first: an import of the file matches each row to that person (twins who
# share a name and a contact come back each as themselves).
EXPORT_HEADER = ("id", "name", "email", "phone", "address", "unit", "status", "joined", "ended", "recruiter")


def neutralize(value: str) -> str:
    """Put an apostrophe before text a spreadsheet would run as a formula (=, +, -, @, tab, CR).

    Text that already starts with an apostrophe before such a character gets a second one, so an
    import (which removes one) gives back exactly what was exported.
    """
    if value and (value[0] in FORMULA_START or (value[0] == "'" and value[1:2] in FORMULA_START and value[1:2])):
        return "'" + value
    return value


# The first characters `neutralize` may change a value for: every other value is written as it is.
_RISKY_START = frozenset(FORMULA_START) | {"'"}


def write_csv(path: Path, header: Iterable[str], rows: Iterable[tuple]) -> int:
    """Write a UTF-8 CSV (with a BOM, so spreadsheets read the accents); returns the row count."""
    count = 0
    risky = _RISKY_START
    with path.open("w", newline="", encoding="utf-8-sig") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        for row in rows:
            writer.writerow([neutralize(value) if value[:1] in risky else value for value in row])
            count += 1
    return count


def write_xlsx(path: Path, header: Iterable[str], rows: Iterable[tuple]) -> int:
    """Write an XLSX in openpyxl's write-only (streaming) mode, every cell as text; returns the row count.

    Text a spreadsheet would run as a formula is written as a text cell with the "quote prefix"
    style (Excel's own mark for text typed after an apostrophe): shown as it is, with no visible
    apostrophe, and kept as text when edited. Text that itself begins with an apostrophe before
    such a character gets a second one, which the import removes (as for CSV)."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("members")
    sheet.append(list(header))

    def cell(value: str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value[:1] == "'" and value[1:2] in FORMULA_START and value[1:2]:
            return "'" + value
        if value[:1] not in FORMULA_START or not value:
            return value
        text = WriteOnlyCell(sheet, value=value)
        text.data_type = "s"  # openpyxl reads a leading '=' as a formula
        text.quotePrefix = True
        return text

    count = 0
    for row in rows:
        sheet.append([cell(value) for value in row])
        count += 1
    workbook.save(path)
    return count


EXPORT_CHUNK = 5000  # people read, and their memberships and recruiters looked up, at a time


def export_rows(people, by: Actor):
    """Rows of (id, name, email, phone, address, unit, status, joined, ended, recruiter), by unit, chunk by chunk:
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
        page = page.order_by("unit_path", "id")[:EXPORT_CHUNK]
        chunk = list(page.values_list(*columns, "unit_path"))
        if not chunk:
            return
        after = (chunk[-1][-1], chunk[-1][0])
        # The chunk's people again as a subquery (one range of the path index) rather than a list
        # of 5,000 ids, each prepared by Django as a parameter of its own.
        yield from _export_chunk([row[:-1] for row in chunk], page.values("pk"), by)
        if len(chunk) < EXPORT_CHUNK:
            return


def _export_chunk(chunk: list[tuple], people, by: Actor):
    memberships: dict[int, tuple] = {}
    # Each person's current membership, else the one that ended last: a past member comes back as one.
    latest_first = Membership.objects.filter(person_id__in=people).order_by("person_id", "-start", "-id")
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
            str(pk),
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
