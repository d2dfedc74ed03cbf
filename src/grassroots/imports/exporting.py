"""Writing member exports, streamed, with spreadsheet formulas neutralized. Plain Python, no database."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from .validation import FORMULA_START

EXPORT_HEADER = ("name", "email", "phone", "address", "unit", "status", "joined", "ended", "recruiter")


def neutralize(value: str) -> str:
    """Put an apostrophe before text a spreadsheet would run as a formula (=, +, -, @, tab, CR).

    Text that already starts with an apostrophe before such a character gets a second one, so an
    import (which removes one) gives back exactly what was exported.
    """
    if value and (value[0] in FORMULA_START or (value[0] == "'" and value[1:2] in FORMULA_START and value[1:2])):
        return "'" + value
    return value


def write_csv(path: Path, header: Iterable[str], rows: Iterable[tuple]) -> int:
    """Write a UTF-8 CSV (with a BOM, so spreadsheets read the accents); returns the row count."""
    count = 0
    with path.open("w", newline="", encoding="utf-8-sig") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        for row in rows:
            writer.writerow([neutralize(value) for value in row])
            count += 1
    return count


def write_xlsx(path: Path, header: Iterable[str], rows: Iterable[tuple]) -> int:
    """Write an XLSX in openpyxl's write-only (streaming) mode, every cell as text; returns the row count."""
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("members")
    sheet.append(list(header))
    count = 0
    for row in rows:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", neutralize(value)) for value in row])
        count += 1
    workbook.save(path)
    return count
