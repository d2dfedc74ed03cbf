"""Reading member files: CSV and XLSX, with bounded time and memory for hostile input.

Plain Python, no database. `open_table(path)` detects the format, the encoding and the
delimiter and returns a `Table`: its header and an iterator of `(line, cells)` where `line` is
the line (CSV) or row (XLSX) number a spreadsheet user sees. Every problem with the file as a
whole is an `ImportFileError` with a one-line message.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import functools
import io
import itertools
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

MAX_BYTES = 200 * 1024 * 1024  # GRASSROOTS_IMPORT_MAX_BYTES overrides
MAX_COLUMNS = 200
MAX_CELL = 10 * 1024
# A physical CSV line longer than this is refused before the csv module splits it, so a line of
# millions of delimiters never becomes a list of millions of strings.
MAX_LINE = MAX_COLUMNS * 256 + MAX_CELL
# XLSX: the sum of the declared uncompressed sizes, and the compression ratio of any large part.
MAX_XLSX_UNCOMPRESSED = 2 * 1024 * 1024 * 1024
MAX_XLSX_RATIO = 200
SAMPLE = 64 * 1024
DELIMITERS = (",", ";", "\t")


class ImportFileError(ValueError):
    """The file as a whole cannot be read; the message is one line for the user."""


@dataclass
class Table:
    """A file's header and its data rows, read lazily; `progress()` is the fraction read so far."""

    header: list[str]
    rows: Iterator[tuple[int, list[str]]]
    format: str
    encoding: str = ""
    delimiter: str = ""
    size: int = 0
    _position: object = field(default=None, repr=False)
    sheet: str = ""  # XLSX: the sheet read
    header_line: int = 1  # the line (or row) of the header: title rows above it are skipped
    short_lines: bool = False  # CSV: no physical line over MAX_LINE, so the csv module may read it whole
    encoding_by: str = ""  # CSV: how the encoding was decided (`file_encoding`)

    def progress(self) -> float:
        return self._position() if callable(self._position) else 0.0

    def what_was_read(self) -> dict[str, object]:
        """What was decided about the file as a whole, for the user to check."""
        decided = {"format": self.format, "header_line": self.header_line}
        if self.format == "csv":
            decided |= {"encoding": self.encoding, "encoding_by": self.encoding_by, "delimiter": self.delimiter}
        else:
            decided["sheet"] = self.sheet
        return decided


def open_table(
    path: str | Path, *, max_bytes: int | None = None, sheet: str | None = None, encoding: str | None = None
) -> Table:
    """Open a CSV or XLSX file (decided by its content, not its name) for reading; `sheet` names the
    sheet of a workbook to read (default: the active one, or else the first whose headers are
    recognised); `encoding` the encoding of a CSV file (default: decided on the whole file,
    `file_encoding`)."""
    path = Path(path)
    limit = max_bytes if max_bytes is not None else configured_max_bytes()
    try:
        size = path.stat().st_size
    except OSError as error:
        raise ImportFileError(f"cannot read {path.name}: {error.strerror}") from None
    if size == 0:
        raise ImportFileError(f"{path.name} is empty")
    if size > limit:
        raise ImportFileError(f"{path.name} is {human_size(size)}, over the limit of {human_size(limit)}")
    with path.open("rb") as probe:
        head = probe.read(SAMPLE)
    if not head.startswith(b"PK\x03\x04"):
        if sheet:
            raise ImportFileError(f"{path.name} is a CSV file: it has no sheets to choose from")
        table = _open_csv(path, head, size, encoding)
    elif encoding:
        raise ImportFileError(f"{path.name} is an XLSX file: it has no text encoding to choose")
    else:
        table = _open_xlsx(path, size, sheet)
    first = next(table.rows, None)
    if first is None:
        raise ImportFileError(f"{path.name} has a header row but no data rows")
    table.rows = itertools.chain([first], table.rows)
    return table


def human_size(size: int) -> str:
    """A size in bytes as a person reads it, never rounded to nothing: "1,000 bytes", "1.5 MB"."""
    if size < 1_000_000:
        return f"{size:,} byte{'' if size == 1 else 's'}"
    return f"{size / 1e6:,.1f} MB"


HEADER_SEARCH = 10  # rows looked at for the header, below any title rows


