"""Checking and normalizing one row of a member file. Plain Python, no database.

`RowValidator(...).validate(line, cells)` returns a `ValidRow` or a `Rejection` naming the line,
the column, the value and the reason. The costly part is phone parsing: numbers already in E.164
take a fast path, and every other value is parsed once per distinct text (cached).

Dates: ISO (2024-03-01), d.m.Y, Y/m/d and d/m/Y or m/d/Y. A slashed date whose first number is
over 12 is day first, whose second is over 12 is month first; when both could be months, the
organization's region decides: month first for US, CA, PH, day first everywhere else.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import NamedTuple

from grassroots.errors import ADDRESS_MAX_LENGTH, EARLIEST_DAY
from grassroots.people.normalize import normal_address, normal_email, normal_text, phone_e164

from .columns import ColumnMap

EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
MONTH_FIRST_REGIONS = frozenset({"US", "CA", "PH"})
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ADDRESS_PARTS = ("address", "address1", "address2", "address3", "city", "postcode")


class UnitRef(NamedTuple):
    """A basic unit a row may name: its id and path, or why people cannot join it."""

    id: int
    path: str
    name: str
    refusal: str = ""


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
    ):
        self.columns = columns
        self.region = region.upper()
        self.month_first = self.region in MONTH_FIRST_REGIONS
        self.statuses = {status.casefold(): status for status in statuses}
        self.initial_status = initial_status
        self.units = units
        self.today = today
        self._phones: dict[str, str | None] = {}
        self._dates: dict[str, dt.date | None] = {}
        c = columns.columns
        self._first, self._last, self._name = columns.first("first_name"), columns.first("last_name"), c.get("name")
        self._email = c.get("email", [])
        self._phone = c.get("phone", [])
        self._address = [index for part in ADDRESS_PARTS for index in c.get(part, [])]
        self._unit, self._status = columns.first("unit"), columns.first("status")
        self._joined, self._recruiter = columns.first("joined"), columns.first("recruiter")
        self._ended = columns.first("ended")

    def validate(self, line: int, cells: list[str]) -> ValidRow | Rejection:
        width = len(cells)

        def cell(index: int | None) -> str:
            return plain(cells[index]) if index is not None and index < width else ""

        name = next((value for index in self._name or () if (value := cell(index))), "")
        if not name:
            name = " ".join(part for part in (cell(self._first), cell(self._last)) if part)
        if not name:
            return Rejection(
                line, self.columns.header_of("name" if self._name else "first_name"), "", "a name is required"
            )
        if len(name) > 200:
            return Rejection(
                line, self.columns.header_of("name"), name[:40] + "...", "a name is at most 200 characters"
            )

        email, email_column = "", 0
        for index in self._email:
            if value := cell(index):
                email, email_column = normal_email(value), index
                break
        if email and (len(email) > 254 or not EMAIL.fullmatch(email)):
            return Rejection(line, self.columns.header[email_column], email, "not a valid email address")

        phone = ""
        for index in self._phone:
            if value := cell(index):
                phone = self.phone(value)
                if not phone:
                    return Rejection(
                        line, self.columns.header[index], value, f"not a valid phone number for {self.region}"
                    )
                break

        address = "\n".join(
            value for index in self._address if index < width and (value := plain(cells[index], lines=True))
        )
        if len(address) > ADDRESS_MAX_LENGTH:
            header = self.columns.header[self._address[0]]
            reason = f"an address is at most {ADDRESS_MAX_LENGTH} characters ({len(address)} given)"
            return Rejection(line, header, address[:40] + "...", reason)

        unit_text = cell(self._unit)
        unit_header = self.columns.header_of("unit")
        if not unit_text:
            return Rejection(line, unit_header, "", "a unit is required")
        unit = self.units.get(unit_text) or self.units.get(unit_text.casefold())
        if unit is None:
            return Rejection(line, unit_header, unit_text, "no basic unit with this slug, name or path")
        if unit.refusal:
            return Rejection(line, unit_header, unit_text, unit.refusal)

        status_text = cell(self._status)
        status = self.statuses.get(status_text.casefold()) if status_text else self.initial_status
        if status is None:
            reason = f"not a status of the constitution ({', '.join(self.statuses.values())})"
            return Rejection(line, self.columns.header_of("status"), status_text, reason)

        joined_text = cell(self._joined)
        start = self.date(joined_text) if joined_text else self.today
        if start is None:
            return Rejection(line, self.columns.header_of("joined"), joined_text, "not a date (use YYYY-MM-DD)")
        if start > self.today:
            return Rejection(line, self.columns.header_of("joined"), joined_text, "a joining date in the future")
        if start < EARLIEST_DAY:
            reason = f"a joining date before {EARLIEST_DAY}, earlier than any record kept here"
            return Rejection(line, self.columns.header_of("joined"), joined_text, reason)

        recruiter = cell(self._recruiter)
        if recruiter:
            if "@" in recruiter:
                recruiter = normal_email(recruiter)
                if not EMAIL.fullmatch(recruiter):
                    return Rejection(line, self.columns.header_of("recruiter"), recruiter, "not an email or phone")
            else:
                normalized = self.phone(recruiter)
                if not normalized:
                    return Rejection(line, self.columns.header_of("recruiter"), recruiter, "not an email or phone")
                recruiter = normalized
        ended_text = cell(self._ended)
        end = self.date(ended_text) if ended_text else None
        if ended_text and end is None:
            return Rejection(line, self.columns.header_of("ended"), ended_text, "not a date (use YYYY-MM-DD)")
        if end is not None and not start <= end <= self.today:
            reason = "a membership ends after it starts and not in the future"
            return Rejection(line, self.columns.header_of("ended"), ended_text, reason)
        return ValidRow(line, name, email, phone, address, unit, status, start, recruiter, end)

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

    def date(self, text: str) -> dt.date | None:
        try:
            return self._dates[text]
        except KeyError:
            pass
        value = parse_date(text, month_first=self.month_first)
        if len(self._dates) < 100_000:
            self._dates[text] = value
        return value


_SLASHED = re.compile(r"(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})")


def parse_date(text: str, *, month_first: bool = False) -> dt.date | None:
    """A date from ISO, Y/m/d, d.m.Y, d/m/Y or m/d/Y text (see the module for the ambiguity rule)."""
    text = text.strip()
    if len(text) >= 10 and text[4] == "-":
        try:
            return dt.date.fromisoformat(text[:10])
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
