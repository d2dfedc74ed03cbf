"""Calendar feeds (RFC 5545) of meetings, written with the `icalendar` library.

A meeting on its own is one VEVENT with its stable UID and SEQUENCE; a series is one VEVENT with
its RRULE and EXDATEs, and each occurrence that differs from what the rule says (moved, cancelled,
held) is an override with its RECURRENCE-ID. Every time zone used gets its VTIMEZONE. A feed never
holds attendee names; a place for officers only reads "see the meeting page" in a members' feed.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from icalendar import Calendar, Event, Timezone, vRecur

from .models import Meeting, MeetingSeries, PlaceVisibility

HIDDEN_PLACE = "see the meeting page"
PRODID = "-//Grassroots//Meetings//EN"
UTC_NAMES = {"UTC", "Etc/UTC", "Etc/GMT", "GMT", "Zulu", "Etc/Zulu", "Universal", "Etc/Universal"}


def site_url() -> str:
    """The address the site is reached at, for links in feeds written outside a request."""
    return settings.GRASSROOTS_BASE_URL.rstrip("/")


def _place(place: str, visibility: str, *, officer: bool) -> str:
    if visibility == PlaceVisibility.OFFICERS and not officer:
        return HIDDEN_PLACE if place else ""
    return place


def _local(moment: dt.datetime, zone) -> dt.datetime:
    return moment.astimezone(zone)


@dataclass(frozen=True)
class _EventFacts:
    """All a meeting's VEVENT says, and nothing else: its bytes are a function of these alone."""

    uid: str
    stamp: dt.datetime
    start: dt.datetime  # local, in the meeting's zone
    end: dt.datetime
    sequence: int
    summary: str
    cancelled: bool
    place: str
    page: str
    description: str
    recurrence_id: dt.datetime | None  # an occurrence's override: its start by the series


def _facts(meeting: Meeting, *, officer: bool, page: str, series: MeetingSeries | None = None) -> _EventFacts:
    zone = meeting.zone
    lines = [f"{meeting.unit.name}: {meeting.kind_label}.", f"Meeting page: {page}"]
    if meeting.online_link:
        lines.append(f"Online: {meeting.online_link}")
    return _EventFacts(
        uid=f"{(series or meeting).uid}@grassroots",
        stamp=meeting.updated_at.astimezone(dt.UTC),
        start=_local(meeting.start, zone),
        end=_local(meeting.end, zone),
        sequence=meeting.sequence,
        summary=f"{meeting.title} ({meeting.unit.name})",
        cancelled=meeting.status == Meeting.Status.CANCELLED,
        place=_place(meeting.place, meeting.place_visibility, officer=officer),
        page=page,
        description="\n".join(lines),
        recurrence_id=_local(meeting.series_start or meeting.start, series.zone) if series else None,
    )


# A feed is asked for again and again (calendar clients poll it), mostly for the same meetings:
# each VEVENT is written once by the icalendar library and kept, keyed by everything it says (a
# change of the meeting, its unit's name, the reader's view of the place or the address gives
# another key, so a kept event is never stale). About half a kilobyte each.
@functools.lru_cache(maxsize=50_000)
def _event_bytes(facts: _EventFacts) -> bytes:
    event = Event()
    event.add("uid", facts.uid)
    event.add("dtstamp", facts.stamp)
    event.add("dtstart", facts.start)
    event.add("dtend", facts.end)
    event.add("sequence", facts.sequence)
    event.add("summary", facts.summary)
    event.add("status", "CANCELLED" if facts.cancelled else "CONFIRMED")
    if facts.place:
        event.add("location", facts.place)
    event.add("url", facts.page)
    event.add("description", facts.description)
    if facts.recurrence_id is not None:
        event.add("recurrence-id", facts.recurrence_id)
    return event.to_ical()


@functools.lru_cache(maxsize=256)
def _timezone(name: str) -> Timezone:
    """The VTIMEZONE of a zone (the same for every feed)."""
    return Timezone.from_tzid(name)


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
    events: list[bytes] = []
    zones: set[str] = set()
    for meeting in meetings:
        series = meeting.series
        zones.add(meeting.time_zone)
        if series is None:
            events.append(_event_bytes(_facts(meeting, officer=officer(meeting), page=meeting_page(meeting))))
            continue
        series_seen.setdefault(series.pk, series)
        if not _follows_rule(meeting, series):
            facts = _facts(meeting, officer=officer(meeting), page=meeting_page(meeting), series=series)
            events.append(_event_bytes(facts))
    for series in series_seen.values():
        zones.add(series.time_zone)
    for name in sorted(zones - UTC_NAMES):  # a time in UTC is written with a Z and needs none
        calendar.add_component(_timezone(name))
    for series in series_seen.values():
        calendar.add_component(_series_event(series, officer=officer(series), page=series_page(series)))
    head, end = calendar.to_ical().rsplit(b"END:VCALENDAR", 1)
    return b"".join([head, *events, b"END:VCALENDAR", end])


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