def looks_like_header(cells: list[str]) -> bool:
    """Whether a row names at least two fields the import recognises (see `columns`)."""
    from .columns import _LOOKUP, header_key

    return sum(1 for cell in cells if header_key(cell) in _LOOKUP) >= 2


def _find_header(rows: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str], list[tuple[int, list[str]]]]:
    """The header among the first rows: the first that looks like one (title rows above it are
    skipped), else the first non-empty row. Returns its line, its cells and the rows read after it."""
    looked = list(itertools.islice(rows, HEADER_SEARCH))
    found = next((i for i, (_line, cells) in enumerate(looked) if looks_like_header(cells)), None)
    if found is None:
        found = next((i for i, (_line, cells) in enumerate(looked) if any(c.strip() for c in cells)), None)
    if found is None:
        return 0, [], []
    line, cells = looked[found]
    return line, cells, looked[found + 1 :]


def configured_max_bytes() -> int:
    try:
        from django.conf import settings

        return int(getattr(settings, "GRASSROOTS_IMPORT_MAX_BYTES", MAX_BYTES))
    except Exception:  # settings not configured: plain use of this module
        return MAX_BYTES


def detect_encoding(head: bytes, *, whole: bool = False) -> str:
    """What a sample's bytes say for sure: UTF-8 (with or without BOM), UTF-16 or UTF-32 by a BOM or
    by the NUL bytes of text in them ("utf-16-le"...), else "" (not UTF-8: the whole file decides,
    `file_encoding`). `whole`: the sample is the whole file, so it may not end inside a character.
    Raises `ImportFileError` for NUL bytes that are no text."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        wide = _wide_text(head)
        if not wide:
            raise ImportFileError("the file looks binary (NUL bytes), not CSV or XLSX")
        return wide
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=whole)
        return "utf-8"
    except UnicodeDecodeError:
        return ""


WIDE = ("utf-32-le", "utf-32-be", "utf-16-le", "utf-16-be")


def _wide_text(head: bytes) -> str:
    """UTF-16 or UTF-32 without a BOM, told by where the NUL bytes of its text fall: the one of
    `WIDE` that reads the sample as text with line breaks (no NUL, no other control character
    than tab and line ends), or "" when none does."""
    for encoding in WIDE:
        unit = 4 if "32" in encoding else 2
        try:
            text = head[: len(head) // unit * unit].decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\n" in text and not any(char < " " and char not in "\t\r\n" for char in text):
            return encoding
    return ""


SCAN_CHUNK = 1024 * 1024
# The lines holding bytes outside ASCII, gathered from the whole file, that the detector reads.
DETECT_SAMPLE = 1024 * 1024
# Candidates whose reading is this close to the best one's (charset-normalizer's "chaos", 0 to 1)
# are as likely as it: when they read the file differently, the encoding is not certain.
DETECT_TOLERANCE = 0.02
ASCII_TEXT = bytes(range(0x20, 0x7F)) + b"\t\r\n"


def file_encoding(path: Path, head: bytes, size: int, given: str | None = None) -> tuple[str, str]:
    """The encoding of the whole file, not of a sample, and how it was decided: as `given` (checked
    on every byte); UTF-8, UTF-16 or UTF-32 by a BOM; UTF-16 or UTF-32 by its NUL bytes; UTF-8 when
    every byte of the file is; else the guess of charset-normalizer over every line that is not
    ASCII, when no other candidate as likely reads the file differently (Windows' cp1252 first among
    equals). Refused, naming the candidates and asking for the encoding, when the guess is not
    certain; refused naming the line when the file is UTF-8 and then not (it mixes encodings)."""
    if given:
        return _given_encoding(path, head, given), "given"
    encoding = detect_encoding(head, whole=len(head) == size)
    if encoding in ("utf-16", "utf-32"):
        return encoding, "byte order mark"
    if encoding in WIDE:
        _check_decodes(path, encoding)
        return encoding, "NUL bytes of UTF-16 or UTF-32 text"
    if len(head) == size and encoding == "utf-8":
        return encoding, "UTF-8 throughout"  # a small file; any other is scanned below
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    ascii_so_far = True  # no multi-byte UTF-8 character before the current chunk
    with path.open("rb") as stream:
        while chunk := stream.read(SCAN_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                return _not_utf8(path, encoding, ascii_so_far and chunk[: error.start].isascii(), offset + error.start)
            ascii_so_far = ascii_so_far and chunk.isascii()
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return _not_utf8(path, encoding, ascii_so_far, offset)
    if encoding == "utf-8-sig":
        return encoding, "byte order mark"
    return "utf-8", "UTF-8 throughout"


def _given_encoding(path: Path, head: bytes, given: str) -> str:
    """The encoding the user gave, by Python's name for it, once every byte of the file reads in it."""
    try:
        name = codecs.lookup(given.strip()).name
    except LookupError:
        raise ImportFileError(f"unknown encoding '{given}' (for example utf-8, cp1252, shift_jis, cp1251)") from None
    if name == "utf-8" and head.startswith(codecs.BOM_UTF8):
        name = "utf-8-sig"
    _check_decodes(path, name)
    return name


