"""Meeting series: a meeting repeated by a recurrence rule. Occurrences are created ahead, in a
rolling window (the series job keeps it rolling), one per series and original start; editing a
series changes only its future occurrences not yet held, and an occurrence changed on its own
keeps its change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from grassroots.access import Right, authorize
from grassroots.audit.actions import Actor, write_audit_record
from grassroots.errors import ActionRefused
from grassroots.organizations.models import Unit, UnitState

from ..models import Meeting, MeetingSeries, PlaceVisibility
from ..recurrence import MOST_IN_A_WINDOW, aware, local_occurrences, normalized, rule_of
from ..times import aware_start, zone_named
from .meetings import _check_details, authorize_planning, invite_members


def window_end() -> dt.datetime:
    """Occurrences starting before this instant exist; later ones are created as it moves on."""
    return timezone.now() + dt.timedelta(days=settings.GRASSROOTS_SERIES_WINDOW_DAYS)


def _excluded(days: Iterable[dt.date]) -> list[str]:
    return sorted({day.isoformat() for day in days})


def _first_local(series: MeetingSeries) -> dt.datetime:
    return series.first_start.astimezone(series.zone).replace(tzinfo=None)


def _wanted(series: MeetingSeries, until: dt.datetime) -> dict[dt.date, dt.datetime]:
    """The occurrences the series gives before `until`, by local date: their aware starts."""
    zone = series.zone
    excluded = {dt.date.fromisoformat(day) for day in series.excluded}
    until_local = until.astimezone(zone).replace(tzinfo=None)
    wanted: dict[dt.date, dt.datetime] = {}
    for local in local_occurrences(series.rule, _first_local(series), excluded, until=until_local):
        wanted[local.date()] = aware(local, zone)
        if len(wanted) > 10 * MOST_IN_A_WINDOW:
            break
    return wanted


def schedule_series(
    *,
    unit: Unit,
    title: str,
    start: dt.datetime,
    rule: str,
    by: Actor,
    excluded: Iterable[dt.date] = (),
    kind: str = Meeting.Kind.REGULAR,
    time_zone: str | None = None,
    duration: int = 120,
    place: str = "",
    place_visibility: str = PlaceVisibility.MEMBERS,
    online_link: str = "",
    until: dt.datetime | None = None,
) -> MeetingSeries:
    """Plan a series of meetings of a unit from a local start by a recurrence rule (RRULE), with
    excluded local dates; its occurrences in the window are created at once. A first start the
    clock change skips, a rule that is not one, and a rule that gives no occurrence are refused."""
    zone = zone_named(time_zone or unit.meeting_time_zone)
    # The series starts at the rule's first occurrence from `start` (a calendar takes DTSTART as
    # an occurrence even when the rule would not give it; python-dateutil does not).
    first_local = next(iter(rule_of(rule, start.replace(tzinfo=None))), None)
    if first_local is None:
        raise ActionRefused("repeat: the rule gives no meeting (check COUNT and UNTIL)", field="repeat")
    first = aware_start(first_local, zone)
    title = title.strip()
    _check_details(
        unit,
        kind=kind,
        title=title,
        duration=duration,
        place=place,
        place_visibility=place_visibility,
        online_link=online_link,
    )
    with transaction.atomic():
        authorize_planning(unit, by)
        series = MeetingSeries.objects.create(
            unit=unit,
            kind=kind,
            title=title or unit.organization.constitution.meeting_kinds[kind],
            first_start=first,
            time_zone=zone.key,
            duration=duration,
            place=place.strip(),
            place_visibility=place_visibility,
            online_link=online_link,
            rule=normalized(rule),
            excluded=_excluded(excluded),
        )
        if not next(iter(_wanted(series, first + dt.timedelta(days=3660))), None):
            raise ActionRefused("repeat: the rule gives no meeting (check COUNT, UNTIL and the excluded dates)")
        write_audit_record(
            by=by,
            action="meeting.series.add",
            target=series,
            organization=unit.organization,
            unit=unit,
            changes={
                "rule": [None, series.rule],
                "start": [None, first.isoformat()],
                "excluded": [None, series.excluded],
            },
        )
        extend_series(series=series, by=by, until=until)
    return series


def extend_series(*, series: MeetingSeries, by: Actor, until: dt.datetime | None = None) -> list[Meeting]:
    """Create the series' occurrences that start before `until` (default: the window's end) and
    do not exist yet; each invites the unit's current members. Safe to run twice: one occurrence
    per series and original start."""
    until = until or window_end()
    created: list[Meeting] = []
    with transaction.atomic():
        series = MeetingSeries.objects.select_for_update().select_related("unit__organization").get(pk=series.pk)
        if series.unit.state == UnitState.DISSOLVED:
            return []
        have = set(Meeting.objects.filter(series=series).values_list("series_start", flat=True))
        for start in _wanted(series, until).values():
            if start in have:
                continue
            try:
                with transaction.atomic():
                    meeting = Meeting.objects.create(
                        unit=series.unit,
                        kind=series.kind,
                        title=series.title,
                        start=start,
                        time_zone=series.time_zone,
                        duration=series.duration,
                        place=series.place,
                        place_visibility=series.place_visibility,
                        online_link=series.online_link,
                        series=series,
                        series_start=start,
                    )
            except IntegrityError:  # another job created it meanwhile
                continue
            invite_members(meeting, by=by)
            created.append(meeting)
        if created:
            write_audit_record(
                by=by,
                action="meeting.series.extend",
                target=series,
                organization=series.unit.organization,
                unit=series.unit,
                changes={"occurrences": [None, [m.start.isoformat() for m in created]]},
            )
    return created


def edit_series(
    *,
    series: MeetingSeries,
    by: Actor,
    title: str | None = None,
    start: dt.datetime | None = None,
    rule: str | None = None,
    excluded: Iterable[dt.date] | None = None,
    duration: int | None = None,
    place: str | None = None,
    place_visibility: str | None = None,
) -> MeetingSeries:
    """Change a series (its title, local start, rule, excluded dates, duration or place). Only its
    future occurrences not yet held and not changed on their own follow: they move, or go when the
    rule no longer gives their date; held, cancelled and individually changed ones stay as they are."""
    now = timezone.now()
    with transaction.atomic():
        series = MeetingSeries.objects.select_for_update().select_related("unit__organization").get(pk=series.pk)
        authorize(by, Right.MANAGE_UNITS, series.unit)
        changes: dict[str, list] = {}
        if start is not None:
            first = aware_start(start, series.zone)
            if first != series.first_start:
                changes["start"] = [series.first_start.isoformat(), first.isoformat()]
                series.first_start = first
        if rule is not None and normalized(rule) != series.rule:
            rule_of(rule, _first_local(series))
            changes["rule"] = [series.rule, normalized(rule)]
            series.rule = normalized(rule)
        if excluded is not None and _excluded(excluded) != series.excluded:
            changes["excluded"] = [series.excluded, _excluded(excluded)]
            series.excluded = _excluded(excluded)
        for name, value in (("title", title), ("duration", duration), ("place", place)):
            if value is not None and value != getattr(series, name):
                changes[name] = [getattr(series, name), value]
                setattr(series, name, value)
        if place_visibility is not None and place_visibility != series.place_visibility:
            changes["place_visibility"] = [series.place_visibility, place_visibility]
            series.place_visibility = place_visibility
        _check_details(
            series.unit,
            kind=series.kind,
            title=series.title,
            duration=series.duration,
            place=series.place,
            place_visibility=series.place_visibility,
            online_link=series.online_link,
        )
        if not changes:
            return series
        series.sequence += 1
        series.save()
        future = Meeting.objects.select_for_update().filter(
            series=series, start__gt=now, status=Meeting.Status.PLANNED, changed=False
        )
        latest = max(future.values_list("start", flat=True), default=window_end())
        wanted = _wanted(series, max(latest + dt.timedelta(days=1), window_end()))
        moved, dropped = 0, 0
        for meeting in future:
            new_start = wanted.get(meeting.on)
            if new_start is None or new_start <= now:
                meeting.delete()
                dropped += 1
                continue
            meeting.start = meeting.series_start = new_start
            meeting.title, meeting.duration, meeting.place = series.title, series.duration, series.place
            meeting.place_visibility = series.place_visibility
            meeting.sequence += 1
            meeting.save()
            moved += 1
        changes["occurrences"] = [None, f"{moved} changed, {dropped} removed"]
        write_audit_record(
            by=by,
            action="meeting.series.edit",
            target=series,
            organization=series.unit.organization,
            unit=series.unit,
            changes=changes,
        )
        extend_series(series=series, by=by)
    return series


def extend_all_series(*, by: Actor) -> int:
    """Move every series' window on (the series job): how many occurrences were created."""
    return sum(len(extend_series(series=series, by=by)) for series in MeetingSeries.objects.all().iterator())
