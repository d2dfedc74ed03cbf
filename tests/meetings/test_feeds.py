"""Calendar feeds by secret address: parsed back with icalendar and expanded with
recurring-ical-events; revocation, ETag, no attendee names, places kept for officers."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
import recurring_ical_events
from django.urls import reverse
from django.utils import timezone

from grassroots.accounts.actions import create_account
from grassroots.audit.models import AuditRecord
from grassroots.meetings import actions
from grassroots.meetings.models import FeedToken
from grassroots.organizations import actions as units
from tests.support import builders
from tests.support.meetings import second_tuesdays
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db
BY = builders.BY
FAR = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def elm(tree):
    return tree["elm"]


@pytest.fixture
def member(org, elm):
    """A member of Elm House who signs in (no post): reads the members' feed."""
    person = elm.memberships.filter(end=None).order_by("person_id").last().person
    return create_account(email="member@example.org", organization=org, person=person, by=BY).user


def _feed(client, owner, organization, scope, unit=None) -> str:
    _feed_row, secret = actions.create_feed(owner=owner, organization=organization, scope=scope, unit=unit)
    return reverse("meeting_feed", args=[secret])


def _calendar(response) -> icalendar.Calendar:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(response.content)


def test_a_series_with_a_moved_and_a_cancelled_occurrence(client, org, elm, member):
    series = second_tuesdays(elm, place="Flat 3, second floor", place_visibility="officers")
    february, march = series.occurrences.order_by("start")[1:3]
    actions.reschedule_meeting(meeting=february, start=dt.datetime(2027, 2, 10, 19, 30), by=BY)
    actions.cancel_meeting(meeting=march, by=BY)
    url = _feed(client, member, org, "unit", elm)
    body = client.get(url)
    calendar = _calendar(body)
    events = recurring_ical_events.of(calendar).between(dt.date(2027, 1, 1), dt.date(2028, 1, 1))
    by_day = {event["DTSTART"].dt.astimezone(dt.UTC).date(): event for event in events}
    assert sorted(by_day) == [
        dt.date(2027, 1, 12),
        dt.date(2027, 2, 10),  # moved from the 9th, to 19:30 Berlin
        dt.date(2027, 3, 9),  # cancelled: still there, with its status
        dt.date(2027, 5, 11),
        dt.date(2027, 6, 8),
    ]
    assert by_day[dt.date(2027, 2, 10)]["DTSTART"].dt.astimezone(dt.UTC).time() == dt.time(18, 30)
    assert str(by_day[dt.date(2027, 3, 9)]["STATUS"]) == "CANCELLED"
    assert by_day[dt.date(2027, 2, 10)]["SEQUENCE"] == 1
    overrides = [e for e in calendar.walk("VEVENT") if "RECURRENCE-ID" in e]
    assert {e["RECURRENCE-ID"].dt.date() for e in overrides} == {dt.date(2027, 2, 9), dt.date(2027, 3, 9)}
    # One UID for the series and its overrides (the founding meeting of 2024 is over a year back).
    assert {str(e["UID"]) for e in calendar.walk("VEVENT")} == {f"{series.uid}@grassroots"}
    # A member's feed keeps the officers' place hidden, and names no one who attends.
    assert {str(e.get("LOCATION")) for e in calendar.walk("VEVENT") if "RRULE" in e} == {"see the meeting page"}
    text = body.content.decode()
    for person in (m.person for m in elm.memberships.all()):
        assert person.name not in text
    assert "Europe/Berlin" in {str(z["TZID"]) for z in calendar.walk("VTIMEZONE")}
    assert f"/o/{org.slug}/meetings/" in str(overrides[0]["URL"])


def test_an_officer_feed_shows_the_place_and_the_subtree(client, org, tree, staff):
    actions.schedule_meeting(
        unit=tree["oak"],
        title="Oak",
        start=dt.datetime(2027, 1, 5, 19),
        place="Oak cellar",
        place_visibility="officers",
        by=BY,
    )
    actions.schedule_meeting(unit=tree["ash"], title="Ash", start=dt.datetime(2027, 1, 6, 19), by=BY)
    calendar = _calendar(client.get(_feed(client, staff, org, "subtree", tree["north"])))
    summaries = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert "Oak (Oak Court)" in summaries and "Ash (Ash Tower)" not in summaries  # Ash is in the south
    assert str(summaries["Oak (Oak Court)"]["LOCATION"]) == "Oak cellar"