def _check_decodes(path: Path, encoding: str) -> None:
    """Refuse, naming the line, a file some byte of which is not text in `encoding`."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with path.open("rb") as stream:
        try:
            while chunk := stream.read(SCAN_CHUNK):
                decoder.decode(chunk)
                offset += len(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as error:
            line = _line_at(path, offset + max(error.start, 0))
            raise ImportFileError(f"the file is not {encoding} text (line {line}): give its encoding") from None


def _not_utf8(path: Path, encoding: str, ascii_before: bool, at: int) -> tuple[str, str]:
    """A file that is not UTF-8 from byte `at`: decided by the detector (`_detected`) when nothing
    before was UTF-8 (beyond ASCII), else refused naming the line."""
    line = _line_at(path, at)
    if encoding == "utf-8-sig" or not ascii_before:
        raise ImportFileError(
            f"the file is UTF-8 up to line {line - 1} and then not (line {line} is in another encoding): "
            "it mixes encodings; save it as UTF-8"
        )
    return _detected(path)


def _lines_not_ascii(path: Path) -> bytes:
    """The file's lines that hold a byte outside ASCII, whole, until they pass `DETECT_SAMPLE`
    bytes: what tells one encoding from another, gathered over the whole file (a first accent may
    come late)."""
    found: list[bytes] = []
    kept = 0
    rest = b""
    with path.open("rb") as stream:
        while kept < DETECT_SAMPLE and (chunk := stream.read(SCAN_CHUNK)):
            lines = (rest + chunk).split(b"\n")
            rest = lines.pop()
            for line in lines:
                if not line.isascii():
                    found.append(line + b"\n")
                    kept += len(line) + 1
    if rest and not rest.isascii() and kept < DETECT_SAMPLE:
        found.append(rest)
    return b"".join(found)


# Windows' encodings for Western, Central European and Cyrillic text, and the usual ones of Japanese,
# Chinese and Korean files.
COMMON_ENCODINGS = ("cp1252", "cp1250", "cp1251", "cp932", "gb18030", "big5", "cp949")
# Beside letters, what Western text in cp1252 holds outside ASCII.
WESTERN_MARKS = frozenset("’‘“”–—…€£°«»·")


def _western(text: str) -> bool:
    """Whether text read as cp1252 looks Western: every character outside ASCII a letter or a mark
    of `WESTERN_MARKS` (Shift-JIS read as cp1252 gives ¾, ˜ and the like)."""
    return all(char.isascii() or char.isalpha() or char in WESTERN_MARKS for char in text)


def _detected(path: Path) -> tuple[str, str]:
    """The encoding of a file that is not UTF-8, by charset-normalizer (see `file_encoding`)."""
    from charset_normalizer import from_bytes
    from charset_normalizer.md import mess_ratio

    sample = _lines_not_ascii(path)
    chaos: dict[str, float] = {}
    for match in from_bytes(sample):
        chaos.setdefault(match.encoding, match.chaos)
    # The detector stops at its first good readings: the common encodings are judged too, so that
    # one of them reading the file as well is a reason for doubt, not left out.
    for encoding in COMMON_ENCODINGS:
        with contextlib.suppress(UnicodeDecodeError):
            chaos.setdefault(encoding, mess_ratio(sample.decode(encoding)))
    # Only encodings that read ASCII as ASCII (a CSV's delimiters and headers), and that read the sample.
    readings = {}
    for encoding in chaos:
        with contextlib.suppress(UnicodeDecodeError, LookupError):
            if ASCII_TEXT.decode(encoding) == ASCII_TEXT.decode("ascii"):
                readings[encoding] = sample.decode(encoding)
    if not readings:
        raise ImportFileError(
            "the file is not UTF-8, and no encoding known reads it as text: give its encoding (--encoding)"
        )
    best = min(chaos[encoding] for encoding in readings)
    likely = [encoding for encoding in readings if chaos[encoding] <= best + DETECT_TOLERANCE]
    confidence = f"confidence {1 - best:.2f}"
    western = "cp1252" in likely and _western(readings["cp1252"])
    others = [encoding for encoding in likely if encoding != "cp1252"]
    if western or (others and len({readings[encoding] for encoding in others}) == 1):
        chosen = "cp1252" if western else others[0]
        if len(sample) >= DETECT_SAMPLE:  # the lines past the sample must read too
            _check_decodes(path, chosen)
        among = "; cp1252 first among equals" if western and len(likely) > 1 else ""
        return chosen, f"detected by charset-normalizer ({confidence}{among})"
    listed = others or likely  # cp1252 named only when nothing else reads the file (not as Western text)
    lines = [readings[encoding].splitlines() for encoding in listed]
    differing = next((index for index, row in enumerate(zip(*lines, strict=False)) if len(set(row)) > 1), 0)
    shown = ", ".join(f"{encoding} ('{readings[encoding].splitlines()[differing][:30]}')" for encoding in listed[:4])
    raise ImportFileError(
        f"the file is not UTF-8, and its encoding cannot be told for certain: it reads as {shown}; "
        "give its encoding (--encoding, or the encoding field)"
    )


def _line_at(path: Path, at: int) -> int:
    """The physical line (from 1) holding byte `at`."""
    lines, done = 1, 0
    with path.open("rb") as stream:
        while done < at and (chunk := stream.read(min(SCAN_CHUNK, at - done))):
            lines += chunk.count(b"\n")
            done += len(chunk)
    return lines


def sniff_delimiter(first_line: str, *, strict: bool = False) -> str:
    """The most frequent of comma, semicolon and tab in the header line (comma on a tie; with
    `strict`, "" when the line has none)."""
    counts = {delimiter: first_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ("" if strict else ",")


def _longest_line(path: Path) -> int:
    """The length in bytes of the file's longest physical line (split on LF), scanned in chunks."""
    longest = current = 0
    with path.open("rb") as stream:
        while chunk := stream.read(SCAN_CHUNK):
            pieces = chunk.split(b"\n")
            current += len(pieces[0])
            if len(pieces) > 1:
                longest = max(longest, current, max(map(len, pieces[1:-1]), default=0))
                current = len(pieces[-1])
    return max(longest, current)


