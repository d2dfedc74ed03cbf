"""The errors file of an import: the rows to fix, as they were, with what is wrong with each.

Plain Python, no database. Each row that was rejected or noted (a conflict, a recruiter not found)
comes back once, with its line in the file, every problem it has in one `reason` column (each
naming its column) and all its original cells under the original header: the user fixes the cells
and imports the errors file itself (the column mapper ignores `line` and `reason`).

The problems arrive batch by batch, not in the file's order, and may be as many as the rows: they
wait in a private temporary SQLite database (on disk, bounded memory), and when the import ends
the file is read again to repeat the rows they name, in order. The file appears complete (written
under a temporary name, then renamed) or not at all.
"""

from __future__ import annotations

import csv
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from .columns import IGNORE, ColumnMap, header_key
from .exporting import neutralize
from .reading import CellProblem, ImportFileError
from .validation import FORMULA_START, Rejection

NO_VALUE = "#N/A"
ADDED = ("line", "reason")  # the columns the errors file adds before the original ones
FLUSH = 10_000


def as_it_was(cell: str) -> str:
    """A cell of the original row as the file had it, made safe to open: an apostrophe before
    formula-like text, unless the file already had one there (the import removes one, so the
    fixed errors file reads as the original did). An XLSX formula with no saved value (its row's
    reason quotes the formula) is written `#N/A`, the spreadsheet's "no value": importing the
    errors file unchanged rejects the row again in any column, where the formula's text would be
    taken for a name or an address."""
    if type(cell) is CellProblem and cell[:1] != "#":
        return NO_VALUE
    return "'" + cell if cell[:1] in FORMULA_START and cell else cell


def describe(rejection: Rejection) -> str:
    """One problem of a row, naming its column: `email 'x@@y': not a valid email address`."""
    if rejection.value:
        return f"{rejection.column} '{rejection.value}': {rejection.reason}"
    return f"{rejection.column}: {rejection.reason}"


class ErrorsFile:
    """Collects the problems of an import's rows, then writes the errors file (`write`)."""

    def __init__(self, path: str | Path, *, opener: Callable | None = None):
        self.path = Path(path)
        self.opener = opener
        self.count = 0
        self.pending: list[tuple[int, int, str]] = []
        self.store = sqlite3.connect("")  # "": a private temporary database, removed when closed
        self.store.execute("CREATE TABLE problem (line INTEGER, seq INTEGER, reason TEXT)")

    def add(self, rejection: Rejection) -> None:
        self.pending.append((rejection.line, self.count, describe(rejection)))
        self.count += 1
        if len(self.pending) >= FLUSH:
            self._flush()

    def _flush(self) -> None:
        self.store.executemany("INSERT INTO problem VALUES (?, ?, ?)", self.pending)
        self.pending = []

    def _by_line(self) -> Iterator[tuple[int, str]]:
        """(line, its problems joined), in the file's order."""
        self._flush()
        rows = self.store.execute("SELECT line, reason FROM problem ORDER BY line, seq")
        line, reasons = None, []
        for number, reason in rows:
            if number != line and line is not None:
                yield line, "; ".join(reasons)
                reasons = []
            line = number
            if reason not in reasons:
                reasons.append(reason)
        if line is not None:
            yield line, "; ".join(reasons)

    def write(self, reread: Callable[[], Iterable[tuple[int, list[str]]]], columns: ColumnMap | None) -> None:
        """Write the file: the header (`line`, `reason`, then the original columns), then each row
        with a problem, its cells read again from the file (`reread` gives its rows again)."""
        header = columns.header if columns else []
        fields = columns.fields if columns else []
        # An errors file imported again: its own line and reason columns are not repeated.
        kept = [
            index
            for index, title in enumerate(header)
            if not (header_key(title) in ADDED and (index >= len(fields) or fields[index] == IGNORE))
        ]
        partial = self.path.with_name(self.path.name + ".part")
        try:
            with open(partial, "w", newline="", encoding="utf-8", opener=self.opener) as stream:
                writer = csv.writer(stream)
                writer.writerow([*ADDED, *(neutralize(header[index]) for index in kept)])
                if self.count:
                    self._write_rows(writer, reread, kept, len(header))
            os.replace(partial, self.path)
        finally:
            partial.unlink(missing_ok=True)
            self.store.close()

    def _write_rows(
        self, writer, reread: Callable[[], Iterable[tuple[int, list[str]]]], kept: list[int], width: int
    ) -> None:
        try:
            source: Iterator[tuple[int, list[str]]] = iter(reread())
        except (ImportFileError, OSError):
            source = iter(())

        def next_row() -> tuple[int | None, list[str]]:
            try:
                return next(source, (None, []))
            except (ImportFileError, OSError):  # the file cannot be read again to its end
                return None, []

        at, cells = next_row()
        for line, reasons in self._by_line():
            while at is not None and at < line:
                at, cells = next_row()
            original = cells if at == line else []
            count = len(original)
            row = [as_it_was(original[index]) if index < count else "" for index in kept]
            row += [as_it_was(cell) for cell in original[width:]]  # cells beyond the header's columns
            writer.writerow([line, neutralize(reasons), *row])
