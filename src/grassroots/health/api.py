"""REST endpoints of unit health beyond the day's figure (`/health`, in organizations): the
roll-up of a committee's basic units, a unit's trend from the daily snapshots, the units that
fell a tier, and the growth of a subtree by month. Each resolves the unit with the caller
(out of scope: 404, as if absent) and returns counts only, never an individual's record."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.errors import ValidationError

from grassroots.api.schemas import DAY_ERRORS, QUERY_ERRORS, IsoDate, MonthOrDate
from grassroots.errors import day_or_today, refuse_unknown_day
from grassroots.health.selectors.growth import growth_of, months_before, period_day
from grassroots.health.selectors.snapshots import needs_support, rollup_of, today_of, trend_of
from grassroots.organizations.selectors import organization_for, unit_for

from .schemas import GrowthOut, NeedsSupportOut, RollupOut, TrendOut

router = Router(tags=["health"])


class Caller(HttpRequest):
    """A request as the API's authentication leaves it: `auth` is the user of the session or token."""

    auth: Any


def _unit(request: Caller, org_slug: str, unit_slug: str):
    return unit_for(request.auth, organization_for(request.auth, org_slug), unit_slug)


def _refuse(field: str, message: str):
    return ValidationError([{"loc": ["query", field], "msg": message, "type": "value_error"}])


@router.get(
    "/{org_slug}/units/{unit_slug}/health/rollup", response={200: RollupOut, **DAY_ERRORS}, summary="Health roll-up"
)
def get_health_rollup(request: Caller, org_slug: str, unit_slug: str, on: IsoDate | None = None):
    """The committee's basic units on `on` (default today): units per tier, the share
    consolidated, the member-weighted attendance rate and the weakest units with the indicators
    they fail; from the day's snapshot, or computed live when there is none. Refused (409) for a
    day in the future or before 1900-01-01."""
    unit = _unit(request, org_slug, unit_slug)
    return rollup_of(request.auth, unit, on=day_or_today("on", on, time_zone=unit.organization.time_zone))


@router.get(
    "/{org_slug}/units/{unit_slug}/health/trend", response={200: TrendOut, **DAY_ERRORS}, summary="Health trend"
)
def get_health_trend(
    request: Caller,
    org_slug: str,
    unit_slug: str,
    since: IsoDate | None = None,
    until: IsoDate | None = None,
):
    """The unit's tier, consolidation, members and attendance day by day from its snapshots
    (`since` default 90 days before `until`, `until` default today; today computed live).
    Refused (409) for a day in the future or before 1900-01-01."""
    unit = _unit(request, org_slug, unit_slug)
    zone = unit.organization.time_zone
    for field, day in (("since", since), ("until", until)):
        if day is not None:
            refuse_unknown_day(field, day, time_zone=zone)
    last = until or today_of(unit.organization)
    first = since or dt.date.fromordinal(max(last.toordinal() - 90, 1))
    if first > last:
        raise _refuse("since", f"{first.isoformat()} is after until {last.isoformat()}")
    return {
        "unit": unit.slug,
        "since": first,
        "until": last,
        "days": trend_of(request.auth, unit, since=first, until=last),
    }


@router.get(
    "/{org_slug}/units/{unit_slug}/health/needs-support",
    response={200: NeedsSupportOut, **QUERY_ERRORS},
    summary="Units that need support",
)
def get_needs_support(request: Caller, org_slug: str, unit_slug: str):
    """The units below that fell a tier between the last two snapshot days of the subtree."""
    return needs_support(request.auth, _unit(request, org_slug, unit_slug))


@router.get("/{org_slug}/units/{unit_slug}/health/growth", response={200: GrowthOut, **DAY_ERRORS}, summary="Growth")
def get_growth(
    request: Caller,
    org_slug: str,
    unit_slug: str,
    since: MonthOrDate | None = None,
    until: MonthOrDate | None = None,
):
    """Members of the subtree month by month (`since` and `until` a day YYYY-MM-DD or a month
    YYYY-MM: its first day for `since`, its last day, not after today, for `until`; `since`
    default 12 months back, `until` default this month; at most 120 months, the latest: an
    earlier `since` starts 119 months before `until`, and the answer's `since` says where it
    starts): joined, transferred in and out, ended, status changes, members by status at each
    month's close, net growth, retention and churn by reason. Refused (409) for a day or month
    that begins in the future or before 1900-01-01."""
    unit = _unit(request, org_slug, unit_slug)
    zone = unit.organization.time_zone
    first = period_day("since", since, end=False, time_zone=zone) if since else None
    last = period_day("until", until, end=True, time_zone=zone) if until else today_of(unit.organization)
    first = first or months_before(last, 11)
    if first > last:
        raise _refuse("since", f"{first.isoformat()} is after until {last.isoformat()}")
    return growth_of(request.auth, unit, since=first, until=last)