def test_etag_revocation_and_unknown_addresses(client, org, elm, member):
    actions.schedule_meeting(unit=elm, title="Monthly", start=dt.datetime(2027, 1, 5, 19), by=BY)
    url = _feed(client, member, org, "mine")
    first = client.get(url)
    assert first.status_code == 200 and first["ETag"] and first["Last-Modified"]
    assert "Monthly (Elm House)" in first.content.decode()
    assert client.get(url, headers={"If-None-Match": first["ETag"]}).status_code == 304
    feed = FeedToken.objects.get(owner=member)
    assert AuditRecord.objects.filter(action="meeting.feed.create", target_id=str(feed.pk)).exists()
    sign_in(client, member)
    response = client.post(reverse("meeting_feed_revoke", args=[org.slug, feed.pk]))
    assert response.url == reverse("meeting_feeds", args=[org.slug])
    client.logout()
    assert client.get(url).status_code == 404
    assert client.get(reverse("meeting_feed", args=["not-a-secret"])).status_code == 404
    assert AuditRecord.objects.filter(action="meeting.feed.revoke", target_id=str(feed.pk)).count() == 1


def test_a_feed_follows_its_owners_rights_today(client, org, tree, staff):
    (secretary,) = builders.members(org, tree["oak"], 1)
    units.assign_post(unit=tree["north"], person=secretary, post="secretary", by=BY, on=timezone.localdate())
    user = create_account(email="sec@example.org", organization=org, person=secretary, by=BY).user
    actions.schedule_meeting(unit=tree["elm"], title="Elm", start=dt.datetime(2027, 1, 5, 19), by=BY)
    url = _feed(client, user, org, "subtree", tree["north"])
    assert "Elm (Elm House)" in client.get(url).content.decode()
    units.end_post(holding=tree["north"].posts.get(person=secretary, end=None), by=BY, on=timezone.localdate())
    assert "Elm (Elm House)" not in client.get(url).content.decode()


def test_a_subtree_feed_is_for_officers(org, tree, member):
    from grassroots.access import OutOfScope

    with pytest.raises(OutOfScope):
        actions.create_feed(owner=member, organization=org, scope="subtree", unit=tree["north"])
    assert not FeedToken.objects.exists()


def test_a_feed_asked_again_reads_no_rows_and_its_events_are_kept(
    client, org, elm, member, django_assert_max_num_queries, monkeypatch
):
    """A client with the feed's ETag is answered 304 from one aggregate; a new process (nothing
    kept in memory) sends the body kept with the feed, or reads the events kept in the database;
    a rename changes the feed at once."""
    from grassroots.meetings import feeds
    from grassroots.meetings.models import MeetingEvent

    actions.schedule_meeting(unit=elm, title="Monthly", start=dt.datetime(2027, 1, 5, 19), by=BY)
    actions.schedule_meeting(unit=elm, title="Extra", start=dt.datetime(2027, 2, 2, 19), by=BY)
    url = _feed(client, member, org, "unit", elm)
    first = client.get(url)
    assert first.status_code == 200
    assert MeetingEvent.objects.filter(meeting__unit=elm).count() == 2
    with django_assert_max_num_queries(5):  # the feed, the owner's grants, one aggregate: no rows
        again = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304 and again["ETag"] == first["ETag"] and again.content == b""

    feed = FeedToken.objects.get(owner=member)
    assert feed.kept_etag == first["ETag"] and bytes(feed.kept_body) == first.content

    # Another process, nothing in its memory: the body kept with the feed is sent; without it, the
    # events kept in the database are read back, none written again.
    feeds._event_bytes.cache_clear()

    def no_writing(facts):
        raise AssertionError(f"written again: {facts.summary}")

    monkeypatch.setattr(feeds, "_event_bytes", no_writing)
    assert client.get(url).content == first.content
    FeedToken.objects.filter(pk=feed.pk).update(kept_etag="", kept_body=b"")
    fresh = client.get(url)
    assert fresh.content == first.content and fresh["ETag"] == first["ETag"]
    monkeypatch.undo()

    # A rename (no meeting changed): another ETag, the new name in every event, kept again.
    units.rename_unit(unit=elm, name="Elm Hall", by=BY)
    renamed = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert renamed.status_code == 200 and renamed["ETag"] != first["ETag"]
    summaries = sorted(str(event["SUMMARY"]) for event in _calendar(renamed).walk("VEVENT"))
    assert summaries == ["Extra (Elm Hall)", "Monthly (Elm Hall)"]
    kept = MeetingEvent.objects.filter(meeting__unit=elm)
    assert all(b"Elm Hall" in bytes(event.ical) for event in kept)
