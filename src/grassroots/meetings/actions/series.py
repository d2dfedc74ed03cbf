"""Meeting series: a meeting repeated by a recurrence rule. Occurrences are created ahead, in a
rolling window (the series job keeps it rolling), one per series and local date (an occurrence
is known by the date the rule gave it, whatever happens to it later); editing a series changes
only its future occurrences not yet held, and an occurrence changed on its own keeps its change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from grassroots.audit.actions import Actor, write_audit_record
from grassroots.errors import ActionRefused
from grassroots.organizations.models import Unit, UnitState

from ..models import FOLLOWED, AgendaItem, Attendance, Meeting, MeetingSeries, PlaceVisibility
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


def _first_of(rule: str, start: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The aware first start of a series: the rule's first occurrence from the local `start` (a
    calendar takes DTSTART as an occurrence even when the rule would not give it; python-dateutil
    does not). A rule that gives none, and a first start the clocks skip or repeat, are refused."""
    first_local = next(iter(rule_of(rule, start.replace(tzinfo=None))), None)
    if first_local is None:
        raise ActionRefused("repeat: the rule gives no meeting (check COUNT and UNTIL)", field="repeat")
    return aware_start(first_local, zone)


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
    first = _first_of(rule, start, zone)
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
        extend_series(series=series, by=by, until=until, past=True)
    return series


def extend_series(
    *, series: MeetingSeries, by: Actor, until: dt.datetime | None = None, past: bool = False
) -> list[Meeting]:
    """Create the series' occurrences that start before `until` (default: the window's end) and
    do not exist yet, one per local date; each invites the unit's current members. Only future
    ones, unless `past` (a series planned with its history): a date the rule gives only after an
    edit is never filled in behind. Safe to run twice: one occurrence per series and date."""
    until = until or window_end()
    now = timezone.now()
    created: list[Meeting] = []
    with transaction.atomic():
        series = MeetingSeries.objects.select_for_update().select_related("unit__organization").get(pk=series.pk)
        if series.unit.state == UnitState.DISSOLVED:
            return []
        zone = series.zone
        starts = series.occurrences.values_list("series_start", flat=True)
        have = {start.astimezone(zone).date() for start in starts if start is not None}
        for day, start in _wanted(series, until).items():
            if day in have or (start <= now and not past):
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


@dataclass(frozen=True)
class SeriesEdit:
    """What an edit of a series did: the series as it is now, and its occurrences that followed
    (changed in place), went (the rule no longer gives their date), were cancelled instead (for
    the same reason, but they had an agenda or registrations, kept for the record) or came (new dates)."""

    series: MeetingSeries
    followed: int
    removed: int
    added: int
    cancelled: int = 0


