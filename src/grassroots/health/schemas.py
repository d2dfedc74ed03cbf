"""Typed shapes of the health API: roll-up, trend, growth and the units that need support."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class WeakUnitOut(Schema):
    unit: str
    name: str
    tier: int | None
    failing: list[str] = Field(description="The indicators the unit fails.")


class RollupOut(Schema):
    unit: str
    on: dt.date
    source: str = Field(description="'snapshot' (the day's snapshot rows) or 'live' (computed from the records).")
    units: int = Field(description="Basic units of the subtree measured that day.")
    tiers: dict[str, int] = Field(description="Basic units in each tier, '1' to '5'.")
    untiered: int = Field(description="Basic units with nothing measured, so no tier.")
    consolidated: int
    consolidated_share: float | None = Field(description="Consolidated over units, 0 to 1.")
    members: int
    present: int = Field(description="Members in good standing present, summed over the held meetings of the window.")
    expected: int = Field(description="Members in good standing, summed over the same meetings.")
    attendance_rate: float | None = Field(description="present / expected: member-weighted, 0 to 1.")
    weakest: list[WeakUnitOut]


class TrendDayOut(Schema):
    on: dt.date
    tier: int | None
    consolidated: bool
    score: float | None
    members: int
    in_good_standing: int
    attendance_rate: float | None
    source: str = Field(description="'snapshot', or 'live' for today.")


class TrendOut(Schema):
    unit: str
    since: dt.date
    until: dt.date
    days: list[TrendDayOut]


class FallenUnitOut(Schema):
    unit: str
    name: str
    parent: str | None
    from_tier: int
    to_tier: int | None
    failing: list[str]


class NeedsSupportOut(Schema):
    unit: str
    on: dt.date | None = Field(description="The last snapshot day of the subtree.")
    since: dt.date | None = Field(description="The snapshot day before it.")
    units: list[FallenUnitOut] = Field(description="Units below that fell a tier between the two days.")


class GrowthMonthOut(Schema):
    month: str = Field(description="YYYY-MM; 'total' figures cover the whole period.")
    opening: int = Field(description="Members on the last day before the month.")
    joined: int
    transferred_in: int
    transferred_out: int
    ended: int
    lapsed: int
    resigned: int
    status_changes: dict[str, int]
    members: int = Field(description="Members on the month's last day.")
    by_status: dict[str, int] = Field(description="Memberships running on the month's last day, by status.")
    net_growth: int
    retention: float | None = Field(description="Opening members still members at the close, 0 to 1.")
    churn: dict[str, int] = Field(description="Opening members gone at the close, by reason.")


class GrowthOut(Schema):
    unit: str
    since: dt.date
    until: dt.date
    months: list[GrowthMonthOut]
    total: GrowthMonthOut
