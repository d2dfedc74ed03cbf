"""Calendar feeds (RFC 5545) of meetings, written with the `icalendar` library.

A meeting on its own is one VEVENT with its stable UID and SEQUENCE; a series is one VEVENT with
its RRULE and EXDATEs, and each occurrence that differs from what the rule says (moved, cancelled,
held) is an override with its RECURRENCE-ID. Every time zone used gets its VTIMEZONE. A feed never
holds attendee names; a place for officers only reads "see the meeting page" in a members' feed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable

from django.conf import settings
from icalendar import Calendar, Event, vRecur

from .models import Meeting, MeetingSeries, PlaceVisibility

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


def _series_event(series: MeetingSeries, *, officer: bool, page: str) -> Event:
    event = Event()
    zone = series.zone
    first = _local(series.first_start, zone)
    event.add("uid", f"{series.uid}@grassroots")
    event.add("dtstamp", series.updated_at.astimezone(dt.UTC))
    event.add("dtstart", first)
    event.add("dtend", first + dt.timedelta(minutes=series.duration))
    event.add("sequence", series.sequence)
    event.add("summary", f"{series.title} ({series.unit.name})")
    event.add("rrule", vRecur.from_ical(series.rule))
    local_time = first.replace(tzinfo=None).time()
    for day in series.excluded:
        excluded = dt.datetime.combine(dt.date.fromisoformat(day), local_time).replace(tzinfo=zone)
        event.add("exdate", excluded)
    place = _place(series.place, series.place_visibility, officer=officer)
    if place:
        event.add("location", place)
    event.add("url", page)
    event.add("description", f"{series.unit.name}: meetings of the series.\nMeetings: {page}")
    return event


def _follows_rule(meeting: Meeting, series: MeetingSeries) -> bool:
    """Whether an occurrence is exactly what the series' VEVENT says of it (no override needed)."""
    return (
        meeting.status == Meeting.Status.PLANNED
        and not meeting.changed
        and meeting.start == meeting.series_start
        and meeting.series_start is not None
        and meeting.series_start.astimezone(series.zone).time() == series.first_start.astimezone(series.zone).time()
        and meeting.title == series.title
        and meeting.place == series.place
        and meeting.duration == series.duration
    )


def calendar_of(
    meetings: Iterable[Meeting],
    *,
    name: str,
    officer: Callable[[Meeting | MeetingSeries], bool],
    meeting_page: Callable[[Meeting], str],
    series_page: Callable[[MeetingSeries], str],
) -> bytes:
    """The feed of these meetings (with their series, when they belong to one) as iCalendar bytes."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    series_seen: dict[int, MeetingSeries] = {}
    overrides: list[Event] = []
    singles: list[Event] = []
    for meeting in meetings:
        series = meeting.series
        if series is None:
            singles.append(_event(meeting, officer=officer(meeting), page=meeting_page(meeting)))
            continue
        series_seen.setdefault(series.pk, series)
        if not _follows_rule(meeting, series):
            override = _event(meeting, officer=officer(meeting), page=meeting_page(meeting))
            override["uid"] = f"{series.uid}@grassroots"
            override.add("recurrence-id", _local(meeting.series_start or meeting.start, series.zone))
            overrides.append(override)
    for series in series_seen.values():
        calendar.add_component(_series_event(series, officer=officer(series), page=series_page(series)))
    for event in overrides + singles:
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
