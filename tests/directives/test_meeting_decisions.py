"""A unit's open assignments on its next meeting's page (or a meeting whose agenda lists them), and
a decision of that meeting that marks one done or declined (the decision and the status written
together, or neither)."""

from __future__ import annotations

import datetime as dt
from html import unescape
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grassroots.directives import actions
from grassroots.directives.models import Assignment
from grassroots.directives.selectors import open_assignments_at
from grassroots.meetings.actions import add_agenda_item, cancel_meeting, mark_held, schedule_meeting
from grassroots.meetings.models import Decision
from tests.support.directives import DUE, region
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db


def _issued_to_houses(scene):
    directive = actions.create_directive(
        issuer=scene.top, title="Rent strike leaflets", due=DUE, by="test", target_kind="building_committee"
    )
    actions.issue_directive(directive=directive, by="test")
    return directive


def _started(unit):
    start = (timezone.localtime() - dt.timedelta(hours=1)).replace(tzinfo=None, second=0, microsecond=0)
    return schedule_meeting(unit=unit, title="Monthly", start=start, by="test")


def test_open_assignments_are_offered_on_the_next_meeting_only():
    """Two planned meetings of a house, 2 and 9 March 2027 at 19:00 Berlin (18:00 UTC): on
    1 March the directive is offered on the first only; on 3 March, the first held, on the second
    (and a cancelled meeting is never the next)."""
    scene = region()
    directive = _issued_to_houses(scene)
    house = scene.committees["district-2"][1]
    first = schedule_meeting(unit=house, title="March", start=dt.datetime(2027, 3, 2, 19, 0), by="test")
    second = schedule_meeting(unit=house, title="Later", start=dt.datetime(2027, 3, 9, 19, 0), by="test")
    march_1, march_3 = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC), dt.datetime(2027, 3, 3, 12, 0, tzinfo=dt.UTC)

    def offered(meeting, now):
        return [a.directive.title for a in open_assignments_at(meeting, now=now)]

    assert (offered(first, march_1), offered(second, march_1)) == (["Rent strike leaflets"], [])
    # The first meeting started (18:00 UTC on 2 March) and is not held yet: it is no longer the next.
    assert offered(second, dt.datetime(2027, 3, 2, 18, 0, 1, tzinfo=dt.UTC)) == ["Rent strike leaflets"]
    assert offered(first, dt.datetime(2027, 3, 2, 18, 0, tzinfo=dt.UTC)) == ["Rent strike leaflets"]
    with mock.patch("django.utils.timezone.now", return_value=march_1):
        client = sign_in(Client(), scene.secretaries[house.slug])
        pages = [unescape(client.get(reverse("meeting", args=[scene.org.slug, m.pk])).content.decode())
                 for m in (first, second)]  # fmt: skip
    assert 'id="open-assignments"' in pages[0] and "Directive: Rent strike leaflets" in pages[0]
    assert 'id="open-assignments"' not in pages[1] and "Rent strike leaflets" not in pages[1]
    with mock.patch("django.utils.timezone.now", return_value=march_3):
        mark_held(meeting=first, by="test")
        client = sign_in(Client(), scene.secretaries[house.slug])
        pages = [unescape(client.get(reverse("meeting", args=[scene.org.slug, m.pk])).content.decode())
                 for m in (first, second)]  # fmt: skip
    assert 'id="open-assignments"' not in pages[0]
    assert 'id="open-assignments"' in pages[1] and "Rent strike leaflets" in pages[1]
    cancel_meeting(meeting=second, by="test")
    third = schedule_meeting(unit=house, title="April", start=dt.datetime(2027, 4, 6, 19, 0), by="test")
    assert (offered(second, march_3), offered(third, march_3)) == ([], ["Rent strike leaflets"])
    assert directive.agenda_title == "Directive: Rent strike leaflets"


