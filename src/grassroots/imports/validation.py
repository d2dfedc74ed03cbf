"""Checking and normalizing one row of a member file. Plain Python, no database.

`RowValidator(...).validate(line, cells)` returns a `ValidRow`, or every problem of the row: a
`Rejection` for each, naming the line, the column, the value and the reason. A cell longer than
`reading.MAX_CELL` in a column that is imported is one of them (its row is rejected, not the
file), and so is an XLSX cell holding a spreadsheet error (`#N/A`) or a formula whose value was
never saved (`reading.CellProblem`); in a column that is not imported they are ignored. A row whose
cells are all in their normal form already (printable ASCII, spaces single: most rows) is not
normalized cell by cell (`already_plain`). The costly part is phone parsing: numbers already in
E.164 and plain national numbers take quick paths (`people.normalize.phone_e164`), and every value
is read once per distinct text (cached).

Dates: ISO (2024-03-01), d.m.Y, Y/m/d and d/m/Y or m/d/Y. Which of the last two a column holds
is decided for the whole column before any row (`dates.decide_date_orders`): by its values whose
first number is over 12 (day first) or whose second is (month first), else by the organization's
region: month first for US, CA, PH, day first everywhere else.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import NamedTuple

from grassroots.errors import ADDRESS_MAX_LENGTH, EARLIEST_DAY
from grassroots.people.normalize import (
    SEARCH_KEY_LENGTH,
    normal_address,
    normal_email,
    normal_text,
    phone_e164,
    search_keys,
)

from .columns import ColumnMap, column_letter
from .reading import MAX_CELL, SPREADSHEET_ERRORS, CellProblem

EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
MONTH_FIRST_REGIONS = frozenset({"US", "CA", "PH"})
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ERROR_AS_TEXT = "the cell holds the spreadsheet error {}: the program that saved the file had no value"
ADDRESS_PARTS = ("address", "address1", "address2", "address3", "city", "postcode")


class UnitRef(NamedTuple):
    """A basic unit a row may name: its id and path, or why people cannot join it. `closed`: the
    refusal is the unit's state (dormant, dissolved...): its current members stay as they are
    (an export of them comes back unchanged), no one new joins it."""

    id: int
    path: str
    name: str
    refusal: str = ""
    closed: bool = False


# A row that names no unit: it may still match a known person (their fields are updated, their
# memberships left as they are: an export lists people with no membership so); a new person
# needs a unit.
NO_UNIT = UnitRef(0, "", "", "a unit is required", closed=True)


class DateColumn(NamedTuple):
    """How a date column is read (month first or not) and the dates of its texts read so far."""

    month_first: bool
    known: dict[str, dt.date | None]


class ValidRow(NamedTuple):
    """A row that passed: normalized values, ready to write."""

    line: int
    name: str
    email: str
    phone: str
    address: str
    unit: UnitRef
    status: str
    start: dt.date
    recruiter: str  # a normalized email or E.164 phone, or ""
    end: dt.date | None = None  # the membership ended that day (an export's past member)
    # The name's search keys (`people.normalize.search_keys`), computed where the row is read:
    # the process that reads a large file has time to spare, the one that writes has none.
    search_key: str = ""
    family_key: str = ""
    number: int = 0  # the person's number (id column of an export), 0 when the row gives none


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a row was not imported: its line in the file, the column, the value and the reason."""

    line: int
    column: str
    value: str
    reason: str


def plain(value: str, *, lines: bool = False) -> str:
    """A cell in the people's normal form (`people.normalize`: one line, or `lines` kept as an
    address keeps them), without the apostrophe our exports put before formula-like text."""
    value = normal_address(value) if lines else normal_text(value)
    if value[:1] == "'" and (value[1:2] in FORMULA_START or (value[1:2] == "'" and value[2:3] in FORMULA_START)):
        return value[1:]
    return value


def already_plain(cells: list[str]) -> bool:
    """Whether `plain` leaves every cell of the row as it is (most rows): printable ASCII, no
    space at either end of a cell nor two in a row, no apostrophe first. Checked on the whole
    row at once, so such a row's cells are not normalized one by one."""
    text = "\n".join(cells)  # printable cells hold no line break: it marks where each ends
    return (
        text.isascii()
        and "".join(cells).isprintable()
        and "  " not in text
        and " \n" not in text
        and "\n " not in text
        and "\n'" not in text
        and text[:1] not in (" ", "'")
        and text[-1:] != " "
    )


