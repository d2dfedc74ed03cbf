"""Series editing, changing a meeting and reordering its agenda through the pages, the API and
the command line: each reaches the same actions, and bad input is a message naming its field."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from grassroots.audit.models import AuditRecord
from grassroots.cli import main
from grassroots.meetings import actions
from grassroots.meetings.models import Meeting
from tests.support import builders
from tests.support.html import text
from tests.support.meetings import second_tuesdays
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db
BY = builders.BY
FAR = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def elm(tree):
    return tree["elm"]


def _starts(series) -> list[tuple[int, int, int, int]]:
    """Each occurrence's UTC month, day, hour and minute, in order."""
    return [
        (s.month, s.day, s.hour, s.minute) for s in series.occurrences.order_by("start").values_list("start", flat=True)
    ]


# Pages


def test_the_series_editor_page(client, org, elm, staff, django_assert_max_num_queries):
    series = second_tuesdays(elm)
    march = series.occurrences.order_by("start")[2]
    actions.reschedule_meeting(meeting=march, start=dt.datetime(2027, 3, 10, 19, 0), by=BY)
    sign_in(client, staff)
    listing = client.get(reverse("unit_meetings", args=[org.slug, elm.slug]))
    assert "Second Tuesday FREQ=MONTHLY;BYDAY=2TU;COUNT=6" in text(listing, "series")
    assert "Tue 12 Jan 2027, 19:00" in text(listing, "upcoming")  # local to Berlin, not UTC
    url = reverse("meeting_series", args=[org.slug, series.pk])
    with django_assert_max_num_queries(20):
        page = client.get(url)
    assert "First meeting Tuesday 12 January 2027, 19:00 (Europe/Berlin)" in text(page, "facts")
    assert "Left out 2027-04-13" in text(page, "facts")
    form = {
        "title": "Second Tuesday",
        "start": "2027-01-12T18:30",
        "repeat": "FREQ=MONTHLY;BYDAY=2TU;COUNT=6",
        "excluded": "2027-04-13\n2027-06-08",
        "duration": "90",
        "place": "Hall",
        "place_visibility": "members",
        "online_link": "",
    }
    answer = client.post(url, form, follow=True)
    assert answer.redirect_chain == [(url, 302)]
    assert "3 meeting(s) to come changed, 1 removed, 0 cancelled, 0 added" in answer.content.decode()
    # January, February and May follow (18:30 Berlin); March keeps its own day and time; June goes.
    assert _starts(series) == [(1, 12, 17, 30), (2, 9, 17, 30), (3, 10, 18, 0), (5, 11, 16, 30)]
    bad = client.post(url, {**form, "repeat": "FREQ=DAILY;BYHOUR=9"})
    assert bad.status_code == 200
    assert "repeat: the time of day comes from the start" in text(bad)
    bad = client.post(url, {**form, "excluded": "someday"})
    assert "&#x27;someday&#x27; is not a date (YYYY-MM-DD)" in bad.content.decode()
    assert _starts(series) == [(1, 12, 17, 30), (2, 9, 17, 30), (3, 10, 18, 0), (5, 11, 16, 30)]


def test_changing_a_meeting_from_its_page(client, org, elm, staff):
    meeting = actions.schedule_meeting(
        unit=elm, title="Monthly", start=dt.datetime(2027, 10, 26, 19, 0), time_zone="Europe/Berlin", by=BY
    )
    sign_in(client, staff)
    assert "Change time, place or title" in text(client.get(reverse("meeting", args=[org.slug, meeting.pk])))
    url = reverse("meeting_edit", args=[org.slug, meeting.pk])
    page = client.get(url)
    assert 'value="2027-10-26T19:00"' in page.content.decode()
    form = {
        "title": "Monthly",
        "start": "2027-10-31T02:30",
        "duration": "120",
        "place": "",
        "place_visibility": "members",
    }
    bad = client.post(url, form)
    assert bad.status_code == 200 and "2027-10-31 02:30 happens twice in Europe/Berlin" in text(bad)
    meeting.refresh_from_db()
    assert (meeting.start, meeting.sequence) == (dt.datetime(2027, 10, 26, 17, 0, tzinfo=dt.UTC), 0)  # summer time
    done = client.post(url, {**form, "start": "2027-11-02T19:00", "place": "Hall"})
    assert done.url == reverse("meeting", args=[org.slug, meeting.pk])
    meeting.refresh_from_db()
    assert (meeting.start, meeting.place, meeting.sequence) == (dt.datetime(2027, 11, 2, 18, tzinfo=dt.UTC), "Hall", 1)


