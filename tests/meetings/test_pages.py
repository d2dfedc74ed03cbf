"""The meeting pages: a unit's meetings, a meeting with its forms; a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grassroots.meetings import actions
from grassroots.meetings.models import Meeting
from tests.support import builders
from tests.support.html import text
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db
BY = builders.BY


@pytest.fixture
def staff_client(client, staff):
    return sign_in(client, staff)


@pytest.fixture
def elm(tree):
    return tree["elm"]


def _now_local() -> dt.datetime:
    return (timezone.localtime() - dt.timedelta(minutes=30)).replace(tzinfo=None, second=0, microsecond=0)


def test_plan_a_meeting_and_a_series_from_the_units_page(staff_client, org, elm):
    url = reverse("unit_meetings", args=[org.slug, elm.slug])
    form = {"title": "Lift repairs", "kind": "regular", "start": "2027-01-12T19:00", "duration": "90"}
    response = staff_client.post(url, {**form, "place": "Hall", "place_visibility": "members"}, follow=True)
    assert response.redirect_chain == [(url, 302)]
    meeting = Meeting.objects.get(title="Lift repairs")
    assert (meeting.local_start, meeting.duration) == (dt.datetime(2027, 1, 12, 19, 0, tzinfo=meeting.zone), 90)
    assert "Lift repairs" in text(response, "upcoming")
    series = {**form, "title": "Weekly", "repeat": "FREQ=WEEKLY;COUNT=3", "place_visibility": "members"}
    staff_client.post(url, series)
    assert Meeting.objects.filter(title="Weekly").count() == 3
    bad = staff_client.post(url, {**form, "title": "Bad", "repeat": "FREQ=NEVER", "place_visibility": "members"})
    assert bad.status_code == 200 and "repeat: &#x27;FREQ=NEVER&#x27; is not a recurrence rule" in bad.content.decode()
    assert not Meeting.objects.filter(title="Bad").exists()


def test_the_meeting_page_records_the_sheet_decisions_and_minutes(
    staff_client, org, elm, django_assert_max_num_queries
):
    meeting = actions.schedule_meeting(unit=elm, title="Monthly", start=_now_local(), by=BY)
    people = [m.person for m in elm.memberships.filter(end=None).order_by("person__name")]
    url = reverse("meeting", args=[org.slug, meeting.pk])
    # An empty agenda says so, not as a numbered item.
    page = staff_client.get(url).content.decode()
    agenda = page[page.index('<section id="agenda"') :].split("</section>")[0]
    assert "<p>No items yet.</p>" in agenda and "<ol>" not in agenda
    staff_client.post(reverse("meeting_agenda", args=[org.slug, meeting.pk]), {"title": "Rent"})
    sheet = {f"status_{people[0].pk}": "present", f"status_{people[1].pk}": "present"}
    staff_client.post(reverse("meeting_attend", args=[org.slug, meeting.pk]), sheet)
    staff_client.post(
        reverse("meeting_decide", args=[org.slug, meeting.pk]), {"text": "Write to the landlord", "outcome": "carried"}
    )
    staff_client.post(reverse("meeting_held", args=[org.slug, meeting.pk]))
    staff_client.post(reverse("meeting_minutes", args=[org.slug, meeting.pk]), {"text": "We met."})
    with django_assert_max_num_queries(30):
        response = staff_client.get(url)
    assert text(response, "present-count") == "2 / 3"
    assert "Rent" in text(response, "agenda")
    decision = meeting.decisions.get()
    assert f"Decision {decision.pk}: Carried : Write to the landlord (2 present, 3 required, without quorum )" in text(
        response, "decisions"
    )
    assert "Version 1, draft." in text(response, "minutes")
    meeting.refresh_from_db()
    assert meeting.status == "held"


def test_query_count_does_not_grow_with_attendance(staff_client, org, elm, django_assert_max_num_queries):
    meeting = actions.schedule_meeting(unit=elm, title="Big", start=_now_local(), by=BY)
    crowd = builders.members(org, elm, 30)
    actions.record_attendance(meeting=meeting, people=crowd, by=BY)
    with django_assert_max_num_queries(30):
        response = staff_client.get(reverse("meeting", args=[org.slug, meeting.pk]))
    assert text(response, "present-count") == "30 / 33"
    with django_assert_max_num_queries(25):
        listing = staff_client.get(reverse("unit_meetings", args=[org.slug, elm.slug]))
    assert "30 / 33" in text(listing, "past")


# Queries of each page or tap, whatever the number of meetings and attendance rows (the benchmark,
# bench/meetings.py, measures them at organizing scale). The tap: the meeting by its link, the
# transaction (here a savepoint) around one UPDATE and its audit record.
MEETING_LIST_QUERIES = 10
MEETING_PAGE_QUERIES = 14
TAP_QUERIES = 5


@pytest.mark.parametrize("size", [2, 25])
def test_the_list_the_meeting_page_and_a_tap_run_fixed_queries(
    staff_client, org, elm, size, django_assert_max_num_queries
):
    crowd = builders.members(org, elm, size)
    start = _now_local()
    for days in range(size):
        actions.schedule_meeting(unit=elm, title=f"Past {days}", start=start - dt.timedelta(days=days + 1), by=BY)
    meeting = actions.schedule_meeting(unit=elm, title="Tonight", start=start, by=BY)
    actions.record_attendance(meeting=meeting, people=crowd[:-1], by=BY)
    with django_assert_max_num_queries(MEETING_LIST_QUERIES):
        listing = staff_client.get(reverse("unit_meetings", args=[org.slug, elm.slug]))
    assert f"{size - 1} / {size + 3}" in text(listing, "past")
    with django_assert_max_num_queries(MEETING_PAGE_QUERIES):
        page = staff_client.get(reverse("meeting", args=[org.slug, meeting.pk]))
    assert text(page, "present-count") == f"{size - 1} / {size + 3}"
    # The sheet's grid: a status per row, present for whoever is present.
    html = page.content.decode()
    assert html.count('<select name="status_') == size + 3
    assert f'name="status_{crowd[0].pk}"' in html and html.count('<option value="present" selected>') == size - 1
    token = actions.issue_host_link(meeting=meeting, by=BY)
    last = crowd[-1]
    with django_assert_max_num_queries(TAP_QUERIES):
        tapped = Client().post(reverse("host_tap", args=[token]), {"person": last.pk, "present": "1"})
    assert tapped.status_code == 302
    assert meeting.attendance.get(person=last).status == "present"


def test_a_member_sees_their_own_check_in_code_and_nobody_elses(client, org, elm, django_user_model):
    from grassroots.accounts.actions import create_account

    first, second = [m.person for m in elm.memberships.filter(end=None).order_by("id")[:2]]
    meeting = actions.schedule_meeting(unit=elm, title="Soon", start=_now_local() + dt.timedelta(days=1), by=BY)
    actions.register(meeting=meeting, person=first, by=BY)
    actions.register(meeting=meeting, person=second, by=BY)
    create_account(email="first@example.org", organization=org, person=first, by=BY)
    sign_in(client, django_user_model.objects.get(email="first@example.org"))
    page = client.get(reverse("meeting", args=[org.slug, meeting.pk])).content.decode()
    assert page.count("<svg") == 1 and "Your check-in code" in page
