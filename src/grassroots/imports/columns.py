"""Which column of a member file holds which field of a person: recognised headers, or a mapping file.

Plain Python, no database. The aliases cover common spreadsheet headers and the column names of
Action Network, CiviCRM and NationBuilder files: NationBuilder's documented people fields
(first_name, last_name, phone_number, work_phone_number, mobile_number, address1-3, zip,
recruiter_name_or_email, membership_started_at), CiviCRM's export labels (Display Name, Street
Address, Supplemental Address 1, Postal Code, Member Since, Membership Status) and Action
Network's report columns (zip_code and its can2_ fields). An explicit mapping overrides them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .reading import Table

FIELDS = (
    "id",
    "first_name",
    "last_name",
    "name",
    "email",
    "phone",
    "mobile",
    "address",
    "address1",
    "address2",
    "address3",
    "city",
    "postcode",
    "unit",
    "status",
    "joined",
    "ended",
    "recruiter",
)
IGNORE = "ignore"
SAY_WHICH = "say which column holds it (a mapping file, or the fields on the import page)"

ALIASES: dict[str, tuple[str, ...]] = {
    # A person's number here (an export's first column): a row carrying it matches that person.
    "id": ("id", "person_id", "person_number"),
    "first_name": ("first_name", "firstname", "first", "given_name", "forename", "forenames"),
    "last_name": ("last_name", "lastname", "last", "surname", "family_name"),
    "name": ("name", "full_name", "fullname", "display_name", "member_name", "contact_name"),
    "email": ("email", "email_address", "e_mail", "mail", "email_1", "primary_email", "email1"),
    "phone": (
        "phone",
        "phone_number",
        "telephone",
        "tel",
        "can2_phone",  # Action Network
        "primary_phone",
        "home_phone",
        "work_phone",
        "phone_primary",
        "work_phone_number",  # NationBuilder
    ),
    "mobile": ("mobile", "mobile_number", "mobile_phone", "cell", "cell_phone", "can2_sms_phone", "sms_phone"),
    "address": ("address", "full_address", "postal_address"),
    "address1": (
        "address1",
        "address_1",
        "address_line_1",
        "street",
        "street_address",  # CiviCRM
        "primary_address1",  # NationBuilder
        "can2_user_address",  # Action Network
        "address_line1",
    ),
    "address2": (
        "address2",
        "address_2",
        "address_line_2",
        "supplemental_address_1",  # CiviCRM
        "primary_address2",
        "address_line2",
    ),
    "address3": ("address3", "address_3", "address_line_3", "supplemental_address_2", "primary_address3"),
    "city": ("city", "town", "primary_city", "can2_user_city", "locality"),
    "postcode": (
        "postcode",
        "post_code",
        "postal_code",  # CiviCRM
        "zip",
        "zip_code",  # Action Network
        "zipcode",
        "primary_zip",  # NationBuilder
    ),
    "unit": (
        "unit",
        "branch",
        "basic_unit",
        "committee",
        "cell",
        "unit_slug",
        "unit_path",
        "chapter",
        "building",  # a tenants' federation's building committee
        "building_committee",
        "workplace",  # a union's workplace committee
        "workplace_committee",
    ),
    "status": ("status", "member_status", "membership_status"),
    "joined": (
        "joined",
        "join_date",
        "joined_on",
        "joined_at",
        "start",
        "start_date",
        "member_since",  # CiviCRM
        "membership_start_date",
        "membership_started_at",  # NationBuilder
        "date_joined",
    ),
    "ended": ("ended", "ended_on", "end_date", "left", "left_on", "membership_end_date", "membership_ended_at"),
    "recruiter": (
        "recruiter",
        "recruited_by",
        "recruiter_email",
        "recruiter_phone",
        "recruiter_name_or_email",  # NationBuilder
        "referrer",
    ),
}
# "cell" is ambiguous (a phone in the US, a unit in a party); a unit wins, as the organization's word.
_LOOKUP = {alias: name for name, aliases in ALIASES.items() for alias in aliases if (alias, name) != ("cell", "mobile")}


def header_key(header: str) -> str:
    """'First Name', 'first-name' and 'FIRST_NAME' all become 'first_name'."""
    return re.sub(r"[^0-9a-z]+", "_", header.strip().lower()).strip("_")


class MappingError(ValueError):
    """A mapping file or the file's columns cannot give a usable mapping; one line for the user."""


@dataclass
class ColumnMap:
    """For each field, the column indexes holding it (several phone columns: the first non-empty wins)."""

    columns: dict[str, list[int]] = field(default_factory=dict)
    header: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)  # the field of each column, IGNORE when none
    mapped_to_ignore: set[str] = field(default_factory=set)  # headers an explicit mapping ignores

    def as_pairs(self) -> list[list[str]]:
        """[header, field] for every named column, in the file's order (a JSON list keeps the
        order; PostgreSQL's jsonb objects do not): as a dict, a mapping giving this map again."""
        return [[title, name] for title, name in zip(self.header, self.fields, strict=True) if title]

    def first(self, name: str) -> int | None:
        indexes = self.columns.get(name)
        return indexes[0] if indexes else None

    def header_of(self, name: str) -> str:
        index = self.first(name)
        return self.header[index] if index is not None else name


