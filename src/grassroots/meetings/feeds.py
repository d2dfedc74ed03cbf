"""Calendar feeds (RFC 5545) of meetings, written with the `icalendar` library.

A meeting on its own is one VEVENT with its stable UID and SEQUENCE; a series is one VEVENT with
its RRULE and EXDATEs, and each occurrence that differs from what the rule says (moved, cancelled,
held) is an override with its RECURRENCE-ID (the date the rule gave it, at the rule's time).
Every time zone used gets its VTIMEZONE. A feed never holds attendee names; a place for officers
only reads "see the meeting page" in a members' feed.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, Timezone, vRecur

from .models import FOLLOWED, Meeting, MeetingSeries, PlaceVisibility
from .recurrence import aware, calendar_rule, local_occurrences, nominal
from .selectors import FEED_HISTORY, latest_occurrences

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


def _facts(
    meeting: Meeting,
    *,
    officer: bool,
    page: str,
    series: MeetingSeries | None = None,
    recurrence_id: dt.datetime | None = None,
) -> _EventFacts:
    """What a meeting's VEVENT says; with `series`, it is that series' override for the occurrence
    the rule gives at `recurrence_id` (local, in the series' zone)."""
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
        recurrence_id=recurrence_id if series else None,
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


# Changes when the way an event is written changes, so no event kept by an earlier one is used.
EVENT_WRITER = "1"


def facts_digest(facts: _EventFacts) -> str:
    """The digest of everything a VEVENT says (what `MeetingEvent.digest` keeps)."""
    return hashlib.sha256(f"{EVENT_WRITER}{facts!r}".encode()).hexdigest()


class KeptEvents:
    """The VEVENTs a feed finds kept (by meeting id: digest and bytes, from `MeetingEvent`), and
    the ones it had to write, for the caller to keep."""

    def __init__(self, kept: dict[int, tuple[str, bytes]]):
        self.kept = kept
        self.written: dict[int, tuple[str, bytes]] = {}

    def event(self, meeting: Meeting, facts: _EventFacts) -> bytes:
        digest = facts_digest(facts)
        found = self.kept.get(meeting.pk)
        if found is not None and found[0] == digest:
            return found[1]
        body = _event_bytes(facts)
        self.written[meeting.pk] = (digest, body)
        return body


@functools.lru_cache(maxsize=256)
def _timezone(name: str) -> Timezone:
    """The VTIMEZONE of a zone (the same for every feed)."""
    return Timezone.from_tzid(name)


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
    kept: KeptEvents | None = None,
) -> bytes:
    """The feed of these meetings (with their series, when they belong to one) as iCalendar bytes.

    A series is its VEVENT (RRULE and EXDATEs) and, for each occurrence that differs from what the
    rule says (moved, cancelled, held, changed), an override with the RECURRENCE-ID of the date the
    rule gave it. A date the rule gives from `since` (default: as far back as feeds reach) up to
    the series' latest occurrence with no occurrence among `meetings` gets an EXDATE, and an
    occurrence whose date the rule no longer gives (it was edited since) is an event of its own:
    expanded, the feed holds exactly these meetings. With `kept`, each meeting's VEVENT is the
    one kept when it still says the same, and the ones written are in `kept.written`."""
    since = since or timezone.now() - FEED_HISTORY

    def vevent(meeting: Meeting, facts: _EventFacts) -> bytes:
        return kept.event(meeting, facts) if kept is not None else _event_bytes(facts)

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    of_series: dict[int, list[Meeting]] = {}
    every: dict[int, MeetingSeries] = {}
    events: list[bytes] = []
    zones: set[str] = set()
    for meeting in meetings:
        series = meeting.series
        zones.add(meeting.time_zone)
        if series is None:
            events.append(vevent(meeting, _facts(meeting, officer=officer(meeting), page=meeting_page(meeting))))
            continue
        every.setdefault(series.pk, series)
        of_series.setdefault(series.pk, []).append(meeting)
    latest = latest_occurrences(every)
    series_events: list[Event] = []
    for pk, series in every.items():
        zones.add(series.time_zone)
        rule_days = _rule_days(series, latest.get(pk, since))
        first_local = _local(series.first_start, series.zone).replace(tzinfo=None)
        given, held = set(rule_days), set()
        for meeting in of_series[pk]:
            day = occurrence_day(meeting, series)
            page = meeting_page(meeting)
            if day not in given:
                events.append(vevent(meeting, _facts(meeting, officer=officer(meeting), page=page)))
                continue
            held.add(day)
            if not _follows_rule(meeting, series):
                recurrence = nominal(day, first_local).replace(tzinfo=series.zone)
                facts = _facts(meeting, officer=officer(meeting), page=page, series=series, recurrence_id=recurrence)
                events.append(vevent(meeting, facts))
        skipped = [
            day for day in rule_days if day not in held and aware(nominal(day, first_local), series.zone) >= since
        ]
        series_events.append(_series_event(series, officer=officer(series), page=series_page(series), skipped=skipped))
    for zone_name in sorted(zones - UTC_NAMES):  # a time in UTC is written with a Z and needs none
        calendar.add_component(_timezone(zone_name))
    for event in series_events:
        calendar.add_component(event)
    head, end = calendar.to_ical().rsplit(b"END:VCALENDAR", 1)
    return b"".join([head, *events, b"END:VCALENDAR", end])
