"""The day/month order of each date column of a member file, decided over the whole column.

Plain Python, no database. A date written d/m/Y or m/d/Y is read the same way in every row of its
column: the column's values whose first number is over 12 say day first, those whose second is
say month first; a column with both is refused (naming it and a row of each), and a column of
only ambiguous values (both numbers 12 or under) follows the organization's region: month first
for US, CA, PH, day first elsewhere. ISO dates (2024-03-01), Y/m/d and d.m.Y need no decision.
Every date column is reported with the true reason for how it is read: the row that shows its
order, the region, forms that need no order, no value that is a date, or an empty column.

The decision needs every value of the column before the first row is read: `decide_date_orders`
is a first pass over the file that looks only at the date cells, and at each distinct text once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .columns import ColumnMap
from .reading import CellProblem, ImportFileError, Table, WorkbookDate, data_rows
from .validation import MONTH_FIRST_REGIONS, parse_date, plain

DATE_FIELDS = ("joined", "ended")
# d/m/Y or m/d/Y (slashes or dashes): the forms whose order a column decides.
_DAY_MONTH = re.compile(r"(\d{1,2})[/-](\d{1,2})[/-](\d{4})")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class DateOrder:
    """How one date column is read, and why: the row that shows its order, the region, or that it
    has no order to decide (`decided_by`)."""

    column: str
    month_first: bool
    line: int = 0  # the first row whose value decides the order (0: something else decided)
    value: str = ""
    region: str = ""
    # "value" (a row shows the order), "region" (every d/m/Y date could be either), "form" (dates
    # with one reading only: ISO text, other such forms, XLSX date cells), "unread" (no value is a
    # date), "empty" (no value at all)
    decided_by: str = "value"
    because_text: str = ""
    not_date: tuple[int, str] | None = None  # the first value that is no date (its row is rejected)

    @property
    def order(self) -> str | None:
        if self.decided_by not in ("value", "region"):
            return None  # no d/m/Y or m/d/Y date in the column: no order was needed
        return "month first" if self.month_first else "day first"

    @property
    def because(self) -> str:
        because = f"line {self.line}: {self.value}" if self.decided_by == "value" else self.because_text
        if self.not_date is not None and self.decided_by != "unread":
            line, value = self.not_date
            because += f"; values that are not dates reject their rows (line {line}: {value})"
        return because

    def as_json(self) -> dict[str, object]:
        """What the import reports under `read.dates`, for scripts and for the user."""
        if self.decided_by == "value":
            return {
                "column": self.column,
                "order": self.order,
                "line": self.line,
                "value": self.value,
                "because": self.because,
            }
        if self.decided_by == "region":
            return {"column": self.column, "order": self.order, "region": self.region, "because": self.because}
        return {"column": self.column, "order": None, "because": self.because}


def how_read(order: dict) -> str:
    """A date column's entry of `read.dates` in words: its order and why, or why it needs none."""
    return f"{order['order']} ({order['because']})" if order.get("order") else str(order["because"])


def orders_of(text: str) -> tuple[bool, bool] | None:
    """For a d/m/Y or m/d/Y date: whether it is a date read day first, and read month first; None
    for text of another form."""
    match = _DAY_MONTH.fullmatch(text.strip())
    if not match:
        return None
    first, second, year = (int(part) for part in match.groups())
    return _is_date(year, second, first), _is_date(year, first, second)


