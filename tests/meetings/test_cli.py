"""`grassroots meeting ...` and `grassroots standing`, run in process against the test database;
the calendar feed it prints is read back with recurring-ical-events."""

from __future__ import annotations

import datetime as dt
import json

import icalendar
import pytest
import recurring_ical_events
from django.utils import timezone

from grassroots.cli import main
from grassroots.meetings.models import Meeting
from tests.support import builders

pytestmark = pytest.mark.django_db


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def elm():
    org = builders.organization(slug="riverside")
    return builders.federation(org)["elm"]


def test_a_series_and_its_feed_hold_the_known_values(capsys, elm):
    """Second Tuesday 19:00 Europe/Berlin from 2027-01-12, 6 times, 13 April excluded: 5 meetings,
    18:00 UTC in winter and 17:00 UTC in summer (the clocks go forward on 28 March 2027)."""
    code, out, err = run(
        capsys,
        *("meeting", "add", "elm-house", "--title", "Monthly", "--start", "2027-01-12 19:00"),
        *("--tz", "Europe/Berlin", "--repeat", "FREQ=MONTHLY;BYDAY=2TU;COUNT=6", "--exclude", "2027-04-13", "--json"),
    )
    assert (code, err) == (0, "")
    answer = json.loads(out)
    first = Meeting.objects.get(pk=answer["id"])
    assert first.series_id == answer["series"]
    assert first.start == dt.datetime(2027, 1, 12, 18, 0, tzinfo=dt.UTC)

    code, out, _ = run(capsys, "meeting", "ics", "elm-house")
    assert code == 0
    assert "RRULE:FREQ=MONTHLY;COUNT=6;BYDAY=2TU" in out
    assert "EXDATE;TZID=Europe/Berlin:20270413T190000" in out
    calendar = icalendar.Calendar.from_ical(out)
    assert "Europe/Berlin" in {str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")}
    events = recurring_ical_events.of(calendar).between(dt.date(2027, 1, 1), dt.date(2028, 1, 1))
    starts = sorted(event["DTSTART"].dt.astimezone(dt.UTC) for event in events if "Monthly" in str(event["SUMMARY"]))
    assert [(s.month, s.day, s.hour) for s in starts] == [(1, 12, 18), (2, 9, 18), (3, 9, 18), (5, 11, 17), (6, 8, 17)]


def test_add_attend_decide_held_list_and_standing(capsys, elm):
    members = [m.person for m in elm.memberships.filter(end=None)]
    start = (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    code, out, _ = run(capsys, "meeting", "add", "elm-house", "--title", "Lift", "--start", start, "--json")
    meeting = json.loads(out)["id"]
    assert (code, json.loads(out)["series"]) == (0, None)
    code, out, err = run(capsys, "meeting", "attend", str(meeting), str(members[0].pk), str(members[1].pk))
    assert (code, out.strip()) == (0, f"2 recorded present at meeting {meeting} (0 unchanged).")
    decide = ("meeting", "decide", str(meeting), "--text", "Write to the landlord", "--outcome", "carried")
    code, out, _ = run(capsys, *decide)
    assert out.strip().endswith("carried WITHOUT QUORUM: 2 present, 3 required.")
    code, out, _ = run(capsys, "meeting", "held", str(meeting))
    day = Meeting.objects.get(pk=meeting).on
    assert (code, out.strip()) == (0, f"Meeting {meeting} held on {day}: 2 present.")
    code, out, _ = run(capsys, "meeting", "list", "elm-house", "--json")
    rows = {row["id"]: row for row in json.loads(out)}
    assert {key: rows[meeting][key] for key in ("title", "kind", "status", "present", "expected")} == {
        "title": "Lift",
        "kind": "regular",
        "status": "held",
        "present": 2,
        "expected": 3,
    }
    assert rows[meeting]["start"].endswith("+00:00")
    founding = [row for row in rows.values() if row["kind"] == "founding"]
    assert [(row["status"], row["present"]) for row in founding] == [("held", 3)]
    code, out, _ = run(capsys, "standing", str(members[0].pk), "--json")
    answer = json.loads(out)
    assert (answer["attended"], answer["required"], answer["in_good_standing"]) == (1, 3, False)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--start", "2027-03-28 02:30", "--tz", "Europe/Berlin"), "does not exist in Europe/Berlin"),
        (("--start", "tomorrow"), "--start: 'tomorrow' is not a date and time (YYYY-MM-DD HH:MM)"),
        (("--start", "2027-01-01 10:00", "--kind", "picnic"), "kind: 'picnic' is not a meeting kind here"),
        (("--start", "2027-01-01 10:00", "--exclude", "2027-01-08"), "--exclude: only a series"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(capsys, elm, args, message):
    code, out, err = run(capsys, "meeting", "add", "elm-house", "--title", "Bad", *args)
    assert code == 1 and message in err and "Traceback" not in err
    assert not Meeting.objects.filter(title="Bad").exists()


def test_time_zones_of_the_organization_and_a_unit(capsys, elm):
    assert run(capsys, "org", "time-zone", "riverside", "Europe/Lisbon")[1].strip() == (
        "riverside plans its meetings in Europe/Lisbon."
    )
    code, out, _ = run(capsys, "unit", "time-zone", "elm-house", "Europe/Berlin")
    assert (code, out.strip()) == (0, "elm-house plans its meetings in Europe/Berlin.")
    code, out, _ = run(capsys, "meeting", "add", "elm-house", "--title", "T", "--start", "2027-07-06 19:00", "--json")
    assert Meeting.objects.get(pk=json.loads(out)["id"]).start == dt.datetime(2027, 7, 6, 17, 0, tzinfo=dt.UTC)
    code, out, _ = run(capsys, "unit", "time-zone", "elm-house", "")
    assert out.strip() == "elm-house plans its meetings in Europe/Lisbon."
    code, _, err = run(capsys, "unit", "time-zone", "elm-house", "Moon/Base")
    assert code == 1 and "time_zone: 'Moon/Base' is not an IANA time zone" in err
