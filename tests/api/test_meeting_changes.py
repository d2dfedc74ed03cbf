"""Changing series, meetings and agendas through the API: the same actions as the pages, with
refusals naming their field (409) and NUL characters refused by the schema (422)."""

from __future__ import annotations

import datetime as dt

from grassroots.meetings import actions
from tests.support import builders
from tests.support.meetings import second_tuesdays

BY = builders.BY
FAR = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def test_series_and_meeting_changes_through_the_api(api, org, tree):
    series = second_tuesdays(tree["elm"])
    got = api.get(f"/orgs/{org.slug}/series/{series.pk}").json()
    assert (got["start"], got["repeat"], got["exclude"]) == (
        "2027-01-12T19:00:00+01:00",
        "FREQ=MONTHLY;BYDAY=2TU;COUNT=6",
        ["2027-04-13"],
    )
    assert [row["start"] for row in got["upcoming"]][-2:] == ["2027-05-11T19:00:00+02:00", "2027-06-08T19:00:00+02:00"]
    february = got["upcoming"][1]["id"]
    moved = api.post(f"/orgs/{org.slug}/meetings/{february}/edit", {"start": "2027-02-10 19:00", "place": "Hall"})
    assert moved.status_code == 200, moved.json()
    assert (moved.json()["start"], moved.json()["place"], moved.json()["sequence"]) == (
        "2027-02-10T19:00:00+01:00",
        "Hall",
        1,
    )
    edited = api.post(f"/orgs/{org.slug}/series/{series.pk}/edit", {"start": "2027-01-12 20:00", "exclude": []})
    assert edited.status_code == 200, edited.json()
    body = edited.json()
    assert (body["exclude"], body["sequence"]) == ([], 1)
    starts = {row["id"]: (row["start"], row["changed"]) for row in body["upcoming"]}
    assert starts[february] == ("2027-02-10T19:00:00+01:00", True)  # keeps its own change
    assert sorted(start for start, _ in starts.values())[-3:] == [
        "2027-04-13T20:00:00+02:00",  # no longer left out: comes back
        "2027-05-11T20:00:00+02:00",
        "2027-06-08T20:00:00+02:00",
    ]
    gap = api.post(
        f"/orgs/{org.slug}/series/{series.pk}/edit", {"start": "2027-03-28 02:30", "repeat": "FREQ=WEEKLY;BYDAY=SU"}
    )
    assert gap.status_code == 409 and gap.json()["field"] == "start"
    assert "2027-03-28 02:30 does not exist in Europe/Berlin" in gap.json()["detail"]
    assert api.get(f"/orgs/{org.slug}/series/{series.pk}").json()["start"] == "2027-01-12T20:00:00+01:00"
    twice = api.post(f"/orgs/{org.slug}/meetings/{february}/edit", {"start": "2027-10-31 02:30"})
    assert twice.status_code == 409 and "happens twice" in twice.json()["detail"]
    nul = api.post(f"/orgs/{org.slug}/series/{series.pk}/edit", {"title": "a\x00b"})
    assert nul.status_code == 422
    assert api.get(f"/orgs/{org.slug}/series/987654").status_code == 404


def test_moving_an_agenda_item_through_the_api(api, org, tree):
    meeting = actions.schedule_meeting(unit=tree["elm"], title="Monthly", start=dt.datetime(2027, 1, 12, 19, 0), by=BY)
    first = actions.add_agenda_item(meeting=meeting, title="Rent", by=BY)
    second = actions.add_agenda_item(meeting=meeting, title="Lift", by=BY)
    moved = api.post(f"/orgs/{org.slug}/meetings/{meeting.pk}/agenda/{second.pk}/move", {"position": 1})
    assert moved.status_code == 200, moved.json()
    assert [item["title"] for item in moved.json()["agenda"]] == ["Lift", "Rent"]
    refused = api.post(f"/orgs/{org.slug}/meetings/{meeting.pk}/agenda/{first.pk}/move", {"position": 5})
    assert refused.status_code == 409 and refused.json()["field"] == "position"
    assert api.post(f"/orgs/{org.slug}/meetings/{meeting.pk}/agenda/987654/move", {"position": 1}).status_code == 404