def mixed_encodings(encoding: str, line: int) -> str:
    return f"the file is not {encoding} text after line {line} (it mixes encodings); save it as UTF-8"


def _bounded_lines(text: io.TextIOBase) -> Iterator[str]:
    number = 0
    while True:
        number += 1
        try:
            line = text.readline(MAX_LINE + 1)
        except UnicodeDecodeError:
            # The sample read as this encoding; the rest of the file does not.
            raise ImportFileError(mixed_encodings(text.encoding, number - 1)) from None
        if not line:
            return
        if len(line) > MAX_LINE:
            raise ImportFileError(f"line {number} is longer than {MAX_LINE} characters")
        yield line


def _open_csv(path: Path, head: bytes, size: int, given: str | None = None) -> Table:
    encoding, encoding_by = file_encoding(path, head, size, given)
    raw = path.open("rb")
    text = io.TextIOWrapper(raw, encoding=encoding, newline="")
    try:
        # No line over MAX_LINE (in bytes, so in characters too): a first pass may give the file to
        # the csv module whole (`data_rows`).
        short = not encoding.startswith(("utf-16", "utf-32")) and _longest_line(path) <= MAX_LINE
        # Short lines: the csv module reads the file itself (a tenth quicker), no line to bound.
        lines = text if short else _bounded_lines(text)
        first_lines = list(itertools.islice(lines, HEADER_SEARCH))
        # Spreadsheet programs may write a hint line, `sep=;`, before the header.
        hint = first_lines[0].strip().strip('"') if first_lines else ""
        skipped = 1 if hint[:4].lower() == "sep=" and len(hint) == 5 else 0
        shown = first_lines[skipped:]
        if shown and sum(1 for char in shown[0] if char < " " and char not in "\t\r\n"):
            raise ImportFileError("the file looks binary (control characters in the header), not CSV")
        if skipped:
            delimiter = hint[4]
        else:
            # Decided on the first line that has any (a title row above the header may have none).
            delimiter = sniff_delimiter(next((line for line in shown if sniff_delimiter(line, strict=True)), ""))
        # A cell over MAX_CELL rejects its row when its column is imported (`validation`); the
        # reader only bounds memory.
        csv.field_size_limit(MAX_LINE)
        reader = csv.reader(itertools.chain(shown, lines), delimiter=delimiter)

        def numbered() -> Iterator[tuple[int, list[str]]]:
            line = skipped + 1
            while (cells := _next_row(reader, text.encoding)) is not None:
                yield line, cells
                line = skipped + reader.line_num + 1

        rows_read = numbered()
        header_line, header, after = _find_header(rows_read)
    except BaseException:
        text.close()
        raise
    if not any(cell.strip() for cell in header):
        text.close()
        raise ImportFileError(f"{path.name} has no header row")
    header = [cell.strip() for cell in header]
    _check_width(header, header_line)

    def rows() -> Iterator[tuple[int, list[str]]]:
        with text:
            for line, cells in itertools.chain(after, rows_read):
                if len(cells) > MAX_COLUMNS:
                    _check_width(cells, line)
                if any(cells):
                    yield line, cells

    position = lambda: raw.tell() / size if not raw.closed else 1  # noqa: E731
    table = Table(header, rows(), "csv", encoding, delimiter, size, position, header_line=header_line)
    table.short_lines, table.encoding_by = short, encoding_by
    return table