def test_open_assignments_are_offered_and_a_decision_marks_them_done_or_declined():
    """A meeting that started an hour ago is not the next one: it offers the directive once its
    agenda lists it, and the decision recorded there marks the assignment."""
    scene = region()
    directive = _issued_to_houses(scene)
    house = scene.committees["district-2"][1]
    meeting = _started(house)
    client = sign_in(Client(), scene.secretaries[house.slug])
    url = reverse("meeting", args=[scene.org.slug, meeting.pk])
    assert 'id="open-assignments"' not in client.get(url).content.decode()
    add_agenda_item(meeting=meeting, title=directive.agenda_title, by="test")
    page = unescape(client.get(url).content.decode())
    assert "Directives open for" in page and "Rent strike leaflets" in page and "(on this agenda)" in page
    assignment = Assignment.objects.get(directive=directive, unit=house)
    decide = reverse("meeting_decide", args=[scene.org.slug, meeting.pk])
    refused = client.post(
        decide,
        {"assignment": assignment.pk, "assignment_status": "pending", "text": "No", "outcome": "carried"},
        follow=True,
    )
    assert "assignment_status: a meeting marks an assignment done or declined" in unescape(refused.content.decode())
    assert not Decision.objects.exists()
    other = Assignment.objects.get(directive=directive, unit=scene.committees["district-2"][0])
    elsewhere = {"assignment": other.pk, "assignment_status": "done", "text": "X", "outcome": "carried"}
    absent = client.post(decide, elsewhere, follow=True)
    assert "assignment: not an open assignment of this unit" in unescape(absent.content.decode())
    assert Assignment.objects.get(pk=other.pk).status == "pending" and not Decision.objects.exists()
    client.post(
        decide,
        {"assignment": assignment.pk, "assignment_status": "declined", "text": "Not this month", "outcome": "carried"},
    )
    assignment.refresh_from_db()
    assert (assignment.status, assignment.reason) == ("declined", "Not this month")
    decision = Decision.objects.get()
    assert (decision.meeting_id, decision.text, decision.outcome) == (meeting.pk, "Not this month", "carried")
    assert 'id="open-assignments"' not in client.get(url).content.decode()


def test_a_decision_through_the_api_marks_the_units_assignment_and_nothing_else():
    import json

    from grassroots.accounts.actions import create_api_token

    scene = region()
    directive = _issued_to_houses(scene)
    house = scene.committees["district-1"][2]
    meeting = _started(house)
    token = create_api_token(user=scene.secretaries[house.slug], organization=scene.org, name="t", by="test")[1]
    client = Client(headers={"Authorization": f"Bearer {token}"})
    url = f"/api/orgs/{scene.org.slug}/meetings/{meeting.pk}/decisions"

    def post(body):
        return client.post(url, json.dumps(body), content_type="application/json")

    failed = post({"text": "No", "outcome": "failed", "directive": directive.pk, "assignment_status": "done"})
    assert (failed.status_code, failed.json()["field"]) == (409, "outcome")
    unknown = post({"text": "No", "outcome": "carried", "directive": 999999, "assignment_status": "done"})
    assert (unknown.status_code, unknown.json()["field"]) == (409, "directive")
    assert not Decision.objects.exists()
    made = post({"text": "Leaflets handed out", "outcome": "carried", "directive": directive.pk,
                 "assignment_status": "done"})  # fmt: skip
    assert made.status_code == 201, made.json()
    assert Assignment.objects.get(directive=directive, unit=house).status == "done"
    assert Assignment.objects.filter(directive=directive, status="done").count() == 1


def test_a_decision_through_the_command_line_declines_with_its_reason(capsys):
    from grassroots.cli import main

    scene = region()
    directive = _issued_to_houses(scene)
    house = scene.committees["district-3"][0]
    meeting = _started(house)
    args = ["meeting", "decide", str(meeting.pk), "--text", "Not now", "--outcome", "carried",
            "--directive", str(directive.pk), "--mark", "declined", "--reason", "Renovation"]  # fmt: skip
    assert main(args) == 0, capsys.readouterr()
    assignment = Assignment.objects.get(directive=directive, unit=house)
    assert (assignment.status, assignment.reason) == ("declined", "Renovation")
    assert Decision.objects.get().text == "Not now"


def test_an_upcoming_meeting_offers_the_agenda_only_a_started_one_the_decision():
    """On 1 March 2027 the house's meeting of 2 March is the next: it lists the directive with
    "Add to this agenda" and no decision form (a decision there could only be refused); once it
    has started (2 March, 18:30 UTC), its agenda listing the directive, the decision form is there,
    for the directive and in general."""
    scene = region()
    directive = _issued_to_houses(scene)
    house = scene.committees["district-2"][1]
    meeting = schedule_meeting(unit=house, title="March", start=dt.datetime(2027, 3, 2, 19, 0), by="test")
    url = reverse("meeting", args=[scene.org.slug, meeting.pk])
    decide = reverse("meeting_decide", args=[scene.org.slug, meeting.pk])
    pages = {}
    for moment in (dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC), dt.datetime(2027, 3, 2, 18, 30, tzinfo=dt.UTC)):
        with mock.patch("django.utils.timezone.now", return_value=moment):
            client = sign_in(Client(), scene.secretaries[house.slug])
            pages[moment.day] = unescape(client.get(url).content.decode())
            if moment.day == 1:
                add_agenda_item(meeting=meeting, title=directive.agenda_title, by="test")
    assert "Rent strike leaflets" in pages[1] and "Add to this agenda" in pages[1]
    assert f'action="{decide}"' not in pages[1] and 'name="assignment_status"' not in pages[1]
    assert 'name="assignment_status"' in pages[2] and pages[2].count(f'action="{decide}"') == 2