# The changes of a series that make calendars replace their copy (a raised SEQUENCE).
SEQUENCED = {"start", "duration", "place", "place_visibility", "rule", "excluded"}


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
    online_link: str | None = None,
) -> SeriesEdit:
    """Change a series: its title, local start (the time of day of every occurrence), rule,
    excluded dates, duration, place or online link. Only its occurrences still to come, planned
    and not changed on their own follow: they move to the time the rule now gives on their date,
    or go when it no longer gives their date (cancelled instead when they have an agenda or
    registrations), and new dates get their occurrence. Held, cancelled,
    past and individually changed occurrences stay exactly as they are (each keeps its date as
    its key, so a calendar still finds it as an override). A start the clocks skip or repeat, a
    rule that is not one or gives no meeting are refused and change nothing."""
    now = timezone.now()
    with transaction.atomic():
        series = MeetingSeries.objects.select_for_update().select_related("unit__organization").get(pk=series.pk)
        authorize_planning(series.unit, by)
        zone = series.zone
        changes: dict[str, list] = {}
        if start is not None or rule is not None:
            new_rule = normalized(rule) if rule is not None else series.rule
            first = _first_of(new_rule, start if start is not None else _first_local(series), zone)
            if first != series.first_start:
                changes["start"] = [series.first_start.isoformat(), first.isoformat()]
                series.first_start = first
            if new_rule != series.rule:
                changes["rule"] = [series.rule, new_rule]
                series.rule = new_rule
        if excluded is not None and _excluded(excluded) != series.excluded:
            changes["excluded"] = [series.excluded, _excluded(excluded)]
            series.excluded = _excluded(excluded)
        given = {
            "title": title.strip() if title is not None else None,
            "duration": duration,
            "place": place.strip() if place is not None else None,
            "place_visibility": place_visibility,
            "online_link": online_link.strip() if online_link is not None else None,
        }
        for name, value in given.items():
            if value is not None and value != getattr(series, name) and (value or name != "title"):
                changes[name] = [getattr(series, name), value]
                setattr(series, name, value)
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
            return SeriesEdit(series, 0, 0, 0)
        if not _wanted(series, series.first_start + dt.timedelta(days=3660)):
            raise ActionRefused(
                "repeat: the rule gives no meeting (check COUNT, UNTIL and the excluded dates)", field="repeat"
            )
        occurrences = list(Meeting.objects.select_for_update().filter(series=series).order_by("series_start"))
        latest = max((m.series_start for m in occurrences if m.series_start), default=now)
        wanted = _wanted(series, max(latest + dt.timedelta(days=1), window_end()))
        if SEQUENCED & set(changes):
            series.sequence += 1
        series.save()
        followed, removed, cancelled = 0, 0, 0
        prepared = _prepared({m.pk for m in occurrences})
        for meeting in occurrences:
            day = (meeting.series_start or meeting.start).astimezone(zone).date()
            new_start = wanted.get(day)
            follows = meeting.status == Meeting.Status.PLANNED and not meeting.changed and meeting.start > now
            if follows and new_start is None and meeting.pk in prepared:
                meeting.status, meeting.changed = Meeting.Status.CANCELLED, True
                meeting.sequence += 1
                meeting.save(update_fields=["status", "changed", "sequence", "updated_at"])
                cancelled += 1
                continue
            if follows and new_start is None:
                meeting.delete()
                removed += 1
                continue
            if follows and new_start is not None and new_start > now:
                followed += _follow(meeting, series, new_start)
            elif new_start is not None and meeting.series_start != new_start:
                # Kept as it is, but known by the time the rule now gives on its date.
                meeting.series_start = new_start
                meeting.save(update_fields=["series_start"])
        changes["occurrences"] = [None, f"{followed} changed, {removed} removed"]
        if cancelled:
            changes["occurrences"][1] += f", {cancelled} cancelled"
        added = extend_series(series=series, by=by)
        if added:
            changes["occurrences"][1] += f", {len(added)} added"
        write_audit_record(
            by=by,
            action="meeting.series.edit",
            target=series,
            organization=series.unit.organization,
            unit=series.unit,
            changes=changes,
        )
    return SeriesEdit(series, followed, removed, len(added), cancelled)


def _prepared(meeting_ids: set[int]) -> set[int]:
    """Those of these meetings that have an agenda item or someone registered or excused: not
    removed by a series edit, but cancelled, so what was prepared stays on record."""
    with_agenda = AgendaItem.objects.filter(meeting_id__in=meeting_ids).values_list("meeting_id", flat=True)
    answered = Attendance.objects.filter(
        meeting_id__in=meeting_ids, status__in=(Attendance.Status.REGISTERED, Attendance.Status.EXCUSED)
    ).values_list("meeting_id", flat=True)
    return set(with_agenda) | set(answered)


def _follow(meeting: Meeting, series: MeetingSeries, start: dt.datetime) -> bool:
    """Bring an occurrence that follows its series in line with it: whether anything a reader sees
    changed. A change of time, duration or place raises its sequence."""
    sequenced = meeting.start != start or any(
        getattr(meeting, name) != getattr(series, name) for name in FOLLOWED if name != "title"
    )
    retitled = meeting.title != series.title
    if not (sequenced or retitled or meeting.series_start != start):
        return False
    for name in FOLLOWED:
        setattr(meeting, name, getattr(series, name))
    if sequenced:
        meeting.sequence += 1
    meeting.start = meeting.series_start = start
    meeting.save()
    return sequenced or retitled


def extend_all_series(*, by: Actor) -> int:
    """Move every series' window on (the series job): how many occurrences were created."""
    return sum(len(extend_series(series=series, by=by)) for series in MeetingSeries.objects.all().iterator())