def data_rows(path: str | Path, table: Table) -> Iterator[tuple[int, list[str]]]:
    """The data rows of a table opened before, read again for a first pass over the file (see
    `dates`): as `table.rows` gives them, and for a CSV file of short lines faster, the csv
    module reading the file itself (the rows may then include empty ones)."""
    if table.format != "csv" or not table.short_lines:
        yield from open_table(path, sheet=table.sheet or None, encoding=table.encoding or None).rows
        return
    with open(path, newline="", encoding=table.encoding) as text:
        reader = csv.reader(text, delimiter=table.delimiter)
        end = 0
        for cells in reader:
            start, end = end + 1, reader.line_num  # physical lines, as a spreadsheet numbers them
            if start > table.header_line:
                yield start, cells


def _next_row(reader, encoding: str) -> list[str] | None:
    try:
        return next(reader)
    except StopIteration:
        return None
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise ImportFileError(f"line {reader.line_num}: a cell is longer than {MAX_LINE} characters") from None
        raise ImportFileError(f"line {reader.line_num}: {error}") from None
    except UnicodeDecodeError:
        # The sample read as this encoding; the rest of the file does not.
        raise ImportFileError(mixed_encodings(encoding, reader.line_num)) from None


def _check_width(cells: list, line: int) -> None:
    if len(cells) > MAX_COLUMNS:
        raise ImportFileError(f"line {line} has {len(cells)} columns, more than {MAX_COLUMNS}")


