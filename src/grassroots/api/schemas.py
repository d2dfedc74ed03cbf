"""Shapes shared by every router of the API: request bodies, dates, text, and the error bodies.

Input schemas forbid unknown keys, so a body cannot try to set what the API decides itself
(the organization, a primary key, a unit's state): such a body gets 422 naming the key.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, Schema
from pydantic import BeforeValidator, ConfigDict, PlainValidator, WithJsonSchema, field_validator

# A person id in a body: a positive 64-bit integer, so a number no database row could have is a
# 422 here rather than an overflow in the database driver.
PersonId = Annotated[int, Field(ge=1, le=2**63 - 1)]


def _iso_date(value: object) -> dt.date:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError("must be a date written YYYY-MM-DD")


# A date given as input: only an ISO date string (pydantic alone would also take a number as a
# Unix timestamp, which no one writing a date means).
IsoDate = Annotated[dt.date, PlainValidator(_iso_date), WithJsonSchema({"type": "string", "format": "date"})]


MONTH_OR_DATE = "^([1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])-(0[1-9]|1[0-2])$"


def _month_or_date(value: object) -> str:
    if isinstance(value, str) and len(value) == 7:
        try:
            dt.date.fromisoformat(value + "-01")
            return value
        except ValueError:
            pass
    return _iso_date(value).isoformat()


# A period's bound: a day (YYYY-MM-DD) or a whole month (YYYY-MM), kept as written.
MonthOrDate = Annotated[
    str,
    PlainValidator(_month_or_date),
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "pattern": MONTH_OR_DATE}]}),
]


NO_NUL = "^[^\\x00]*$"
# Free text in a query: no NUL characters, which PostgreSQL cannot compare and no person types.
Text = Annotated[str, Field(pattern=NO_NUL)]


def _document_no_nul(schema: dict, model: type) -> None:
    """Say in the OpenAPI schema what `_no_nul_characters` enforces, for every text property."""
    for prop in schema.get("properties", {}).values():
        for branch in [prop, *prop.get("anyOf", [])]:
            if branch.get("type") == "string" and "format" not in branch and "enum" not in branch:
                branch.setdefault("pattern", NO_NUL)


class Body(Schema):
    """Base of every request body: unknown keys are refused rather than silently dropped, and text
    with NUL characters (which PostgreSQL cannot store, and no person types) is refused by name."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_document_no_nul)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul_characters(cls, value: object) -> object:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


# Error bodies, as the handlers in grassroots/api/errors.py write them.


class ErrorOut(Schema):
    detail: str


class RefusalOut(Schema):
    detail: str = Field(description="What was refused and, after a colon, every reason.")
    reasons: list[str] = Field(description="Every rule or check that failed.")
    field: str | None = Field(description="The body key the refusal is about, when there is one.")
    errors: list[dict] | None = Field(
        None, description="When several fields are refused at once: one entry each, `loc`, `msg`, `type`."
    )


class InvalidOut(Schema):
    detail: str = Field(description="Every error, `name: why`, joined by '; '.")
    errors: list[dict] = Field(description="One entry per wrong field: `loc` (where), `msg` (why), `type`.")
    field: str | None = Field(None, description="The first wrong body key, when one is named.")


# Any request may carry a malformed parameter (a page offset, a path id), answered 422.
READ_ERRORS = {401: ErrorOut, 404: ErrorOut, 422: InvalidOut}
QUERY_ERRORS = READ_ERRORS
# A read for a day: one after today in the organization's zone or before 1900-01-01 is refused
# (409), naming the parameter, as no figures are recorded for it.
DAY_ERRORS = {**READ_ERRORS, 409: RefusalOut}
# A body over its route's limit (`middleware`, `GRASSROOTS_BODY_LIMITS`) is refused, 413, before any view reads it.
WRITE_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: RefusalOut, 413: InvalidOut, 422: InvalidOut}


def not_a_boolean(value: object) -> object:
    """Refuse JSON's true and false where a number is wanted (Python would count them as 1 and 0);
    a whole number written 3.0 stays a number, as JSON Schema's `integer` allows."""
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    return value


NOT_A_BOOLEAN = BeforeValidator(not_a_boolean)
# A whole number of a body: never true or false. With bounds, `Annotated[int, Field(ge=..,
# le=..), NOT_A_BOOLEAN]`: the bounds before the validator, or the schema shows them as unknown keys.
Whole = Annotated[int, NOT_A_BOOLEAN]
