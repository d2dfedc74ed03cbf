"""The day/month order of each date column of a member file, decided over the whole column.

Plain Python, no database. A date written d/m/Y or m/d/Y is read the same way in every row of its
column: the column's values whose first number is over 12 say day first, those whose second is
say month first; a column with both is refused (naming it and a row of each), and a column of
only ambiguous values (both numbers 12 or under) follows the organization's region: month first
for US, CA, PH, day first elsewhere. ISO dates (2024-03-01), Y/m/d and d.m.Y need no decision.

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
from .reading import ImportFileError, Table, data_rows
from .validation import MONTH_FIRST_REGIONS

DATE_FIELDS = ("joined", "ended")
# d/m/Y or m/d/Y (slashes or dashes): the forms whose order a column decides.
_DAY_MONTH = re.compile(r"(\d{1,2})[/-](\d{1,2})[/-](\d{4})")


@dataclass(frozen=True)
class DateOrder:
    """How one date column is read, and why: the row that shows it, or the region."""

    column: str
    month_first: bool
    line: int = 0  # the first row whose value decides the order (0: the region decided)
    value: str = ""
    region: str = ""

    @property
    def order(self) -> str:
        return "month first" if self.month_first else "day first"

    def as_json(self) -> dict[str, object]:
        """What the import reports under `read.dates`, for scripts and for the user."""
        if self.line:
            because = f"line {self.line}: {self.value}"
            return {
                "column": self.column,
                "order": self.order,
                "line": self.line,
                "value": self.value,
                "because": because,
            }
        because = f"every date could be either; the organization's region ({self.region}) writes {self.order}"
        return {"column": self.column, "order": self.order, "region": self.region, "because": because}


def order_of(text: str) -> bool | None:
    """Whether a d/m/Y or m/d/Y date must be month first (True), must be day first (False), or
    could be either or is not such a date (None)."""
    match = _DAY_MONTH.fullmatch(text.strip())
    if not match:
        return None
    first, second, year = (int(part) for part in match.groups())
    try:
        if first > 12 >= second:
            dt.date(year, second, first)
            return False
        if second > 12 >= first:
            dt.date(year, first, second)
            return True
    except ValueError:  # 31/02: not a date either way (the row is rejected)
        return None
    return None


def is_day_month(text: str) -> bool:
    return _DAY_MONTH.fullmatch(text.strip()) is not None


def date_cells(path: str | Path, table: Table, columns: ColumnMap) -> Iterator[tuple[int, list[str]]]:
    """The rows of the file, read again for `decide_date_orders`; none when it has no date column."""
    if any(columns.first(name) is not None for name in DATE_FIELDS):
        yield from data_rows(path, table)


def decide_date_orders(rows: Iterable[tuple[int, list[str]]], columns: ColumnMap, region: str) -> dict[str, DateOrder]:
    """The order of each date column that holds d/m/Y or m/d/Y values, from every row of the file.
    Raises `ImportFileError` naming the column and two rows when a column holds both orders."""
    region = region.upper()
    fields = {name: index for name in DATE_FIELDS if (index := columns.first(name)) is not None}
    if not fields:
        return {}
    seen: dict[str, set[str]] = {name: set() for name in fields}
    first: dict[tuple[str, bool], tuple[int, str]] = {}  # (field, month first) -> (line, value)
    slashed: set[str] = set()  # fields with any d/m/Y or m/d/Y value
    for line, cells in rows:
        width = len(cells)
        for name, index in fields.items():
            if index >= width:
                continue
            text = cells[index]
            if not text or text in seen[name]:
                continue
            if len(seen[name]) < 50_000:
                seen[name].add(text)
            if not is_day_month(text):
                continue
            slashed.add(name)
            month_first = order_of(text)
            if month_first is not None and (name, month_first) not in first:
                first[name, month_first] = (line, text.strip())
                other = first.get((name, not month_first))
                if other is not None:
                    raise _contradiction(columns.header_of(name), first[name, False], first[name, True])
    orders = {}
    for name in sorted(slashed, key=DATE_FIELDS.index):
        header = columns.header_of(name)
        for month_first in (False, True):
            if (name, month_first) in first:
                line, value = first[name, month_first]
                orders[name] = DateOrder(header, month_first, line, value)
                break
        else:
            orders[name] = DateOrder(header, region in MONTH_FIRST_REGIONS, region=region)
    return orders


def _contradiction(header: str, day_first: tuple[int, str], month_first: tuple[int, str]) -> ImportFileError:
    """The refusal of a column holding both orders, naming its two rows in the file's order."""
    said = sorted([(*day_first, "day first"), (*month_first, "month first")])
    rows = " and ".join(f"line {line} has {value} ({order})" for line, value, order in said)
    return ImportFileError(
        f"column '{header}' holds dates in both day/month orders: {rows}; "
        "write every date of the column in one order, or as YYYY-MM-DD"
    )
