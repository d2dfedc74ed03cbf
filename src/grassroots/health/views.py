"""Web pages of unit health: the dashboard (a signed-in user's home, for their scope) and the
health tab of a unit's page.

Both read through the selectors with the user (a unit out of scope is a 404), in a fixed number
of queries whatever the size of the subtree. Bodies above a basic unit see counts (units per
tier, member-weighted attendance, members by status, share of members with a course); the
people behind a unit's figure are named only to those who may see that unit's people.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from grassroots.conferences.selectors import my_conferences
from grassroots.constitution.health import RATES, IndicatorResult, percent
from grassroots.directives.selectors import directives_overview
from grassroots.education.selectors import education_share_of
from grassroots.organizations import selectors as units
from grassroots.organizations.models import Unit, UnitState
from grassroots.web import day

from . import charts
from .selectors import health_of, sees_people_of
from .selectors.growth import growth_of, months_before
from .selectors.snapshots import (
    latest_days,
    latest_snapshot_day,
    needs_support,
    rollup_of,
    subtree_by_day,
    tiers_by_day,
    today_of,
    trend_of,
)

# How far back the trends look, and at most how many bars a chart of days draws.
TREND_DAYS = 90
BARS = 13
# The top units a dashboard shows (an officer of a few districts sees each), and the bodies
# not yet constituted whose readiness it explains: bounds that keep its queries fixed.
TOP_UNITS = 3
BODIES = 5
GROWTH_MONTHS = 12
ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def _share(value: float | int) -> str:
    return percent(float(value))


def _tier_series(count: int) -> list[tuple[str, str]]:
    return [(f"Tier {tier}", f"tier-{tier}") for tier in range(1, count + 1)] + [("No tier", "untiered")]


def _spread(items: Sequence, most: int) -> list:
    """At most `most` of `items`, evenly spread, the last always kept."""
    if len(items) <= most:
        return list(items)
    step = (len(items) - 1) / (most - 1)
    return [items[round(i * step)] for i in range(most)]


def _trend_charts(trend: list[dict[str, object]], name: str, *, today: dt.date) -> dict[str, object]:
    labels = [day(dt.date.fromisoformat(str(row["on"]))) for row in trend]
    members: list[float | int | None] = [row["members"] for row in trend]  # type: ignore[misc]
    rates: list[float | int | None] = [row["attendance_rate"] for row in trend]  # type: ignore[misc]
    last = trend[-1] if trend else None
    return {
        "days": len(trend),
        "members": charts.sparkline(members, labels=labels, title=f"Members of {name}, day by day"),
        "attendance": charts.sparkline(
            rates, labels=labels, title=f"Attendance rate of {name}, day by day", high=1, shown=_share
        ),
        "last": last,
        # When the last figure is of: today (computed live), or the day of the last snapshot.
        "when": "today" if last is None or last["on"] == today.isoformat() else f"on {labels[-1]}",
    }


def _tiers_chart(unit: Unit, found: Sequence[tuple[dt.date, dict[int | None, int]]], tiers: int):
    """Stacked bars of the basic units per tier on each of the days `found` ((day, {tier: units}))."""
    if not found:
        return None
    bars = [(day(on), [*(counts.get(t, 0) for t in range(1, tiers + 1)), counts.get(None, 0)]) for on, counts in found]
    return charts.stacked_bars(bars, series=_tier_series(tiers), title=f"Basic units of {unit.name} per tier, by day")


def _tiers_by_day(user, unit: Unit, *, today: dt.date, tiers: int) -> charts.SafeString | None:
    found = _spread(tiers_by_day(user, unit, since=today - dt.timedelta(days=TREND_DAYS), until=today), BARS)
    return _tiers_chart(unit, found, tiers)


def _windows(since: dt.date, until: dt.date, count: int) -> list[tuple[dt.date, dt.date]]:
    """The days from `since` to `until` cut into at most `count` consecutive windows, `(first,
    last)` each, the last ending on `until`."""
    span = (until - since).days + 1
    count = min(count, span)
    bounds = [since + dt.timedelta(days=span * number // count) for number in range(count + 1)]
    return [(first, after - dt.timedelta(days=1)) for first, after in zip(bounds, bounds[1:], strict=False)]


def _months(until: dt.date, months: int) -> list[tuple[dt.date, dt.date]]:
    """The `months` calendar months up to that of `until` (cut at `until`), after the month
    before them (the period's opening), `(first day, last day)` each."""
    firsts = [months_before(until, count) for count in range(months, -1, -1)]
    return [
        (first, min(after - dt.timedelta(days=1), until))
        for first, after in zip(firsts, [*firsts[1:], months_before(until, -1)], strict=True)
    ]


def dashboard_day(organization, today: dt.date) -> dt.date | None:
    """The day of the snapshots a dashboard reads for the bodies above basic units: the latest,
    when the daily job wrote it yesterday or today; None when there is none that recent (their
    figures are then computed live from the records, as for a small organization whose job has
    not run). Live figures of a body read every record under it: a second and more at a million
    members, where the snapshot's rows are read in milliseconds."""
    latest = latest_snapshot_day(organization)
    return latest if latest is not None and latest >= today - dt.timedelta(days=1) else None


def _rollup_chart(rollup: dict, tiers: int, name: str) -> charts.SafeString:
    counts = [rollup["tiers"][str(t)] for t in range(1, tiers + 1)] + [rollup["untiered"]]
    return charts.stacked_bars(
        [(day(dt.date.fromisoformat(str(rollup["on"]))), counts)],
        series=_tier_series(tiers),
        title=f"Basic units of {name} per tier today",
        width=60,
    )


def _growth_chart(growth: dict, name: str) -> charts.SafeString:
    statuses = sorted({status for month in growth["months"] for status in month["by_status"]})
    series = [(status, f"status-{min(i, 5)}") for i, status in enumerate(statuses)]
    bars = [(month["month"], [month["by_status"].get(status, 0) for status in statuses]) for month in growth["months"]]
    return charts.stacked_bars(bars, series=series, title=f"Memberships in {name} by status, month by month")


def _unit_panel(user, unit: Unit, *, today: dt.date, snapshot_day: dt.date | None) -> dict[str, object]:
    """What the dashboard shows of one of the user's top units: counts only. A body above basic
    units is read from the snapshots of `snapshot_day` and the days before it, when there are
    recent ones (`dashboard_day`): its basic units summed on a few days (the trend's and the
    tiers' bars, the growth's month ends) in one grouped query, its roll-up, its units in need
    of support; a basic unit (or any unit without recent snapshots) is computed live for today."""
    tiers = len(unit.organization.constitution.health_tiers)
    panel: dict[str, object] = {"unit": unit}
    from_snapshots = snapshot_day is not None and not unit.is_basic
    if snapshot_day is not None and from_snapshots:
        # The latest snapshot day in each bar's stretch of days and in each month: the bars stand
        # on the days the job ran, daily or weekly.
        bars = _windows(snapshot_day - dt.timedelta(days=TREND_DAYS), snapshot_day, BARS)
        found = latest_days(unit.organization, [*bars, *_months(snapshot_day, GROWTH_MONTHS)])
        days = [on for on in found[: len(bars)] if on is not None]
        ends = [on for on in found[len(bars) :] if on is not None]
        sums = subtree_by_day(user, unit, days=[*days, *ends])
        trend = [
            {"on": on.isoformat(), "members": sums[on]["members"], "attendance_rate": sums[on]["attendance_rate"]}
            for on in days
            if on in sums
        ]
        panel["trend"] = _trend_charts(trend, f"the basic units of {unit.name}", today=today)
        panel["tiers_chart"] = _tiers_chart(unit, [(on, sums[on]["tiers"]) for on in days if on in sums], tiers)  # type: ignore[misc]
        members = [(on, int(sums[on]["members"])) for on in ends if on in sums]  # type: ignore[call-overload]
        panel["members_by_month"] = {
            "first": members[0] if members else None,
            "last": members[-1] if members else None,
            "net_growth": members[-1][1] - members[0][1] if members else None,
        }
        panel["growth_chart"] = charts.stacked_bars(
            [(day(on), [count]) for on, count in members],
            series=[("Members", "status-0")],
            title=f"Members of the basic units of {unit.name} at each month's last snapshot",
        )
    else:
        trend_rows = trend_of(user, unit, since=today - dt.timedelta(days=TREND_DAYS), until=today)
        panel["trend"] = _trend_charts(trend_rows, unit.name, today=today)
        growth = growth_of(user, unit, since=months_before(today, GROWTH_MONTHS - 1), until=today)
        panel["growth"] = growth["total"]
        panel["growth_chart"] = _growth_chart(growth, unit.name)
    if not unit.is_basic:
        rollup = rollup_of(user, unit, on=snapshot_day or today)
        panel["rollup"] = rollup
        panel["rollup_chart"] = _rollup_chart(rollup, tiers, unit.name)
        if not from_snapshots:
            panel["tiers_chart"] = _tiers_by_day(user, unit, today=today, tiers=tiers)
        panel["needs_support"] = needs_support(user, unit)["units"]
        bodies = units.bodies_to_constitute(user, unit, most=BODIES)
        panel["bodies"] = [
            (body, units.evaluate_founding_rules(body, units.facts_of(body, snapshots=True))) for body in bodies
        ]
    panel["education"] = [
        (
            share,
            charts.bullet(
                share.complete / share.members if share.members else None,
                threshold=None,
                maximum=1,
                passed=None,
                title=f"{share.title}: members who completed it",
                shown=_share,
            ),
        )
        for share in education_share_of(user, unit, on=today, subtree=True)
    ]
    panel["directives"] = directives_overview(user, unit)
    return panel


@login_required
def dashboard(request: HttpRequest, org: str) -> HttpResponse:
    """The signed-in user's home in an organization: for each of their top units (at most
    `TOP_UNITS`), units by tier, units that need support, readiness of the bodies not yet
    constituted, growth and attendance trends, education progress, and the open directives issued
    in the unit's subtree (with their completion) and its units' open assignments; above them, the
    conferences the user is a delegate at and those their units send a delegation to."""
    organization = units.organization_for(request.user, org)
    today = today_of(organization)
    tops = units.top_units(request.user, organization)
    snapshot_day = dashboard_day(organization, today)
    context = {
        "organization": organization,
        "today": today,
        "snapshot_day": snapshot_day,
        "panels": [
            _unit_panel(request.user, unit, today=today, snapshot_day=snapshot_day) for unit in tops[:TOP_UNITS]
        ],
        "more_units": len(tops) - TOP_UNITS if len(tops) > TOP_UNITS else 0,
        "conferences": my_conferences(request.user, organization),
    }
    return render(request, "health/dashboard.html", context)


def _indicator_row(result: IndicatorResult) -> tuple[IndicatorResult, charts.SafeString]:
    shown: Callable[[float | int], str] = _share if result.indicator in RATES else str
    maximum: float = 1
    if result.indicator not in RATES:
        maximum = max(abs(result.threshold) * 2, abs(result.value or 0), 1)
    value = result.value if result.indicator in RATES or result.value is None else max(result.value, 0)
    chart = charts.bullet(
        value, threshold=result.threshold, maximum=maximum, passed=result.passed, title=result.title, shown=shown
    )
    # The words of a figure name days ISO-written (the command line and API show them so): the
    # page writes them as its tables do.
    return replace(result, actual=ISO_DAY.sub(lambda found: day(dt.date.fromisoformat(found[0])), result.actual)), chart


@login_required
def unit_health(request: HttpRequest, org: str, unit: str) -> HttpResponse:
    """A unit's health today: each indicator with its value, threshold, verdict and bullet chart,
    its tier, its trend from the snapshots; the meetings behind a figure, and the members behind
    it to those who may see the unit's people; for a body above, the roll-up of its basic units."""
    organization = units.organization_for(request.user, org)
    found = units.unit_for(request.user, organization, unit)
    today = today_of(organization)
    health = health_of(request.user, found, on=today)
    tiers = len(organization.constitution.health_tiers)
    trend = trend_of(request.user, found, since=today - dt.timedelta(days=TREND_DAYS), until=today)
    context = {
        "organization": organization,
        "unit": found,
        "today": today,
        "health": health,
        "rows": [_indicator_row(result) for result in health.results],
        "with_people": sees_people_of(request.user, found),
        "trend": _trend_charts(trend, found.name, today=today),
        "measured": found.state in (UnitState.FOUNDED, UnitState.DORMANT),
    }
    if not found.is_basic:
        rollup = rollup_of(request.user, found, on=today)
        context["rollup"] = rollup
        context["rollup_chart"] = _rollup_chart(rollup, tiers, found.name)
        context["tiers_chart"] = _tiers_by_day(request.user, found, today=today, tiers=tiers)
    return render(request, "health/unit_health.html", context)
