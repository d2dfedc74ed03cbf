"""The report form of a directive: its definition (fields of type number, text, choice, date and
file, with required flags) checked when the directive is written, and a unit's values checked
against it. Plain Python, no database: every refusal names the field."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from grassroots.errors import ActionRefused

TYPES = ("number", "text", "choice", "date", "file")
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_ -]{0,79}$")
TEXT_LIMIT = 10_000
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
# A number as people write it: digits with an optional sign, decimal point and exponent (no
# underscores, which Python's own parsers accept, no infinity or NaN).
NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")


def checked_form(fields: object) -> list[dict]:
    """The form definition as stored: `[{"name", "type", "required", "choices"}]`, in order.
    Refuses (naming the field) a name that is missing, repeated or not a short name, an unknown
    type, a choice field without choices, or choices on another type."""
    if fields is None:
        return []
    if not isinstance(fields, list):
        raise ActionRefused("form: must be a list of fields, each {name, type, required, choices}", field="form")
    checked: list[dict] = []
    names: set[str] = set()
    for number, field in enumerate(fields, start=1):
        where = f"form field {number}"
        if not isinstance(field, dict):
            raise ActionRefused(f"{where}: must be a mapping with name and type", field="form")
        unknown = sorted(set(field) - {"name", "type", "required", "choices"})
        name = field.get("name")
        if not isinstance(name, str) or not NAME.match(name.strip()):
            raise ActionRefused(
                f"{where}: name '{name}' must start with a letter and hold at most 80 letters, digits, spaces, - or _",
                field="form",
            )
        name = name.strip()
        where = f"form field '{name}'"
        if unknown:
            raise ActionRefused(f"{where}: unknown key {', '.join(unknown)}", field="form")
        if name.lower() in names:
            raise ActionRefused(f"{where}: the name is used twice", field="form")
        names.add(name.lower())
        kind = field.get("type")
        if kind not in TYPES:
            raise ActionRefused(f"{where}: type '{kind}' is not one of {', '.join(TYPES)}", field="form")
        required = field.get("required", False)
        if not isinstance(required, bool):
            raise ActionRefused(f"{where}: required must be true or false", field="form")
        choices = field.get("choices")
        if kind == "choice":
            if not isinstance(choices, list) or not choices or not all(isinstance(c, str) and c for c in choices):
                raise ActionRefused(f"{where}: a choice field needs a list of choices (text)", field="form")
            if len(set(choices)) != len(choices):
                raise ActionRefused(f"{where}: a choice is listed twice", field="form")
        elif choices is not None:
            raise ActionRefused(f"{where}: only a choice field has choices", field="form")
        entry: dict = {"name": name, "type": kind, "required": required}
        if kind == "choice":
            entry["choices"] = list(choices)  # type: ignore[arg-type]
        checked.append(entry)
    return checked


def numeric_fields(form: list[dict]) -> list[str]:
    """The names of the form's number fields, which the roll-up sums."""
    return [field["name"] for field in form if field["type"] == "number"]


def file_fields(form: list[dict]) -> list[str]:
    """The names of the form's file fields, whose values are stored files."""
    return [field["name"] for field in form if field["type"] == "file"]


def stored_file_name(field: str, filename: str) -> str:
    """The name a file uploaded for `field` is stored under: `<field>-<file name>`, both reduced to
    letters, digits, `.`, `_` and `-` (so no directory part), the file name to its last 100."""
    return f"{SAFE_NAME.sub('_', field)}-{SAFE_NAME.sub('_', filename)[-100:] or 'file'}"


def uploaded_file_name(field: str, stored: str) -> str:
    """The file name to offer for download: the stored name without its field prefix."""
    return stored.removeprefix(SAFE_NAME.sub("_", field) + "-") or "file"


def checked_values(form: list[dict], values: dict[str, object]) -> dict[str, object]:
    """A unit's values as they are stored: numbers as int or float, dates as YYYY-MM-DD, choices
    as one of theirs, text trimmed; file fields keep what the caller put there (the action stores
    the file). Refuses a field the form does not have, a required field left empty, and a value of
    the wrong type, naming the field. An empty value of an optional field is left out."""
    by_name = {field["name"]: field for field in form}
    unknown = sorted(set(values) - set(by_name))
    if unknown:
        raise ActionRefused(
            f"{unknown[0]}: the report form has no such field"
            + (f" (its fields: {', '.join(by_name)})" if by_name else " (the directive has no report form)"),
            field=unknown[0],
        )
    checked: dict[str, object] = {}
    for name, field in by_name.items():
        value = values.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if field["required"]:
                raise ActionRefused(f"{name}: required", field=name)
            continue
        checked[name] = _value(field, value)
    return checked


def _value(field: dict, value: object) -> object:
    name, kind = field["name"], field["type"]
    if kind == "number":
        if isinstance(value, bool):  # JSON true/false, which Python would count as 1 and 0
            raise ActionRefused(f"{name}: {str(value).lower()} is not a number", field=name)
        text = str(value).strip()
        if not isinstance(value, int | float) and not NUMBER.match(text):  # no 1_000, no NaN
            raise ActionRefused(f"{name}: '{value}' is not a number", field=name)
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ActionRefused(f"{name}: '{value}' is not a number", field=name) from None
        if not number.is_finite() or abs(number) >= Decimal("1e15"):
            raise ActionRefused(f"{name}: '{value}' is not a number below 10^15", field=name)
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "date":
        try:
            return dt.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise ActionRefused(f"{name}: '{value}' is not a date (YYYY-MM-DD)", field=name) from None
    if kind == "choice":
        if value not in field["choices"]:
            raise ActionRefused(f"{name}: '{value}' is not one of {', '.join(field['choices'])}", field=name)
        return value
    if kind == "text":
        text = str(value).strip()
        if len(text) > TEXT_LIMIT:
            raise ActionRefused(f"{name}: at most {TEXT_LIMIT} characters ({len(text)} given)", field=name)
        return text
    return value  # a file: stored by the action
