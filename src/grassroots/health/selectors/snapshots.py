"""Reads of the daily health snapshots: the units a snapshot records, a unit's trend, the roll-up
of a committee's basic units, and the units that fell a tier ("needs support").

Each read is scoped by the caller (a unit out of scope is absent, 404) and reads the snapshot
rows of a subtree as one range of the (organization, day, path) index. Roll-ups give counts and
the member-weighted attendance rate, never an individual's record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, F, Max, OuterRef, Q, Subquery, Sum
from django.http import Http404

from grassroots.access import restrict
from grassroots.constitution.health import Health
from grassroots.errors import local_today
from grassroots.health.models import HealthSnapshot
from grassroots.organizations.models import PATH_END, Organization, Unit, UnitState

from . import health_of, health_of_units

# The weakest units a roll-up lists.
WEAKEST = 10


def today_of(organization: Organization) -> dt.date:
    """Today where the organization is (its time zone)."""
    return local_today(organization.time_zone)


def units_measured(organization: Organization, *, on: dt.date, path: str = "", basic_only: bool = False):
    """The units whose health a snapshot of day `on` records: founded on or before it, not
    dissolved, of a kind that declares indicators; in path order (within `path`'s subtree)."""
    constitution = organization.constitution
    kinds = [
        key
        for key, kind in constitution.unit_kinds.items()
        if kind.health_indicators() and (kind.basic or not basic_only)
    ]
    units = Unit.objects.filter(organization=organization, kind__in=kinds, founded_on__lte=on).exclude(
        state=UnitState.DISSOLVED
    )
    if path:
        units = units.filter(path__gte=path, path__lt=path + PATH_END)
    return units.select_related("organization").order_by("path")


def _visible(user, unit: Unit) -> None:
    if not restrict(Unit.objects.filter(pk=unit.pk), user=user, organization=unit.organization).exists():
        raise Http404(f"no unit '{unit.slug}' in {unit.organization.slug}")


def _subtree(unit: Unit):
    return HealthSnapshot.objects.filter(
        organization_id=unit.organization_id, path__gte=unit.path, path__lt=unit.path + PATH_END
    )


def attendance_sums(health: Health) -> tuple[int, int]:
    """The members in good standing present and expected, summed over the held meetings of the
    health's attendance window ((0, 0) when its kind measures no attendance)."""
    attendance = [result for result in health.results if result.indicator == "attendance_rate"]
    meetings = attendance[0].meetings if attendance else ()
    return sum(meeting.present for meeting in meetings), sum(meeting.members for meeting in meetings)


def _rate(present: int, expected: int) -> float | None:
    return round(present / expected, 4) if expected else None


@dataclass(frozen=True)
class UnitFigure:
    """One unit's health on a day as a roll-up counts it (no person in it)."""

    unit: str
    name: str
    path: str
    tier: int | None
    consolidated: bool
    score: float | None
    members: int
    present: int
    expected: int
    failing: list[str]


def _figures_from_snapshots(rows) -> list[UnitFigure]:
    return [
        UnitFigure(
            unit=slug,
            name=name,
            path=path,
            tier=tier,
            consolidated=consolidated,
            score=score,
            members=members,
            present=present,
            expected=expected,
            failing=[entry["indicator"] for entry in indicators if entry["passed"] is False],
        )
        for slug, name, path, tier, consolidated, score, members, present, expected, indicators in rows
    ]


def _figures_live(units: list[Unit], on: dt.date) -> list[UnitFigure]:
    found = health_of_units(units, on=on) if units else {}
    figures = []
    for unit in units:
        health = found[unit.pk]
        present, expected = attendance_sums(health)
        figures.append(
            UnitFigure(
                unit=unit.slug,
                name=unit.name,
                path=unit.path,
                tier=health.tier,
                consolidated=health.consolidated,
                score=health.score,
                members=health.members,
                present=present,
                expected=expected,
                failing=[result.indicator for result in health.failed],
            )
        )
    return figures


SNAPSHOT_FIELDS = (
    "unit__slug",
    "unit__name",
    "path",
    "tier",
    "consolidated",
    "score",
    "members",
    "present",
    "expected",
    "indicators",
)


def rollup_of(user, unit: Unit, *, on: dt.date) -> dict[str, object]:
    """The health of the committee's basic units on day `on`, rolled up:

    `{"unit", "on", "source": "snapshot"|"live", "units", "tiers": {"1": n, ..., "5": n},
    "untiered", "consolidated", "consolidated_share" (0 to 1, None with no units),
    "members", "present", "expected", "attendance_rate" (sum present over sum of members in
    good standing expected, over every held meeting of the attendance window: member-weighted,
    never an average of the units' rates), "weakest": [{"unit", "name", "tier", "failing":
    [indicator, ...]}]}` (units that fail an indicator, the lowest tiers first, at most ten).
    Read from the day's snapshot rows (a grouped range scan, and the ten weakest rows) when there
    are any, else computed live from the records. Counts
    only: no person is named. 404 for a unit out of the caller's scope."""
    _visible(user, unit)
    tiers = {str(number): 0 for number in range(1, len(unit.organization.constitution.health_tiers) + 1)}
    day = _subtree(unit).filter(on=on, basic=True)
    # The counts and sums in the database: one grouped range scan, whatever the subtree's size.
    groups = list(
        day.order_by()
        .values_list("tier")
        .annotate(
            units=Count("pk"),
            consolidated=Count("pk", filter=Q(consolidated=True)),
            members=Sum("members"),
            present=Sum("present"),
            expected=Sum("expected"),
        )
    )
    if groups:
        source = "snapshot"
        # The weakest: a measured indicator failed (score below 1) or nothing measured.
        weak = day.filter(Q(score__lt=1) | Q(score__isnull=True))
        order = (F("tier").asc(nulls_first=True), F("score").asc(nulls_first=True), "path")
        # The ten chosen among the day's rows first, then joined to their units: joining every
        # row to its unit before choosing cost five times the roll-up's counts on PostgreSQL.
        chosen = weak.order_by(*order).values("pk")[:WEAKEST]
        rows = HealthSnapshot.objects.filter(pk__in=chosen).order_by(*order)
        weakest = _figures_from_snapshots(rows.values_list(*SNAPSHOT_FIELDS))
    else:
        source = "live"
        basic = list(units_measured(unit.organization, on=on, path=unit.path, basic_only=True))
        figures = _figures_live(basic, on)
        by_tier: dict[int | None, list[UnitFigure]] = {}
        for figure in figures:
            by_tier.setdefault(figure.tier, []).append(figure)
        groups = [
            (
                tier,
                len(found),
                sum(1 for f in found if f.consolidated),
                sum(f.members for f in found),
                sum(f.present for f in found),
                sum(f.expected for f in found),
            )
            for tier, found in by_tier.items()
        ]
        weakest = sorted(
            (figure for figure in figures if figure.score is None or figure.score < 1),
            key=lambda figure: (figure.tier or 0, figure.score or 0, figure.path),
        )[:WEAKEST]
    for tier, count, *_sums in groups:
        if tier is not None:
            tiers[str(tier)] = count
    units = sum(group[1] for group in groups)
    consolidated = sum(group[2] for group in groups)
    present, expected = sum(group[4] or 0 for group in groups), sum(group[5] or 0 for group in groups)
    return {
        "unit": unit.slug,
        "on": on.isoformat(),
        "source": source,
        "units": units,
        "tiers": tiers,
        "untiered": sum(group[1] for group in groups if group[0] is None),
        "consolidated": consolidated,
        "consolidated_share": round(consolidated / units, 4) if units else None,
        "members": sum(group[3] or 0 for group in groups),
        "present": present,
        "expected": expected,
        "attendance_rate": _rate(present, expected),
        "weakest": [
            {"unit": figure.unit, "name": figure.name, "tier": figure.tier, "failing": figure.failing}
            for figure in weakest
        ],
    }


def needs_support(user, unit: Unit) -> dict[str, object]:
    """The units below `unit` that fell a tier between the last two snapshot days of its subtree:
    `{"unit", "on", "since", "units": [{"unit", "name", "parent", "from_tier", "to_tier",
    "failing": [indicator, ...]}]}` (`on` and `since` None when fewer than two days were
    written). Two queries on the snapshots; counts and indicators only. 404 out of scope."""
    _visible(user, unit)
    below = _subtree(unit).exclude(unit_id=unit.pk)
    days = list(below.values_list("on", flat=True).distinct().order_by("-on")[:2])
    if len(days) < 2:
        return {"unit": unit.slug, "on": days[0].isoformat() if days else None, "since": None, "units": []}
    on, since = days
    rows = below.filter(on__in=days).order_by("path", "on")
    rows = rows.values_list("unit_id", "on", "tier", "unit__slug", "unit__name", "unit__parent__slug", "indicators")
    before: dict[int, int | None] = {}
    fell = []
    for unit_id, day, tier, slug, name, parent, indicators in rows:
        if day == since:
            before[unit_id] = tier
        elif (was := before.get(unit_id)) is not None and (tier is None or tier < was):
            fell.append(
                {
                    "unit": slug,
                    "name": name,
                    "parent": parent,
                    "from_tier": was,
                    "to_tier": tier,
                    "failing": [entry["indicator"] for entry in indicators if entry["passed"] is False],
                }
            )
    return {"unit": unit.slug, "on": on.isoformat(), "since": since.isoformat(), "units": fell}


def trend_of(user, unit: Unit, *, since: dt.date, until: dt.date) -> list[dict[str, object]]:
    """The unit's health day by day from `since` to `until`: one row per snapshot written,
    `{"on", "tier", "consolidated", "score", "members", "in_good_standing", "attendance_rate",
    "source": "snapshot"}`, and today's figure computed live (`"source": "live"`) when `until`
    is today and today has no snapshot yet. 404 out of scope."""
    _visible(user, unit)
    rows = HealthSnapshot.objects.filter(unit_id=unit.pk, on__gte=since, on__lte=until).order_by("on")
    found: list[dict[str, object]] = [
        {
            "on": on.isoformat(),
            "tier": tier,
            "consolidated": consolidated,
            "score": round(score, 4) if score is not None else None,
            "members": members,
            "in_good_standing": standing,
            "attendance_rate": _rate(present, expected),
            "source": "snapshot",
        }
        for on, tier, consolidated, score, members, standing, present, expected in rows.values_list(
            "on", "tier", "consolidated", "score", "members", "in_good_standing", "present", "expected"
        )
    ]
    today = today_of(unit.organization)
    if until >= today >= since and (not found or found[-1]["on"] != today.isoformat()):
        health = health_of(user, unit, on=today)
        found.append(
            {
                "on": today.isoformat(),
                "tier": health.tier,
                "consolidated": health.consolidated,
                "score": round(health.score, 4) if health.score is not None else None,
                "members": health.members,
                "in_good_standing": health.in_good_standing,
                "attendance_rate": _rate(*attendance_sums(health)),
                "source": "live",
            }
        )
    return found


def snapshot_complete(organization: Organization, on: dt.date) -> bool:
    """Whether the snapshot of day `on` holds a row for every unit measured that day: a run
    that failed part-way (each batch is its own transaction) leaves it incomplete. One query."""
    written = HealthSnapshot.objects.filter(organization=organization, on=on).values("unit_id")
    return not units_measured(organization, on=on).order_by().exclude(pk__in=written).exists()


def latest_snapshot_day(organization: Organization) -> dt.date | None:
    """The last day the organization's snapshot was written (None: never)."""
    return HealthSnapshot.objects.filter(organization=organization).aggregate(last=Max("on"))["last"]


def tiers_by_day(user, unit: Unit, *, since: dt.date, until: dt.date) -> list[tuple[dt.date, dict[int | None, int]]]:
    """The committee's basic units per tier on each snapshot day from `since` to `until`:
    `[(day, {tier or None: units})]` in day order, from one grouped range scan of the snapshots.
    Counts only. 404 out of scope."""
    _visible(user, unit)
    rows = (
        _subtree(unit)
        .filter(on__gte=since, on__lte=until, basic=True)
        .order_by()
        .values_list("on", "tier")
        .annotate(units=Count("pk"))
    )
    days: dict[dt.date, dict[int | None, int]] = {}
    for on, tier, units in rows:
        days.setdefault(on, {})[tier] = units
    return sorted(days.items())


def subtree_by_day(user, unit: Unit, *, days: Sequence[dt.date]) -> dict[dt.date, dict[str, object]]:
    """The unit's basic units summed on each of `days` that has a snapshot, in day order:
    `{day: {"units", "members", "present", "expected", "attendance_rate" (member-weighted, as a
    roll-up's), "tiers": {tier or None: units}}}`. One grouped range scan of those days' rows (a
    chart's few bars, not every day between), whatever the size of the subtree: what a dashboard
    reads for a body above, where computing today's figures live would read every record under
    it. Counts only. 404 out of scope."""
    _visible(user, unit)
    rows = (
        _subtree(unit)
        .filter(on__in=sorted(set(days)), basic=True)
        .order_by()
        .values_list("on", "tier")
        .annotate(units=Count("pk"), members=Sum("members"), present=Sum("present"), expected=Sum("expected"))
    )
    found: dict[dt.date, dict[str, object]] = {}
    for on, tier, units, members, present, expected in rows:
        sums = found.setdefault(on, {"units": 0, "members": 0, "present": 0, "expected": 0, "tiers": {}})
        for name, value in (("units", units), ("members", members), ("present", present), ("expected", expected)):
            sums[name] += value or 0  # type: ignore[operator]
        sums["tiers"][tier] = units  # type: ignore[index]
    for sums in found.values():
        sums["attendance_rate"] = _rate(sums["present"], sums["expected"])  # type: ignore[arg-type]
    return dict(sorted(found.items()))


def latest_days(organization: Organization, windows: Sequence[tuple[dt.date, dt.date]]) -> list[dt.date | None]:
    """For each window `(first, last)` of days, the latest day in it that has a snapshot of the
    organization (None: none), in window order: the days a chart's bars stand on, whether the
    job ran every day or every week. One query (a backward index probe per window)."""
    if not windows:
        return []
    probes = {
        f"w{number}": Subquery(
            HealthSnapshot.objects.filter(organization_id=OuterRef("pk"), on__gte=first, on__lte=last)
            .order_by("-on")
            .values("on")[:1]
        )
        for number, (first, last) in enumerate(windows)
    }
    row = Organization.objects.filter(pk=organization.pk).annotate(**probes).values_list(*probes).first()
    return list(row) if row is not None else [None] * len(windows)