def _is_date(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def date_cells(
    path: str | Path, table: Table, columns: ColumnMap, *, read_anyway: bool = False
) -> Iterator[tuple[int, list[str]]]:
    """The rows of the file, read again for `decide_date_orders`; none when it has no date column,
    unless `read_anyway` (another count of the same first pass needs them)."""
    if read_anyway or any(columns.first(name) is not None for name in DATE_FIELDS):
        yield from data_rows(path, table)


# What a distinct value of a date column is: a d/m/Y or m/d/Y date that could be either, one
# that shows its order, a date of a form with one reading (ISO or another), an XLSX cell holding
# a date (not text), or no date.
EITHER, DAY_FIRST, MONTH_FIRST, ISO, ONE_READING, NOT_DATE, WORKBOOK = range(7)
# The forms with one reading, as the reason names them.
_FORMS = (
    (WORKBOOK, "dates stored as dates in the workbook"),
    (ISO, "ISO 8601 dates (YYYY-MM-DD)"),
    (ONE_READING, "dates of forms with one reading (YYYY/MM/DD, DD.MM.YYYY)"),
)


def _kind(text: str) -> int:
    if type(text) is WorkbookDate:
        return WORKBOOK
    readings = orders_of(text)
    if readings is not None:
        day_first, month_first = readings
        if day_first and month_first:
            return EITHER
        if day_first or month_first:
            return MONTH_FIRST if month_first else DAY_FIRST
        return NOT_DATE
    if parse_date(text) is None:
        return NOT_DATE
    return ISO if _ISO.match(text) else ONE_READING


def decide_date_orders(rows: Iterable[tuple[int, list[str]]], columns: ColumnMap, region: str) -> dict[str, DateOrder]:
    """How each date column of the file is read, from every row of the file: the order of a column
    holding d/m/Y or m/d/Y values, and for any other column why it needs none (its dates have one
    reading, no value is a date, it is empty). Raises `ImportFileError` naming the column and two
    rows when a column holds both orders. Cells that cannot be read (`reading.CellProblem`) reject
    their rows and are not looked at."""
    region = region.upper()
    fields = {name: index for name in DATE_FIELDS if (index := columns.first(name)) is not None}
    if not fields:
        return {}
    seen: dict[str, set[str]] = {name: set() for name in fields}
    first: dict[tuple[str, int], tuple[int, str]] = {}  # (field, kind) -> the first (line, value) of that kind
    for line, cells in rows:
        width = len(cells)
        for name, index in fields.items():
            if index >= width:
                continue
            text = cells[index]
            if not text or text in seen[name] or type(text) is CellProblem:
                continue
            if len(seen[name]) < 50_000:
                seen[name].add(text)
            kind = WORKBOOK if type(text) is WorkbookDate else None
            text = plain(text)
            if not text:
                continue
            kind = _kind(text) if kind is None else kind
            if (name, kind) not in first:
                first[name, kind] = (line, text)
                if kind in (DAY_FIRST, MONTH_FIRST) and (other := first.get((name, DAY_FIRST + MONTH_FIRST - kind))):
                    day_first, month_first = (first[name, kind], other)[:: 1 if kind == DAY_FIRST else -1]
                    raise _contradiction(columns.header_of(name), day_first, month_first)
    return {name: _order(name, columns.header_of(name), first, region) for name in fields}


def _order(name: str, header: str, first: dict[tuple[str, int], tuple[int, str]], region: str) -> DateOrder:
    """How one column is read, and the true reason why, from the first value of each kind it holds."""
    kinds = {kind for field, kind in first if field == name}
    not_date = first.get((name, NOT_DATE))
    region_order = region in MONTH_FIRST_REGIONS
    for kind, month_first in ((DAY_FIRST, False), (MONTH_FIRST, True)):
        if kind in kinds:
            line, value = first[name, kind]
            return DateOrder(header, month_first, line, value, not_date=not_date)
    if EITHER in kinds:
        written = (
            "every date could be either"
            if kinds <= {EITHER, NOT_DATE}
            else "every d/m/Y or m/d/Y date could be either (the column's other dates have one reading)"
        )
        order = "month first" if region_order else "day first"
        because = f"{written}; the organization's region ({region}) writes {order}"
        return DateOrder(
            header, region_order, region=region, decided_by="region", because_text=because, not_date=not_date
        )
    if kinds & {ISO, ONE_READING, WORKBOOK}:
        because = " and ".join(words for kind, words in _FORMS if kind in kinds) + ", no order to decide"
        return DateOrder(header, region_order, decided_by="form", because_text=because, not_date=not_date)
    if not_date is not None:
        line, value = not_date
        because = f"no value could be read as a date (line {line}: {value}): the rows with a value here are rejected"
        return DateOrder(header, region_order, decided_by="unread", because_text=because, not_date=not_date)
    empty = {"joined": "each person joins on the day of the import", "ended": "no membership ends"}[name]
    return DateOrder(header, region_order, decided_by="empty", because_text=f"the column is empty: {empty}")


def _contradiction(header: str, day_first: tuple[int, str], month_first: tuple[int, str]) -> ImportFileError:
    """The refusal of a column holding both orders, naming its two rows in the file's order."""
    said = sorted([(*day_first, "day first"), (*month_first, "month first")])
    rows = " and ".join(f"line {line} has {value} ({order})" for line, value, order in said)
    return ImportFileError(
        f"column '{header}' holds dates in both day/month orders: {rows}; "
        "write every date of the column in one order, or as YYYY-MM-DD"
    )