def check_zip(path: Path) -> None:
    """Refuse an XLSX whose parts would inflate beyond the limits, before anything is decompressed.

    Python's zipfile stops each part at its declared size, so the declared sizes bound the work.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise ImportFileError(f"{path.name} is not a valid XLSX (zip) file") from None
    total = sum(member.file_size for member in members)
    if total > MAX_XLSX_UNCOMPRESSED:
        raise ImportFileError(f"{path.name} would inflate to {total / 1e9:.1f} GB: refused as a zip bomb")
    for member in members:
        if member.file_size > 1024 * 1024 and member.file_size > MAX_XLSX_RATIO * max(member.compress_size, 1):
            raise ImportFileError(f"{path.name} is compressed over {MAX_XLSX_RATIO}:1: refused as a zip bomb")


# The values a spreadsheet shows for a formula it could not compute; a CSV saved by it holds them as text.
SPREADSHEET_ERRORS = frozenset(
    {"#N/A", "#REF!", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!", "#GETTING_DATA"}
)


class CellProblem(str):
    """An XLSX cell whose value cannot be read: its text as the sheet shows it (a spreadsheet error
    such as `#N/A`, or empty for a formula whose value was never saved) and why, naming the cell.
    A row in which it fills an imported column is rejected (`validation`); elsewhere it is ignored.
    True even when empty, so that a row of such cells is not taken for an empty row."""

    reason: str

    def __new__(cls, text: str, reason: str) -> CellProblem:
        problem = super().__new__(cls, text)
        problem.reason = reason
        return problem

    def __bool__(self) -> bool:
        return True

    def __reduce__(self):
        return CellProblem, (str(self), self.reason)


# The types a cell with a formula and an empty value has when the formula's value was saved as
# empty text; any other such cell's formula was never computed (see `_SavedValueParser`).
_EMPTY_TEXT_TYPES = frozenset({"str", "inlineStr", "s"})


def _saved_value_parser():
    """openpyxl's sheet parser for read-only, values-only reading, which marks a formula cell with
    no saved value (a file written by a program that does not compute formulas, openpyxl itself
    say) with the data type 'f' and its formula as the value, where openpyxl gives an empty cell.
    Only cells with no value are
    looked at again, so reading costs what it did."""
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    class _SavedValueParser(WorkSheetParser):
        def parse_row(self, row):
            number, cells = super().parse_row(row)
            if self.data_only:
                for index, cell in enumerate(cells):
                    if cell["value"] is None and cell["data_type"] not in _EMPTY_TEXT_TYPES:
                        formula = row[index].find(FORMULA_TAG)
                        if formula is not None:  # its text, so that the errors file repeats it
                            cell["data_type"], cell["value"] = "f", "=" + (formula.text or "")
            return number, cells

    return _SavedValueParser


@functools.cache
def _install_saved_value_parser() -> None:
    """Read-only sheets parse with `_saved_value_parser` (the module looks its parser up by name)."""
    from openpyxl.worksheet import _read_only

    _read_only.WorkSheetParser = _saved_value_parser()


def _unreadable(cell) -> CellProblem | None:
    """The problem of a cell openpyxl reads as an error value or as a formula never computed."""
    kind = cell.data_type
    if kind == "e":
        return CellProblem(str(cell.value), f"cell {cell.coordinate} holds the spreadsheet error {cell.value}")
    if kind == "f":
        reason = (
            f"cell {cell.coordinate} holds a formula with no saved value (the program that wrote the file "
            "did not compute it): open the file in a spreadsheet program and save it"
        )
        return CellProblem(str(cell.value or ""), reason)  # the formula: the errors file repeats it
    return None


class WorkbookDate(str):
    """An XLSX cell that holds a date (or a date and time) rather than text: its ISO 8601 text, marked
    so that the import can say the column's dates came as dates (`dates`), with no order to decide."""

    __slots__ = ()


def _xlsx_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@functools.lru_cache(maxsize=256)
def _placeholders(number_format: str) -> tuple[tuple[bool, str], ...] | None:
    """The tokens of a number format made of digit placeholders (0, #, ?) and literal text (quoted,
    escaped, or spaces, dashes, brackets, slashes, plus): `00000`, `0##########`, `(000) 000-0000`.
    None for any other format (decimals, thousands, exponents, dates, colours, text): shown as is."""
    section = number_format.split(";")[0]
    tokens: list[tuple[bool, str]] = []  # (a digit placeholder?, its character)
    index = 0
    while index < len(section):
        char = section[index]
        if char == '"':
            end = section.find('"', index + 1)
            if end < 0:
                return None
            tokens.extend((False, char) for char in section[index + 1 : end])
            index = end + 1
            continue
        if char == "\\" and index + 1 < len(section):
            tokens.append((False, section[index + 1]))
            index += 2
            continue
        if char in "0#?" or char in " -()/+":
            tokens.append((char in "0#?", char))
        else:
            return None
        index += 1
    return tuple(tokens) if any(placeholder for placeholder, _char in tokens) else None


