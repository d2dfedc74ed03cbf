"""Decisions with their agenda item, responsible person and due date; items left open carried to
the next meeting; minutes approved by a decision of a later meeting, which is recorded. On the
page, by the API and on the command line."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grassroots.audit.models import AuditRecord
from grassroots.cli import main
from grassroots.errors import ActionRefused
from grassroots.meetings import actions
from grassroots.meetings.models import AgendaItem, Decision, Minutes
from tests.api.conftest import Caller, bearer
from tests.support import builders
from tests.support.html import text
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db
BY = builders.BY


def _at(days: int, hour: int = 19) -> dt.datetime:
    return dt.datetime.combine(timezone.localdate() + dt.timedelta(days=days), dt.time(hour, 0))


@pytest.fixture
def elm(tree):
    return tree["elm"]


@pytest.fixture
def members(elm):
    return [m.person for m in elm.memberships.filter(end=None).order_by("person__name")]


@pytest.fixture
def api(org, staff):
    from grassroots.accounts.actions import create_api_token

    _record, token = create_api_token(user=staff, organization=org, by="test")
    return Caller(Client(), bearer(token))


@pytest.fixture
def staff_client(client, staff):
    return sign_in(client, staff)


def _held(unit, days_ago, present, title="Monthly"):
    meeting = actions.schedule_meeting(unit=unit, title=title, start=_at(-days_ago), by=BY)
    actions.record_attendance(meeting=meeting, people=present, by=BY)
    return meeting


def test_a_decision_on_an_item_with_a_responsible_person_and_due_date_on_the_page(staff_client, org, elm, members):
    meeting = _held(elm, 1, members)
    rent = actions.add_agenda_item(meeting=meeting, title="Rent", by=BY)
    lift = actions.add_agenda_item(meeting=meeting, title="Lift", by=BY)
    url = reverse("meeting_decide", args=[org.slug, meeting.pk])
    form = {"text": "Write to the landlord", "outcome": "carried", "yes": "3", "no": "0", "abstain": "0"}
    staff_client.post(url, {**form, "agenda_item": rent.pk, "responsible": members[0].pk, "due": "2031-02-01"})
    staff_client.post(url, {"text": "Ask again in spring", "outcome": "deferred", "agenda_item": lift.pk})
    decision = Decision.objects.get(text="Write to the landlord")
    assert (decision.agenda_item, decision.responsible, decision.due) == (rent, members[0], dt.date(2031, 2, 1))
    assert (decision.yes, decision.present, decision.required, decision.quorate) == (3, 3, 3, True)
    # Carried, its item is dealt with; deferred, the item stays open and is offered next time.
    assert AgendaItem.objects.get(pk=rent.pk).is_open is False
    assert AgendaItem.objects.get(pk=lift.pk).is_open is True
    with CaptureQueriesContext(connection) as two:
        page = staff_client.get(reverse("meeting", args=[org.slug, meeting.pk]))
    assert f"[Rent] Responsible: {members[0].name}, due 2031-02-01." in text(page, "decisions")
    for person in members:
        actions.record_decision(
            meeting=meeting, text=f"Ask {person.name}", outcome="failed", agenda_item=lift, responsible=person, by=BY
        )
    with CaptureQueriesContext(connection) as five:
        staff_client.get(reverse("meeting", args=[org.slug, meeting.pk]))
    assert len(five.captured_queries) == len(two.captured_queries)  # decisions read with their item and person
    AgendaItem.objects.filter(pk=lift.pk).update(is_open=True)
    actions.mark_held(meeting=meeting, by=BY)
    nxt = actions.schedule_meeting(unit=elm, title="Next", start=_at(10), by=BY)
    page = staff_client.get(reverse("meeting", args=[org.slug, nxt.pk]))
    assert text(page, "offered").startswith("Lift")
    staff_client.post(reverse("meeting_agenda_carry", args=[org.slug, nxt.pk]), {"item": lift.pk})
    carried = nxt.agenda.get()
    assert (carried.title, carried.carried_from_id) == ("Lift", lift.pk)
    refused = staff_client.post(
        reverse("meeting_agenda_carry", args=[org.slug, nxt.pk]), {"item": rent.pk}, follow=True
    )
    assert "item: not an item still open at the last meeting" in text(refused, "messages")


def test_minutes_are_approved_at_a_later_meeting_on_the_page(staff_client, org, elm, members):
    first = _held(elm, 30, members, title="March")
    actions.mark_held(meeting=first, by=BY)
    actions.write_minutes(meeting=first, text="We met in March.", by=BY)
    second = _held(elm, 1, members[:2], title="April")
    page = staff_client.get(reverse("meeting", args=[org.slug, second.pk]))
    minutes = Minutes.objects.get(meeting=first)
    assert f'<option value="{minutes.pk}">March, {first.on} (version 1)</option>' in page.content.decode()
    response = staff_client.post(
        reverse("meeting_approve_minutes", args=[org.slug, second.pk]), {"minutes": minutes.pk, "yes": "2"}, follow=True
    )
    assert "The minutes are approved." in text(response, "messages")
    minutes.refresh_from_db()
    first.refresh_from_db()
    assert (minutes.status, first.status, minutes.approved_by.meeting) == ("approved", "approved", second)
    # Approved without quorum (2 of 3 present) it stands, flagged on the decision.
    assert (minutes.approved_by.outcome, minutes.approved_by.quorate, minutes.approved_by.yes) == ("carried", False, 2)
    shown = text(staff_client.get(reverse("meeting", args=[org.slug, first.pk])), "minutes")
    assert f"Version 1, approved at the meeting of {second.on} ( April )." in shown
    assert AuditRecord.objects.filter(action="meeting.approve", target_id=str(first.pk)).count() == 1
    with pytest.raises(ActionRefused, match="approved already|minutes approved; it cannot become"):
        actions.approve_minutes_at(minutes=minutes, at=second, by=BY)
    assert Decision.objects.filter(meeting=second).count() == 1


def test_minutes_cannot_be_approved_at_the_same_or_an_earlier_meeting(elm, members):
    earlier = _held(elm, 20, members)
    later = _held(elm, 5, members)
    actions.mark_held(meeting=later, by=BY)
    minutes = actions.write_minutes(meeting=later, text="Later minutes", by=BY)
    for at in (later, earlier):
        with pytest.raises(ActionRefused, match="a decision of a later meeting of the same unit"):
            actions.approve_minutes_at(minutes=minutes, at=at, by=BY)
    assert not Decision.objects.exists()  # the decision written first is rolled back with the refusal


def test_decisions_and_minutes_by_the_api(api, org, elm, members):
    first = _held(elm, 30, members)
    item = actions.add_agenda_item(meeting=first, title="Heating", by=BY)
    body = {"text": "Call the engineer", "outcome": "deferred", "agenda_item": item.pk, "responsible": members[1].pk}
    decided = api.post(f"/orgs/{org.slug}/meetings/{first.pk}/decisions", {**body, "due": "2031-01-10"})
    assert decided.status_code == 201, decided.json()
    assert {k: decided.json()[k] for k in ("agenda_item", "responsible", "due", "meeting")} == {
        "agenda_item": item.pk,
        "responsible": members[1].pk,
        "due": "2031-01-10",
        "meeting": first.pk,
    }
    wrong = api.post(f"/orgs/{org.slug}/meetings/{first.pk}/decisions", {**body, "agenda_item": 10**12})
    assert (wrong.status_code, wrong.json()["field"]) == (409, "agenda_item")
    api.post(f"/orgs/{org.slug}/meetings/{first.pk}/held")
    api.post(f"/orgs/{org.slug}/meetings/{first.pk}/minutes", {"text": "Heating deferred."})
    second = _held(elm, 1, members)
    detail = api.get(f"/orgs/{org.slug}/meetings/{second.pk}").json()
    assert [i["title"] for i in detail["offered"]] == ["Heating"]
    carried = api.post(f"/orgs/{org.slug}/meetings/{second.pk}/agenda", {"title": "Heating", "carried_from": item.pk})
    assert carried.status_code == 201 and [i["title"] for i in carried.json()["agenda"]] == ["Heating"]
    approved = api.post(f"/orgs/{org.slug}/meetings/{second.pk}/minutes/approve", {"minutes_of": first.pk, "yes": 3})
    assert approved.status_code == 201, approved.json()
    assert (approved.json()["status"], approved.json()["minutes"]["approved_at"]) == ("approved", second.pk)
    again = api.post(f"/orgs/{org.slug}/meetings/{second.pk}/minutes/approve", {"minutes_of": first.pk})
    assert again.status_code == 409


def test_decisions_and_minutes_on_the_command_line(capsys, org, elm, members, tmp_path):
    first = _held(elm, 30, members)
    item = actions.add_agenda_item(meeting=first, title="Bins", by=BY)
    code = main(
        ["meeting", "decide", str(first.pk), "--text", "New bins", "--outcome", "carried", "--item", str(item.pk)]
        + ["--responsible", str(members[2].pk), "--due", "2031-03-01"]
    )
    assert code == 0
    decision = Decision.objects.get(text="New bins")
    assert (decision.agenda_item_id, decision.responsible_id, decision.due) == (
        item.pk,
        members[2].pk,
        dt.date(2031, 3, 1),
    )
    assert main(["meeting", "held", str(first.pk)]) == 0
    notes = tmp_path / "minutes.txt"
    notes.write_text("We agreed on new bins.\n", encoding="utf-8")
    assert main(["meeting", "minutes", str(first.pk), "--file", str(notes)]) == 0
    second = _held(elm, 1, members)
    capsys.readouterr()
    assert main(["meeting", "approve", str(first.pk), "--at", str(second.pk), "--yes", "3"]) == 0
    assert (
        capsys.readouterr().out.strip() == f"Minutes of meeting {first.pk} (version 1) approved at meeting {second.pk}."
    )
    assert Minutes.objects.get(meeting=first).approved_by.meeting_id == second.pk
    assert main(["meeting", "approve", str(second.pk), "--at", str(first.pk)]) != 0
    assert f"meeting {second.pk} has no minutes" in capsys.readouterr().err
