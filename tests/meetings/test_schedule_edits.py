"""Editing a series and a single meeting, exactly: a series edit reaches only the occurrences
still to come, planned and not changed on their own; a held past occurrence and an individually
moved one keep their times; SEQUENCE grows with each change of time, place or status; a start the
clocks skip or repeat is refused and changes nothing; after any of it, the calendar feed expanded
with recurring-ical-events holds exactly the meetings the database has, at the same instants."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from django.urls import reverse
from django.utils import timezone

from grassroots.audit.models import AuditRecord
from grassroots.errors import ActionRefused
from grassroots.meetings import actions
from grassroots.meetings.feeds import calendar_of
from grassroots.meetings.models import Meeting
from grassroots.meetings.selectors import feed_meetings
from tests.support import builders
from tests.support.meetings import second_tuesdays

pytestmark = pytest.mark.django_db
BY = builders.BY
BERLIN = ZoneInfo("Europe/Berlin")
FAR = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def elm(tree):
    return tree["elm"]


def _weekly(elm, *, days_back: int = 13, count: int = 8, hour: int = 18):
    """A weekly series in Berlin whose first meeting was `days_back` days ago (none falls today)."""
    first = dt.datetime.combine(timezone.localdate() - dt.timedelta(days=days_back), dt.time(hour, 0))
    return actions.schedule_series(
        unit=elm,
        title="Weekly",
        start=first,
        time_zone="Europe/Berlin",
        rule=f"FREQ=WEEKLY;COUNT={count}",
        by=BY,
        until=FAR,
    )


def _by_day(series) -> dict[dt.date, Meeting]:
    return {m.series_start.astimezone(BERLIN).date(): m for m in series.occurrences.all()}


def _expanded(elm, series=None) -> set[tuple[dt.datetime, str]]:
    """The unit's feed expanded by recurring-ical-events: each meeting's UTC start and status."""
    org = elm.organization
    body = calendar_of(
        feed_meetings(BY, org, unit=elm),
        name="test",
        officer=lambda _: True,
        meeting_page=lambda m: f"https://example.org/m/{m.pk}",
        series_page=lambda s: f"https://example.org/s/{s.pk}",
    )
    calendar = icalendar.Calendar.from_ical(body)
    since = timezone.localdate() - dt.timedelta(days=364)
    events = recurring_ical_events.of(calendar).between(since, dt.date(2031, 1, 1))
    return {(e["DTSTART"].dt.astimezone(dt.UTC), str(e.get("STATUS", "CONFIRMED"))) for e in events}


def _in_database(elm) -> set[tuple[dt.datetime, str]]:
    since = timezone.now() - dt.timedelta(days=364)
    status = {"cancelled": "CANCELLED"}
    return {
        (m.start.astimezone(dt.UTC), status.get(m.status, "CONFIRMED"))
        for m in Meeting.objects.filter(unit=elm, start__gte=since)
    }


def test_a_series_edit_moves_only_what_is_still_to_come(elm):
    series = _weekly(elm)
    today = timezone.localdate()
    days = sorted(_by_day(series))
    assert len(days) == 8 and days[0] == today - dt.timedelta(days=13)
    held = actions.mark_held(meeting=_by_day(series)[days[0]], by=BY)
    moved = actions.reschedule_meeting(
        meeting=_by_day(series)[days[3]], start=dt.datetime.combine(days[3], dt.time(20, 30)), by=BY
    )
    assert (moved.sequence, moved.changed) == (1, True)

    done = actions.edit_series(series=series, start=dt.datetime.combine(days[0], dt.time(19, 0)), place="Hall", by=BY)

    assert (done.followed, done.removed, done.added) == (5, 0, 0)
    after = _by_day(series)
    assert sorted(after) == days  # no occurrence added behind, none twice on a day
    local = {day: (m.local_start.time(), m.place, m.status, m.sequence) for day, m in after.items()}
    assert local[days[0]] == (dt.time(18, 0), "", "held", 1)  # held: as it was
    assert local[days[1]] == (dt.time(18, 0), "", "planned", 0)  # past, not held: as it was
    assert local[days[3]] == (dt.time(20, 30), "", "planned", 1)  # moved on its own: keeps its time
    for day in (days[2], *days[4:]):
        assert local[day] == (dt.time(19, 0), "Hall", "planned", 1)
    # Every occurrence is known by the time the rule now gives on its date (its RECURRENCE-ID).
    assert {m.series_start.astimezone(BERLIN).time() for m in after.values()} == {dt.time(19, 0)}
    assert held.pk == after[days[0]].pk
    record = AuditRecord.objects.get(action="meeting.series.edit", target_id=str(series.pk))
    assert record.changes["occurrences"] == [None, "5 changed, 0 removed"]
    assert _expanded(elm) == _in_database(elm)


def test_a_rule_change_removes_dates_to_come_and_never_fills_in_behind(elm):
    first = timezone.localdate() - dt.timedelta(days=13)
    days = [first + dt.timedelta(weeks=n) for n in range(8)]
    series = actions.schedule_series(
        unit=elm,
        title="Weekly",
        start=dt.datetime.combine(first, dt.time(18, 0)),
        time_zone="Europe/Berlin",
        rule="FREQ=WEEKLY;COUNT=8",
        excluded=[days[1]],  # a week ago: never held
        by=BY,
        until=FAR,
    )
    assert sorted(_by_day(series)) == [days[0], *days[2:]]
    actions.cancel_meeting(meeting=_by_day(series)[days[4]], by=BY)  # cancelled on its own: stays
    actions.add_agenda_item(meeting=_by_day(series)[days[5]], title="Rent", by=BY)
    done = actions.edit_series(series=series, rule="FREQ=WEEKLY;INTERVAL=2;COUNT=4", by=BY)
    # Every other week from the first date, four times: days 0, 2, 4 and 6. Days 3, 5 and 7 are
    # still to come and go, but day 5 has an agenda: it is cancelled and kept; day 4 was cancelled
    # on its own and stays.
    assert (done.removed, done.cancelled, done.added) == (2, 1, 0)
    assert sorted(_by_day(series)) == [days[0], days[2], days[4], days[5], days[6]]
    assert [_by_day(series)[day].status for day in (days[4], days[5])] == ["cancelled", "cancelled"]
    assert _by_day(series)[days[5]].agenda.get().title == "Rent"
    assert _expanded(elm) == _in_database(elm)
    # Back to every week with no date left out: the dates to come come back, the past one (a week
    # ago) is not filled in behind, and the feed leaves it out (an EXDATE) to match.
    done = actions.edit_series(series=series, rule="FREQ=WEEKLY;COUNT=8", excluded=[], by=BY)
    assert (done.removed, done.added) == (0, 2)  # days 3 and 7; day 5 is there, cancelled
    assert sorted(_by_day(series)) == [days[0], *days[2:]]
    assert _expanded(elm) == _in_database(elm)


def test_a_past_meeting_the_rule_no_longer_gives_stays_as_an_event_of_its_own(elm):
    series = _weekly(elm)
    days = sorted(_by_day(series))
    week_ago = _by_day(series)[days[1]]
    actions.edit_series(series=series, rule="FREQ=WEEKLY;INTERVAL=2;COUNT=4", by=BY)
    assert Meeting.objects.get(pk=week_ago.pk).start == week_ago.start  # past: stays
    assert _expanded(elm) == _in_database(elm)
    body = calendar_of(
        feed_meetings(BY, elm.organization, unit=elm),
        name="test",
        officer=lambda _: True,
        meeting_page=lambda m: "https://example.org/m",
        series_page=lambda s: "https://example.org/s",
    )
    uids = [str(e["UID"]) for e in icalendar.Calendar.from_ical(body).walk("VEVENT")]
    assert uids.count(f"{week_ago.uid}@grassroots") == 1


def test_a_series_edit_in_a_gap_or_with_a_bad_rule_changes_nothing(elm):
    series = _weekly(elm)
    before = sorted((m.pk, m.start, m.sequence) for m in series.occurrences.all())
    bad = [
        ({"start": dt.datetime(2027, 3, 28, 2, 30)}, "start: 2027-03-28 02:30 does not exist in Europe/Berlin"),
        ({"start": dt.datetime(2027, 10, 31, 2, 30)}, "start: 2027-10-31 02:30 happens twice in Europe/Berlin"),
        ({"rule": "FREQ=DAILY;BYHOUR=9,18"}, "repeat: the time of day comes from the start"),
        ({"rule": "FREQ=WEEKLY;UNTIL=20200101"}, "repeat: the rule gives no meeting"),
        ({"duration": 0}, "duration: 0 minutes is not between 1 and 1440"),
    ]
    for change, message in bad:
        with pytest.raises(ActionRefused, match=message):
            actions.edit_series(series=series, by=BY, **change)
    assert sorted((m.pk, m.start, m.sequence) for m in series.occurrences.all()) == before
    series.refresh_from_db()
    assert series.sequence == 0
    assert not AuditRecord.objects.filter(action="meeting.series.edit").exists()


def test_every_change_of_time_place_or_status_raises_the_sequence(elm):
    meeting = actions.schedule_meeting(
        unit=elm, title="Monthly", start=dt.datetime(2027, 3, 23, 19, 0), time_zone="Europe/Berlin", by=BY
    )
    steps = [
        ({"start": dt.datetime(2027, 3, 30, 19, 0)}, 1),  # after the clocks went forward: 17:00 UTC
        ({"place": "Hall"}, 2),
        ({"duration": 90}, 3),
        ({"place_visibility": "officers"}, 4),
        ({"title": "Renamed"}, 4),  # a title is no change of time or place
        ({"start": dt.datetime(2027, 3, 30, 19, 0)}, 4),  # the same time again: nothing changes
        ({"online_link": "https://meet.example.org/elm"}, 5),
    ]
    for change, sequence in steps:
        meeting = actions.reschedule_meeting(meeting=meeting, by=BY, **change)
        assert meeting.sequence == sequence, change
    assert meeting.start == dt.datetime(2027, 3, 30, 17, 0, tzinfo=dt.UTC)
    assert actions.cancel_meeting(meeting=meeting, by=BY).sequence == 6
    assert AuditRecord.objects.filter(action="meeting.edit", target_id=str(meeting.pk)).count() == 6


@pytest.mark.parametrize(
    ("local", "message"),
    [
        (dt.datetime(2027, 3, 28, 2, 30), "start: 2027-03-28 02:30 does not exist in Europe/Berlin"),
        (dt.datetime(2027, 10, 31, 2, 30), "start: 2027-10-31 02:30 happens twice in Europe/Berlin"),
    ],
)
def test_a_start_the_clocks_skip_or_repeat_is_refused_and_changes_nothing(elm, local, message):
    meeting = actions.schedule_meeting(
        unit=elm, title="Monthly", start=dt.datetime(2027, 3, 23, 19, 0), time_zone="Europe/Berlin", by=BY
    )
    with pytest.raises(ActionRefused, match=message):
        actions.reschedule_meeting(meeting=meeting, start=local, place="Elsewhere", by=BY)
    meeting.refresh_from_db()
    assert (meeting.start, meeting.place, meeting.sequence) == (dt.datetime(2027, 3, 23, 18, tzinfo=dt.UTC), "", 0)
    assert not AuditRecord.objects.filter(action="meeting.edit").exists()
    with pytest.raises(ActionRefused, match=message):
        actions.schedule_meeting(unit=elm, title="Night", start=local, time_zone="Europe/Berlin", by=BY)
    assert not Meeting.objects.filter(title="Night").exists()


def test_the_known_series_feed_with_its_conditional_get(client, org, elm):
    """Second Tuesday 19:00 Berlin from 2027-01-12, six times, 13 April left out: five meetings at
    18:00 UTC (January to March) and 17:00 UTC (May, June); then a series edit moves the feed on."""
    from grassroots.accounts.actions import create_account

    series = second_tuesdays(elm)
    person = elm.memberships.filter(end=None).order_by("person_id").last().person
    owner = create_account(email="reader@example.org", organization=org, person=person, by=BY).user
    _row, secret = actions.create_feed(owner=owner, organization=org, scope="unit", unit=elm)
    url = reverse("meeting_feed", args=[secret])
    first = client.get(url)
    assert first.status_code == 200
    text = first.content.decode()
    assert "RRULE:FREQ=MONTHLY;COUNT=6;BYDAY=2TU" in text
    assert "EXDATE;TZID=Europe/Berlin:20270413T190000" in text
    calendar = icalendar.Calendar.from_ical(first.content)
    assert "Europe/Berlin" in {str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")}
    events = recurring_ical_events.of(calendar).between(dt.date(2027, 1, 1), dt.date(2028, 1, 1))
    starts = sorted(e["DTSTART"].dt.astimezone(dt.UTC) for e in events if "Second Tuesday" in str(e["SUMMARY"]))
    assert [(s.month, s.day, s.hour) for s in starts] == [(1, 12, 18), (2, 9, 18), (3, 9, 18), (5, 11, 17), (6, 8, 17)]
    assert starts == sorted(series.occurrences.values_list("start", flat=True))

    # Conditional GETs: by the ETag, and by Last-Modified.
    assert client.get(url, headers={"If-None-Match": first["ETag"]}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": first["Last-Modified"]}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200

    # The series moves to 19:30 (every meeting is still to come): the feed changes with it.
    actions.edit_series(series=series, start=dt.datetime(2027, 1, 12, 19, 30), by=BY)
    again = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 200 and again["ETag"] != first["ETag"]
    assert "EXDATE;TZID=Europe/Berlin:20270413T193000" in again.content.decode()
    calendar = icalendar.Calendar.from_ical(again.content)
    events = recurring_ical_events.of(calendar).between(dt.date(2027, 1, 1), dt.date(2028, 1, 1))
    starts = sorted(e["DTSTART"].dt.astimezone(dt.UTC) for e in events if "Second Tuesday" in str(e["SUMMARY"]))
    assert [(s.month, s.day, s.hour, s.minute) for s in starts] == [
        (1, 12, 18, 30),
        (2, 9, 18, 30),
        (3, 9, 18, 30),
        (5, 11, 17, 30),
        (6, 8, 17, 30),
    ]
    assert [e["SEQUENCE"] for e in calendar.walk("VEVENT") if "RRULE" in e] == [1]


def test_a_series_with_until_is_read_alike_by_python_dateutil_and_a_calendar(elm):
    series = actions.schedule_series(
        unit=elm,
        title="Until",
        start=dt.datetime(2027, 1, 5, 19, 0),
        time_zone="Europe/Berlin",
        rule="FREQ=WEEKLY;UNTIL=20270126",
        by=BY,
        until=FAR,
    )
    assert series.occurrences.count() == 3  # 5, 12 and 19 January: UNTIL is the 26th at midnight
    assert _expanded(elm) == _in_database(elm)
