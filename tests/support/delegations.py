"""Delegations for conference tests: the conference of `conference_scene` called, a meeting of a
unit that elects its delegation after the call, and the unit's members to elect."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from grassroots.conferences import actions
from grassroots.conferences.models import Conference
from grassroots.meetings import actions as meetings
from grassroots.meetings.models import Decision
from grassroots.organizations.models import Unit
from grassroots.people.models import Person
from tests.support.conferences import conference


def called(unit: Unit, **options) -> Conference:
    """The conference of `unit` (D'Hondt, 5 seats: Elm House 4, Oak Court 1), called."""
    return actions.call_conference(conference=conference(unit, **options), by="test")


def election(unit: Unit, *, outcome: str = "carried", start: dt.datetime | None = None) -> Decision:
    """A decision of a meeting of `unit` held now (or at `start`) electing its delegation. Its
    members attended it and the two meetings of the days before, so they are in good standing
    under the template's rule (3 meetings in 12 months)."""
    start = start or timezone.now()
    people = members_of(unit)
    meeting = None
    for days in (2, 1, 0):
        meeting = meetings.schedule_meeting(
            unit=unit, title="Delegation", start=start - dt.timedelta(days=days), by="test"
        )
        meetings.record_attendance(meeting=meeting, people=people, by="test")
        meetings.mark_held(meeting=meeting, by="test")
    assert meeting is not None
    return meetings.record_decision(meeting=meeting, text="Elect our delegation", outcome=outcome, by="test")


def members_of(unit: Unit) -> list[Person]:
    """The unit's current members (status member), oldest first."""
    return list(
        Person.objects.filter(memberships__unit=unit, memberships__end__isnull=True, memberships__status="member")
        .order_by("pk")
        .distinct()
    )