def shown_integer(value: int, number_format: str) -> str | None:
    """A whole number as its cell's number format shows it, when the format is one of digit
    placeholders (`00000` shows 2138 as 02138, `0##########` shows 7911123458 as 07911123458);
    None otherwise. Digits beyond the placeholders go before the first one, as a spreadsheet does."""
    tokens = _placeholders(number_format)
    if tokens is None:
        return None
    digits = str(abs(value))
    shown: list[str] = []
    first = next(i for i, (placeholder, _char) in enumerate(tokens) if placeholder)
    for position in range(len(tokens) - 1, -1, -1):
        placeholder, char = tokens[position]
        if not placeholder:
            shown.append(char)
            continue
        if position == first and digits:
            shown.append(digits)
            digits = ""
        elif digits:
            shown.append(digits[-1])
            digits = digits[:-1]
        elif char == "0":
            shown.append("0")
        elif char == "?":
            shown.append(" ")
    return ("-" if value < 0 else "") + "".join(reversed(shown)).strip()


def _xlsx_cell_text(cell) -> str:
    """A cell as text, as the sheet shows it for whole numbers with a number format of digit
    placeholders: a postcode 2138 formatted `00000` is 02138, a phone keeps its leading zero."""
    value = cell.value
    kind = type(value)
    if value is None or (kind is str and value[:1] in ("#", "=")):  # an error, or a formula never computed
        return _unreadable(cell) or _xlsx_text(value)
    if (kind is int or (kind is float and value.is_integer())) and (number_format := cell.number_format) != "General":
        shown = shown_integer(int(value), number_format)
        if shown is not None:
            return shown
    if kind is dt.datetime or kind is dt.date:
        return WorkbookDate(_xlsx_text(value))
    return _xlsx_text(value)


def _choose_sheet(workbook, path: Path, wanted: str | None):
    """The sheet named `wanted`; else the active sheet if its headers are recognised, else the
    first sheet whose headers are, else the active one."""
    sheets = workbook.worksheets
    if wanted:
        for sheet in sheets:
            if sheet.title == wanted or sheet.title.casefold() == wanted.casefold():
                return sheet
        names = ", ".join(f"'{sheet.title}'" for sheet in sheets)
        raise ImportFileError(f"{path.name} has no sheet '{wanted}' (its sheets: {names})")
    active = workbook.active if workbook.active in sheets else sheets[0]
    for sheet in [active, *(sheet for sheet in sheets if sheet is not active)]:
        looked = itertools.islice(sheet.iter_rows(values_only=True, max_row=HEADER_SEARCH), HEADER_SEARCH)
        if any(looks_like_header([_xlsx_text(value).strip() for value in row]) for row in looked):
            return sheet
    return active


def _open_xlsx(path: Path, size: int, wanted: str | None = None) -> Table:
    check_zip(path)
    import openpyxl

    _install_saved_value_parser()

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:
        raise ImportFileError(f"{path.name} is not a readable XLSX file ({type(error).__name__})") from None
    try:
        sheet = _choose_sheet(workbook, path, wanted)
    except ImportFileError:
        workbook.close()
        raise
    except Exception as error:
        workbook.close()
        raise ImportFileError(f"{path.name}: {type(error).__name__} while reading the sheets") from None
    total = sheet.max_row or 0
    done = [0]
    # Cells, not values: a number's format says how the sheet shows it (a leading zero).
    values = sheet.iter_rows()

    def cells_of(row: tuple) -> list[str]:
        width = len(row)
        while width and row[width - 1].value is None and row[width - 1].data_type != "f":
            width -= 1
        return [_xlsx_cell_text(cell) for cell in row[:width]]

    def numbered() -> Iterator[tuple[int, list[str]]]:
        for number, row in enumerate(values, start=1):
            done[0] = number
            if len(row) > MAX_COLUMNS and any(cell.value is not None for cell in row[MAX_COLUMNS:]):
                _check_width(row, number)
            yield number, cells_of(row[:MAX_COLUMNS])

    rows_read = numbered()
    try:
        header_line, header_row, after = _find_header(rows_read)
    except ImportFileError:
        workbook.close()
        raise
    except Exception as error:
        workbook.close()
        raise ImportFileError(f"{path.name}: {type(error).__name__} while reading the sheet") from None
    header = [cell.strip() for cell in header_row]
    if not any(header):
        workbook.close()
        raise ImportFileError(f"{path.name} has no header row (sheet '{sheet.title}')")
    _check_width(header, header_line)

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for number, cells in itertools.chain(after, rows_read):
                if any(cells):
                    yield number, cells
        finally:
            workbook.close()

    position = lambda: done[0] / total if total else 0.0  # noqa: E731
    return Table(header, rows(), "xlsx", size=size, _position=position, sheet=sheet.title, header_line=header_line)