def test_reordering_the_agenda_from_the_page(client, org, elm, staff):
    meeting = actions.schedule_meeting(unit=elm, title="Monthly", start=dt.datetime(2027, 1, 12, 19, 0), by=BY)
    rent = actions.add_agenda_item(meeting=meeting, title="Rent", by=BY)
    lift = actions.add_agenda_item(meeting=meeting, title="Lift", by=BY)
    actions.add_agenda_item(meeting=meeting, title="Letter", parent=rent, by=BY)
    actions.add_agenda_item(meeting=meeting, title="Visit", parent=rent, by=BY)
    sign_in(client, staff)
    page = reverse("meeting", args=[org.slug, meeting.pk])
    assert text(client.get(page), "agenda").startswith("Agenda Rent ↓ Letter ↓ Visit ↑ Lift ↑")
    move = reverse("meeting_agenda_move", args=[org.slug, meeting.pk, lift.pk])
    assert client.post(move, {"position": "1"}).url == page
    visit = meeting.agenda.get(title="Visit")
    client.post(reverse("meeting_agenda_move", args=[org.slug, meeting.pk, visit.pk]), {"position": "1"})
    assert text(client.get(page), "agenda").startswith("Agenda Lift ↓ Rent ↑ Visit ↓ Letter ↑")
    refused = client.post(move, {"position": "3"}, follow=True)
    assert "position: 3 is not between 1 and 2 (the items)" in text(refused)
    other = actions.schedule_meeting(unit=elm, title="Other", start=dt.datetime(2027, 2, 9, 19, 0), by=BY)
    assert (
        client.post(reverse("meeting_agenda_move", args=[org.slug, other.pk, lift.pk]), {"position": "1"}).status_code
        == 404
    )
    assert AuditRecord.objects.filter(action="meeting.agenda.move", target_id=str(meeting.pk)).count() == 2


# Command line


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_series_edit_and_cancel_from_the_command_line(capsys, org, elm):
    series = second_tuesdays(elm)
    code, out, err = run(capsys, "meeting", "series", str(series.pk), "--json")
    assert (code, err) == (0, "")
    assert json.loads(out)["exclude"] == ["2027-04-13"]
    code, out, err = run(
        capsys, "meeting", "series", str(series.pk), "--start", "2027-01-12 18:00", "--exclude", "2027-06-08"
    )
    assert code == 0, err
    assert "4 to come changed, 1 removed, 0 cancelled, 0 added" in out
    assert _starts(series) == [(1, 12, 17, 0), (2, 9, 17, 0), (3, 9, 17, 0), (5, 11, 16, 0)]
    code, out, err = run(capsys, "meeting", "series", str(series.pk), "--include", "2027-04-13", "--json")
    assert json.loads(out)["exclude"] == ["2027-06-08"]
    assert _starts(series) == [(1, 12, 17, 0), (2, 9, 17, 0), (3, 9, 17, 0), (4, 13, 16, 0), (5, 11, 16, 0)]

    meeting = series.occurrences.order_by("start").first()
    code, out, err = run(capsys, "meeting", "edit", str(meeting.pk), "--start", "2027-03-28 02:30")
    assert code == 1 and "start: 2027-03-28 02:30 does not exist in Europe/Berlin" in err and "Traceback" not in err
    code, out, err = run(
        capsys, "meeting", "edit", str(meeting.pk), "--start", "2027-01-13 19:00", "--place", "Hall", "--json"
    )
    assert code == 0, err
    answer = json.loads(out)
    assert (answer["start"], answer["sequence"]) == ("2027-01-13T19:00:00+01:00", 2)  # the series edit, then this
    code, out, err = run(capsys, "meeting", "cancel", str(meeting.pk))
    assert (code, out.strip()) == (0, f"Meeting {meeting.pk} on 2027-01-13 is cancelled.")
    assert Meeting.objects.get(pk=meeting.pk).sequence == 3
    code, out, err = run(capsys, "meeting", "series", "999999")
    assert code == 1 and "no series '999999'" in err
