"""Calendar feeds (RFC 5545) of meetings, written with the `icalendar` library.

A meeting on its own is one VEVENT with its stable UID and SEQUENCE; a series is one VEVENT with
its RRULE and EXDATEs, and each occurrence that differs from what the rule says (moved, cancelled,
held) is an override with its RECURRENCE-ID (the date the rule gave it, at the rule's time).
Every time zone used gets its VTIMEZONE. A feed never holds attendee names; a place for officers
only reads "see the meeting page" in a members' feed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vRecur

from .models import FOLLOWED, Meeting, MeetingSeries, PlaceVisibility
from .recurrence import aware, calendar_rule, local_occurrences, nominal
from .selectors import FEED_HISTORY, latest_occurrences

HIDDEN_PLACE = "see the meeting page"
PRODID = "-//Grassroots//Meetings//EN"


def site_url() -> str:
    """The address the site is reached at, for links in feeds written outside a request."""
    return settings.GRASSROOTS_BASE_URL.rstrip("/")


def _place(place: str, visibility: str, *, officer: bool) -> str:
    if visibility == PlaceVisibility.OFFICERS and not officer:
        return HIDDEN_PLACE if place else ""
    return place


def _local(moment: dt.datetime, zone) -> dt.datetime:
    return moment.astimezone(zone)


def _event(meeting: Meeting, *, officer: bool, page: str) -> Event:
    event = Event()
    zone = meeting.zone
    event.add("uid", f"{meeting.uid}@grassroots")
    event.add("dtstamp", meeting.updated_at.astimezone(dt.UTC))
    event.add("dtstart", _local(meeting.start, zone))
    event.add("dtend", _local(meeting.end, zone))
    event.add("sequence", meeting.sequence)
    event.add("summary", f"{meeting.title} ({meeting.unit.name})")
    event.add("status", "CANCELLED" if meeting.status == Meeting.Status.CANCELLED else "CONFIRMED")
    place = _place(meeting.place, meeting.place_visibility, officer=officer)
    if place:
        event.add("location", place)
    event.add("url", page)
    lines = [f"{meeting.unit.name}: {meeting.kind_label}.", f"Meeting page: {page}"]
    if meeting.online_link:
        lines.append(f"Online: {meeting.online_link}")
    event.add("description", "\n".join(lines))
    return event


def _series_event(series: MeetingSeries, *, officer: bool, page: str, skipped: Iterable[dt.date]) -> Event:
    """The series' own VEVENT: its first start, its rule, and an EXDATE for each excluded date and
    each date the rule gives that has no occurrence (`skipped`: before an edit, or not the reader's)."""
    event = Event()
    zone = series.zone
    first = _local(series.first_start, zone)
    event.add("uid", f"{series.uid}@grassroots")
    event.add("dtstamp", series.updated_at.astimezone(dt.UTC))
    event.add("dtstart", first)
    event.add("dtend", first + dt.timedelta(minutes=series.duration))
    event.add("sequence", series.sequence)
    event.add("summary", f"{series.title} ({series.unit.name})")
    event.add("rrule", vRecur.from_ical(calendar_rule(series.rule, zone)))
    first_local = first.replace(tzinfo=None)
    days = sorted({dt.date.fromisoformat(day) for day in series.excluded} | set(skipped))
    for day in days:
        event.add("exdate", nominal(day, first_local).replace(tzinfo=zone))
    place = _place(series.place, series.place_visibility, officer=officer)
    if place:
        event.add("location", place)
    event.add("url", page)
    event.add("description", f"{series.unit.name}: meetings of the series.\nMeetings: {page}")
    return event


def occurrence_day(meeting: Meeting, series: MeetingSeries) -> dt.date:
    """The local date an occurrence is known by in its series: the one the rule gave it."""
    return (meeting.series_start or meeting.start).astimezone(series.zone).date()


def _follows_rule(meeting: Meeting, series: MeetingSeries) -> bool:
    """Whether an occurrence is exactly what the series' VEVENT says of it (no override needed)."""
    first_local = _local(series.first_start, series.zone).replace(tzinfo=None)
    expected = aware(nominal(occurrence_day(meeting, series), first_local), series.zone)
    return (
        meeting.status == Meeting.Status.PLANNED
        and not meeting.changed
        and meeting.start == meeting.series_start
        and _local(meeting.start, series.zone).replace(tzinfo=None).time() == first_local.time()
        and meeting.start == expected
        and all(getattr(meeting, name) == getattr(series, name) for name in FOLLOWED)
    )


def _rule_days(series: MeetingSeries, until: dt.datetime) -> list[dt.date]:
    """The local dates the series' rule gives up to `until` (included), excluded dates left out."""
    zone = series.zone
    excluded = {dt.date.fromisoformat(day) for day in series.excluded}
    last = until.astimezone(zone).replace(tzinfo=None) + dt.timedelta(seconds=1)
    first = _local(series.first_start, zone).replace(tzinfo=None)
    return [local.date() for local in local_occurrences(series.rule, first, excluded, until=last)]


def calendar_of(
    meetings: Iterable[Meeting],
    *,
    name: str,
    officer: Callable[[Meeting | MeetingSeries], bool],
    meeting_page: Callable[[Meeting], str],
    series_page: Callable[[MeetingSeries], str],
    since: dt.datetime | None = None,
) -> bytes:
    """The feed of these meetings (with their series, when they belong to one) as iCalendar bytes.

    A series is its VEVENT (RRULE and EXDATEs) and, for each occurrence that differs from what the
    rule says (moved, cancelled, held, changed), an override with the RECURRENCE-ID of the date the
    rule gave it. A date the rule gives from `since` (default: as far back as feeds reach) up to
    the series' latest occurrence with no occurrence among `meetings` gets an EXDATE, and an
    occurrence whose date the rule no longer gives (it was edited since) is an event of its own:
    expanded, the feed holds exactly these meetings."""
    since = since or timezone.now() - FEED_HISTORY
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    of_series: dict[int, list[Meeting]] = {}
    every: dict[int, MeetingSeries] = {}
    overrides: list[Event] = []
    singles: list[Event] = []
    for meeting in meetings:
        series = meeting.series
        if series is None:
            singles.append(_event(meeting, officer=officer(meeting), page=meeting_page(meeting)))
            continue
        every.setdefault(series.pk, series)
        of_series.setdefault(series.pk, []).append(meeting)
    latest = latest_occurrences(every)
    for pk, series in every.items():
        rule_days = _rule_days(series, latest.get(pk, since))
        first_local = _local(series.first_start, series.zone).replace(tzinfo=None)
        given, held = set(rule_days), set()
        for meeting in of_series[pk]:
            day = occurrence_day(meeting, series)
            if day not in given:
                singles.append(_event(meeting, officer=officer(meeting), page=meeting_page(meeting)))
                continue
            held.add(day)
            if not _follows_rule(meeting, series):
                override = _event(meeting, officer=officer(meeting), page=meeting_page(meeting))
                override["uid"] = f"{series.uid}@grassroots"
                override.add("recurrence-id", nominal(day, first_local).replace(tzinfo=series.zone))
                overrides.append(override)
        skipped = [
            day for day in rule_days if day not in held and aware(nominal(day, first_local), series.zone) >= since
        ]
        page = series_page(series)
        calendar.add_component(_series_event(series, officer=officer(series), page=page, skipped=skipped))
    for event in overrides + singles:
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def last_changed(meetings: Iterable[Meeting], default: dt.datetime) -> dt.datetime:
    """When the feed of these meetings last changed: the latest change of a meeting or its series."""
    moments = [default]
    for meeting in meetings:
        moments.append(meeting.updated_at)
        if meeting.series is not None:
            moments.append(meeting.series.updated_at)
    return max(moments)


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