def load_mapping(path: str | Path) -> dict[str, str]:
    """Read a YAML mapping file: {column header: field} (a field of FIELDS, or 'ignore')."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise MappingError(f"mapping file {Path(path).name}: {str(error).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise MappingError(f"mapping file {Path(path).name}: expected 'column header: field' lines")
    mapping = {}
    for header, name in data.items():
        name = IGNORE if name is None else str(name)
        if name not in FIELDS and name != IGNORE:
            raise MappingError(f"mapping file: '{name}' is not a field ({', '.join(FIELDS)} or ignore)")
        mapping[str(header)] = name
    return mapping


def recognise_columns(header: list[str], mapping: dict[str, str] | None = None) -> ColumnMap:
    """Map each header to a field: the explicit mapping first, then the recognised names; no
    check that the fields a row needs are there (see `map_columns`). Raises `MappingError` when
    the mapping names a column the file does not have, naming it and the file's columns."""
    explicit = {header_key(key): name for key, name in (mapping or {}).items()}
    keys = {header_key(title) for title in header}
    if missing := [key for key in (mapping or {}) if header_key(key) not in keys]:
        named = ", ".join(f"'{title}'" for title in header if title.strip())
        raise MappingError(
            f"the mapping names column '{missing[0]}', which the file does not have (its columns: {named})"
        )
    result = ColumnMap(header=list(header))
    for index, title in enumerate(header):
        key = header_key(title)
        name = explicit.get(key) or _LOOKUP.get(key)
        result.fields.append(name or IGNORE)
        if explicit.get(key) == IGNORE and title and key in _LOOKUP:
            # Only a column that would otherwise fill a field is "ignored by the mapping": a mapping
            # that repeats "ignore" for a header no field has (as the import page's does) changes nothing.
            result.mapped_to_ignore.add(title)
        if name is None or name == IGNORE:
            if title:
                result.unmapped.append(title)
            continue
        result.columns.setdefault(name, []).append(index)
    if "mobile" in result.columns:
        # A person has one phone number: the phone columns first, then the mobile ones.
        result.columns.setdefault("phone", []).extend(result.columns.pop("mobile"))
    return result


# Fields a file may give in several columns, the first non-empty winning: a person's numbers.
SEVERAL_COLUMNS = frozenset({"phone", "mobile"})


def map_columns(header: list[str], mapping: dict[str, str] | None = None) -> ColumnMap:
    """The columns of the file (see `recognise_columns`); refused without a name or a unit column,
    and when two columns would fill one field (other than phone numbers), naming both."""
    result = recognise_columns(header, mapping)
    for name, indexes in result.columns.items():
        if name not in SEVERAL_COLUMNS and len(indexes) > 1:
            first, second = (result.header[index] for index in indexes[:2])
            raise MappingError(f"columns '{first}' and '{second}' both fill the field {name}; {SAY_WHICH}")
    has_name = "name" in result.columns or "first_name" in result.columns or "last_name" in result.columns
    if not has_name:
        raise MappingError(f"no name column (first and last name, or full name); {SAY_WHICH}")
    if "unit" not in result.columns:
        raise MappingError(f"no unit column: every imported person joins a basic unit; {SAY_WHICH}")
    return result


def columns_of(table: Table, mapping: dict[str, str] | None) -> ColumnMap:
    """The file's columns (`map_columns`); a refusal says which sheet of a workbook was read."""
    try:
        return map_columns(table.header, mapping)
    except MappingError as error:
        if table.sheet:
            raise MappingError(f"sheet '{table.sheet}' (row {table.header_line}): {error}") from None
        raise


def column_letter(index: int) -> str:
    """The column's name as a spreadsheet program shows it: 0 is A, 25 is Z, 26 is AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


class IgnoredColumns:
    """The columns of a file the import does not read, counted over every row so the user learns
    what was left out: a column with no header that holds values, and every named column that maps
    to no field (a header not recognised, or one a mapping says to ignore). A column with neither a
    header nor a value (spreadsheet programs write them) is left out."""

    def __init__(self, columns: ColumnMap):
        self.columns = columns
        self.indexes = [index for index, name in enumerate(columns.fields) if name == IGNORE]
        self.values = [0] * len(self.indexes)

    def counting(self, rows: Iterator[tuple[int, list]]) -> Iterator[tuple[int, list]]:
        """The same rows, counting the values (cells not empty) of each ignored column as they pass
        (the rows themselves when no column is ignored: a first pass costs nothing more)."""
        return self._counted(rows) if self.indexes else rows

    def _counted(self, rows: Iterable[tuple[int, list]]) -> Iterator[tuple[int, list]]:
        watched = list(enumerate(self.indexes))
        values = self.values
        for line, cells in rows:
            width = len(cells)
            for slot, index in watched:
                if index < width and (cell := cells[index]) and (type(cell) is not str or cell.strip()):
                    values[slot] += 1
            yield line, cells

    def as_json(self) -> list[dict[str, object]]:
        """`[{"column": "C", "header": "", "reason": "no header", "values": 1}, ...]` in the file's
        order; reason is "no header", "not a field" or "ignored by the mapping"."""
        ignored = []
        for index, values in zip(self.indexes, self.values, strict=True):
            header = self.columns.header[index]
            if not header.strip():
                if not values:
                    continue
                reason = "no header"
            else:
                reason = "ignored by the mapping" if header in self.columns.mapped_to_ignore else "not a field"
            ignored.append({"column": column_letter(index), "header": header, "reason": reason, "values": values})
        return ignored


def how_ignored(column: dict) -> str:
    """One ignored column as a line says it: "column C (no header, 1 value)", "column D 'Notes'
    (not a field, 3 values)"."""
    named = f" '{column['header']}'" if column["header"] else ""
    values = column["values"]
    return f"column {column['column']}{named} ({column['reason']}, {values} value{'' if values == 1 else 's'})"