def _at(index: int | None, blank: int) -> int:
    return blank if index is None else index


class RowValidator:
    """Validate rows against one organization's facts: region, statuses and basic units."""

    def __init__(
        self,
        columns: ColumnMap,
        *,
        region: str,
        statuses: list[str],
        initial_status: str,
        units: dict[str, UnitRef],
        today: dt.date,
        date_orders: dict[str, bool] | None = None,
        header_width: int | None = None,
        sheet_cells: bool = False,
        header_line: int = 1,
    ):
        self.columns = columns
        # A row with values beyond the header's columns is reported rather than read into the
        # wrong fields or dropped (`_beyond_header`); `header_line` is the header's row.
        self.header_width = header_width
        self.header_line = header_line
        # XLSX: a cell may hold a spreadsheet error or a formula never computed (`CellProblem`).
        self.sheet_cells = sheet_cells
        self.region = region.upper()
        self.month_first = self.region in MONTH_FIRST_REGIONS
        self.statuses = {status.casefold(): status for status in statuses}
        self.initial_status = initial_status
        self.units = units
        self.today = today
        self._phones: dict[str, str | None] = {}
        self.date_orders = date_orders or {}  # field -> month first, decided over the whole column
        self._joined_dates = DateColumn(self.date_orders.get("joined", self.month_first), {})
        self._ended_dates = DateColumn(self.date_orders.get("ended", self.month_first), {})
        c = columns.columns
        self._first, self._last, self._name = columns.first("first_name"), columns.first("last_name"), c.get("name")
        self._email = c.get("email", [])
        self._phone = c.get("phone", [])
        self._address = [index for part in ADDRESS_PARTS for index in c.get(part, [])]
        self._unit, self._status = columns.first("unit"), columns.first("status")
        self._joined, self._recruiter = columns.first("joined"), columns.first("recruiter")
        self._ended = columns.first("ended")
        self._number = columns.first("id")
        self._name_columns = {index for part in ("name", "first_name", "last_name") for index in c.get(part, [])}
        self._imported = sorted(index for indexes in c.values() for index in indexes)
        self._free_text = sorted(self._name_columns | set(self._address))
        # Where `validate` reads each field among a row's values: one past the imported columns is
        # always "", read for a field the file has no column for.
        self._span = self._imported[-1] + 1 if self._imported else 0
        blank = self._span
        self._first_at, self._last_at = _at(self._first, blank), _at(self._last, blank)
        self._unit_at, self._status_at = _at(self._unit, blank), _at(self._status, blank)
        self._joined_at, self._recruiter_at = _at(self._joined, blank), _at(self._recruiter, blank)
        self._ended_at, self._number_at = _at(self._ended, blank), _at(self._number, blank)

    def _beyond_header(self, line: int, cells: list[str]) -> Rejection | None:
        """The first value right of the header's last column, as a problem naming its cell: in a
        CSV file a comma in an unquoted value shifted the row's cells; in a workbook the value
        belongs to no column. Either way it would be lost or read into the wrong field."""
        header_width = self.header_width or 0
        index = next((i for i in range(header_width, len(cells)) if str(cells[i]).strip()), None)
        if index is None:
            return None
        counted = f"the row has values in {len(cells)} columns, the header names {header_width}"
        if self.sheet_cells:
            letter = column_letter(index)
            reason = f"{counted}: give column {letter} a header in row {self.header_line}, or remove the value"
            return Rejection(line, f"cell {letter}{line}", str(cells[index])[:40], reason)
        reason = f"{counted}: a value with a comma in it needs quotes"
        return Rejection(line, f"column {index + 1}", cells[index][:40], reason)

    def validate(self, line: int, cells: list[str]) -> ValidRow | tuple[Rejection, ...]:
        """The row's normalized values, or every problem it has (one `Rejection` each)."""
        width = len(cells)
        problems: list[Rejection] = []
        if self.header_width is not None and width > self.header_width:
            beyond = self._beyond_header(line, cells)
            if beyond is not None:
                problems.append(beyond)
        # Cells of imported columns that cannot be read reject their row; in other columns they are
        # ignored. Read as empty below, so that they add no second problem (a name required...).
        blanked: set[int] = set()
        if self.sheet_cells:
            blanked = {i for i in self._imported if i < width and type(cells[i]) is CellProblem}
            for index in sorted(blanked):
                problem = cells[index]
                problems.append(Rejection(line, self.columns.header[index], str(problem), problem.reason))
        else:
            # A CSV saved by a spreadsheet program holds an error as its text: refused where it
            # would be stored as a name or an address (elsewhere no rule would take it for a value).
            for index in self._free_text:
                if index < width and cells[index][:1] == "#" and (text := cells[index].strip()) in SPREADSHEET_ERRORS:
                    blanked.add(index)
                    problems.append(Rejection(line, self.columns.header[index], text, ERROR_AS_TEXT.format(text)))
        if sum(map(len, cells)) > MAX_CELL:
            # A cell over the limit rejects its row when its column is imported; others are ignored.
            oversized = {i for i in self._imported if i < width and len(cells[i]) > MAX_CELL}
            for index in sorted(oversized):
                reason = f"a cell is at most {MAX_CELL} characters ({len(cells[index])} given)"
                problems.append(Rejection(line, self.columns.header[index], cells[index][:40] + "...", reason))
            blanked |= oversized
        if blanked:
            cells = ["" if index in blanked else value for index, value in enumerate(cells)]

        normal = already_plain(cells)

        # The imported columns' values (`plain` unless the row is so already), then "" where a
        # field the file has no column for is read (`_at`).
        span = self._span
        values = cells[:span] if normal else [plain(value) for value in cells[:span]]
        if width < span:
            values += [""] * (span - width)
        values.append("")

        refuse = functools.partial(self._refuse, problems, line)

        name = next((value for index in self._name or () if (value := values[index])), "")
        if not name:
            name = " ".join(part for part in (values[self._first_at], values[self._last_at]) if part)
        if not name:
            if not blanked & self._name_columns:
                refuse("name" if self._name else "first_name", "", "a name is required")
        elif len(name) > 200:
            refuse("name", name[:40] + "...", "a name is at most 200 characters")

        email = ""
        for index in self._email:
            if value := values[index]:
                email = value.replace(" ", "").lower() if normal else normal_email(value)
                if len(email) > 254 or not EMAIL.fullmatch(email):
                    # The cell quoted as the file has it (case kept), not as it would be stored.
                    shown = value[:40] + "..." if len(value) > 254 else value
                    problems.append(Rejection(line, self.columns.header[index], shown, "not a valid email address"))
                break

        phone = ""
        for index in self._phone:
            if value := values[index]:
                phone = self.phone(value)
                if not phone:
                    reason = f"not a valid phone number for {self.region}"
                    problems.append(Rejection(line, self.columns.header[index], value, reason))
                break

        address = "\n".join(
            value
            for index in self._address
            if index < width and (value := cells[index] if normal else plain(cells[index], lines=True))
        )
        if len(address) > ADDRESS_MAX_LENGTH:
            header = self.columns.header[self._address[0]]
            reason = f"an address is at most {ADDRESS_MAX_LENGTH} characters ({len(address)} given)"
            problems.append(Rejection(line, header, address[:40] + "...", reason))

        unit_text = values[self._unit_at]
        unit = None
        missing_unit = -1  # where "a unit is required" goes among the problems, if the row has others
        if not unit_text:
            if self._unit not in blanked:
                unit, missing_unit = NO_UNIT, len(problems)
        elif (unit := self.units.get(unit_text) or self.units.get(unit_text.casefold())) is None:
            refuse("unit", unit_text, "no basic unit with this slug, name or path")
        elif unit.refusal and not unit.closed:
            refuse("unit", unit_text, unit.refusal)

        # No status (no column, or an empty cell): "" here; a new membership takes the initial
        # status, a known person's stays as it is (`deciding`).
        status_text = values[self._status_at]
        status = self.statuses.get(status_text.casefold()) if status_text else ""
        if status is None:
            refuse("status", status_text, f"not a status of the constitution ({', '.join(self.statuses.values())})")

        joined_text = values[self._joined_at]
        start = self.date(joined_text, self._joined_dates) if joined_text else self.today
        if start is None:
            refuse("joined", joined_text, "not a date (use YYYY-MM-DD)")
        elif start > self.today:
            refuse("joined", joined_text, "a joining date in the future")
        elif start < EARLIEST_DAY:
            refuse("joined", joined_text, f"a joining date before {EARLIEST_DAY}, earlier than any record kept here")

        recruiter = values[self._recruiter_at]
        if recruiter:
            if "@" in recruiter:
                recruiter = normal_email(recruiter)
                if not EMAIL.fullmatch(recruiter):
                    refuse("recruiter", recruiter, "not an email or phone")
            else:
                normalized = self.phone(recruiter)
                if not normalized:
                    refuse("recruiter", recruiter, "not an email or phone")
                recruiter = normalized
        ended_text = values[self._ended_at]
        end = self.date(ended_text, self._ended_dates) if ended_text else None
        if ended_text and end is None:
            refuse("ended", ended_text, "not a date (use YYYY-MM-DD)")
        if end is not None and start is not None and not start <= end <= self.today:
            refuse("ended", ended_text, "a membership ends after it starts and not in the future")
        number_text = values[self._number_at]
        number = int(number_text) if number_text.isascii() and number_text.isdigit() and len(number_text) < 19 else 0
        if number_text and not number:
            refuse("id", number_text, "not a person's number (the digits of an export's id column)")
        if problems and missing_unit >= 0:
            problems.insert(missing_unit, Rejection(line, self.columns.header_of("unit"), "", NO_UNIT.refusal))
        if problems or unit is None or status is None or start is None:
            return tuple(problems)
        if normal:  # `search_keys` on a name already in its normal form, printable ASCII: lowercased
            key = name.lower().replace("`", "'")[:SEARCH_KEY_LENGTH]
            words = key.split(" ")
            family = " ".join([words[-1], *words[:-1]])[:SEARCH_KEY_LENGTH] if len(words) > 1 else key
        else:
            key, family = search_keys(name).values()
        return ValidRow(
            line,
            name,
            email,
            phone,
            address,
            unit,
            status,
            start,
            recruiter,
            end,
            key,
            family,
            number,
        )

    def _refuse(self, problems: list[Rejection], line: int, field: str, value: str, reason: str) -> None:
        problems.append(Rejection(line, self.columns.header_of(field), value, reason))

    def phone(self, text: str) -> str:
        """The number in E.164, or "" when it is not a phone number for the organization's region
        (the one rule of `people.normalize.phone_e164`)."""
        try:
            return self._phones[text]
        except KeyError:
            pass
        value = phone_e164(text, self.region) or ""
        if len(self._phones) < 500_000:
            self._phones[text] = value
        return value

    def date(self, text: str, column: DateColumn | None = None) -> dt.date | None:
        """The date of a cell of a date column, read in the day/month order decided for that column
        (`dates.decide_date_orders`), else the region's."""
        month_first, known = column or self._joined_dates
        try:
            return known[text]
        except KeyError:
            pass
        value = parse_date(text, month_first=month_first)
        if len(known) < 100_000:
            known[text] = value
        return value


_SLASHED = re.compile(r"(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})")


def parse_date(text: str, *, month_first: bool = False) -> dt.date | None:
    """A date from ISO, Y/m/d, d.m.Y, d/m/Y or m/d/Y text (see the module for the ambiguity rule)."""
    text = text.strip()
    if len(text) >= 10 and text[4] == "-":
        try:
            if len(text) > 10:  # a time may follow the date (ISO 8601); anything else makes it no date
                return dt.datetime.fromisoformat(text).date() if text[10] in " T" else None
            return dt.date.fromisoformat(text)
        except ValueError:
            return None
    match = _SLASHED.fullmatch(text)
    if not match:
        return None
    a, b, c = (int(part) for part in match.groups())
    separator = text[len(match.group(1))]
    try:
        if len(match.group(1)) == 4:
            return dt.date(a, b, c)
        if len(match.group(3)) != 4:
            return None
        if separator == "." or a > 12:
            return dt.date(c, b, a)
        if b > 12 or month_first:
            return dt.date(c, a, b)
        return dt.date(c, b, a)
    except ValueError:
        return None
