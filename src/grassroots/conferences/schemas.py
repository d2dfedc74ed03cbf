"""Request and response bodies of the conferences API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field

from grassroots.api.schemas import NOT_A_BOOLEAN, Body, IsoDate, Whole

Method = Literal["hamilton", "dhondt", "sainte-lague", "huntington-hill", "per", "brackets"]


class ConferenceIn(Body):
    unit: str = Field(max_length=80, description="Slug of the convening committee or top unit.")
    name: str = Field(min_length=1, max_length=200)
    cutoff: IsoDate = Field(description="Members are counted as they stood on this day.")
    method: Method | None = Field(
        default=None,
        description="The rule; absent: the constitution's (conferences.apportionment), with none of its parameters.",
    )
    seats: Annotated[int, Field(ge=0, le=1_000_000), NOT_A_BOOLEAN] | None = Field(
        default=None, description="With a house-size method."
    )
    minimum: Annotated[int, Field(ge=0, le=1_000_000), NOT_A_BOOLEAN] | None = Field(
        default=None, description="Seats every unit gets at least (absent: 0, or the constitution's with no method)."
    )
    maximum: Annotated[int, Field(ge=1, le=1_000_000), NOT_A_BOOLEAN] | None = Field(
        default=None, description="Seats a unit gets at most."
    )
    per: Annotated[int, Field(ge=0, le=1_000_000_000), NOT_A_BOOLEAN] | None = Field(
        default=None, description="With per: one delegate per N."
    )
    rounding: str | None = Field(
        default=None, max_length=20, description="With per: floor (the default), ceiling, half-up, major-fraction."
    )
    brackets: str = Field(default="", max_length=10_000, description="With brackets: '1-14: 1' a line.")
    starts_on: IsoDate | None = None
    ends_on: IsoDate | None = None
    place: str = Field(default="", max_length=200)
    statuses: list[str] | None = Field(
        default=None, max_length=50, description="Statuses counted in good standing (default: the constitution's)."
    )
    minimum_tenure_days: Whole = Field(default=0, ge=0, le=100_000)
    standing: bool = Field(
        default=False,
        description="Count only members in good standing on the cut-off by the constitution's meetings rule.",
    )
    delegation_kind: str = Field(
        default="", max_length=60, description="The kind of unit that sends delegations (default: the basic units)."
    )
    seed: str | None = Field(default=None, max_length=64, description="Seed of the lot (default: random).")
    votes_per_delegate: Annotated[int, Field(ge=1, le=1_000_000), NOT_A_BOOLEAN] | None = Field(
        default=None,
        description="Weighted delegates: at most this many member votes each.",
    )


class ConferenceStatusIn(Body):
    status: Literal["credentialing", "in_session", "closed"]


class ConferenceOut(Schema):
    id: int
    unit: str
    name: str
    cutoff: dt.date
    starts_on: dt.date | None
    ends_on: dt.date | None
    place: str
    statuses: list[str]
    minimum_tenure_days: int
    standing: bool
    delegation_kind: str
    votes_per_delegate: int | None
    method: str
    seats: int | None
    minimum_seats: int
    maximum_seats: int | None
    per: int | None
    rounding: str
    brackets: str
    rule_from_constitution: bool
    rule_summary: str = Field(description="The rule's parameters in words (`rule` explains it once apportioned).")
    seed: str
    status: str
    created_at: dt.datetime
    called_at: dt.datetime | None
    credentialing_at: dt.datetime | None
    in_session_at: dt.datetime | None
    closed_at: dt.datetime | None
    apportioned_at: dt.datetime | None
    input_sha256: str
    rule: str
    ties: list[dict[str, Any]]
    warnings: list[str]

    @staticmethod
    def resolve_unit(conference) -> str:
        return conference.unit.slug


class AllocationOut(Schema):
    unit: str
    name: str
    members: int
    quota: str | None
    quota_exact: str | None
    seats: int
    lower_quota: int | None
    upper_quota: int | None

    @staticmethod
    def resolve_unit(allocation) -> str:
        return allocation.unit.slug

    @staticmethod
    def resolve_name(allocation) -> str:
        return allocation.unit.name

    @staticmethod
    def resolve_quota(allocation) -> str | None:
        return allocation.quota or None

    @staticmethod
    def resolve_quota_exact(allocation) -> str | None:
        return allocation.quota_exact or None


class ApportionmentOut(Schema):
    """The same JSON as `grassroots apportion --json` (units named by slug)."""

    method: str
    seats: int
    units: list[dict[str, Any]]
    ties: list[dict[str, Any]]
    rule: str
    parameters: dict[str, Any]
    warnings: list[str]
    input_sha256: str
