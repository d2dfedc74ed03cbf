"""A conference in session with seated delegates, for the tests of motions, polls and elections.

Delegations and delegates are written directly (the credentials work writes them through its
actions): one delegation per allocated unit, each from a carried decision of a meeting of that
unit held an hour ago, its delegates seated and present with the weights given."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from grassroots.conferences import actions
from grassroots.conferences.models import Conference, Delegate, Delegation
from grassroots.meetings.actions import schedule_meeting
from grassroots.meetings.models import Decision
from tests.support import builders


def carried_decision(unit, text: str = "We send our delegates.") -> Decision:
    """A carried decision of a meeting of `unit` that started an hour ago."""
    start = (timezone.localtime() - dt.timedelta(hours=1)).replace(tzinfo=None, second=0, microsecond=0)
    meeting = schedule_meeting(unit=unit, title="Delegates", start=start, by="test")
    return Decision.objects.create(meeting=meeting, text=text, outcome="carried", present=3, required=2, quorate=True)


def in_session(conference: Conference) -> Conference:
    """Call the conference (if planned) and step it on to in session."""
    if conference.status == Conference.Status.PLANNED:
        actions.call_conference(conference=conference, by="test")
    for status in ("credentialing", "in_session"):
        conference.refresh_from_db()
        if conference.status != Conference.Status.IN_SESSION:
            actions.set_conference_status(conference=conference, status=status, by="test")
    conference.refresh_from_db()
    return conference


def seat(conference: Conference, weights: dict[str, list[int]], *, chair: bool = False) -> dict[str, list[Delegate]]:
    """Seat present delegates: unit slug -> their weights (a delegation for each unit allocated).
    With `chair`, the first delegate of each delegation chairs it. Returns slug -> delegates."""
    seated: dict[str, list[Delegate]] = {}
    for allocation in conference.allocations.select_related("unit"):
        if allocation.unit.slug not in weights:
            continue
        delegation = Delegation.objects.create(
            conference=conference,
            allocation=allocation,
            unit=allocation.unit,
            decision=carried_decision(allocation.unit),
            elected_at=timezone.now(),
        )
        rows = []
        for rank, weight in enumerate(weights[allocation.unit.slug], 1):
            rows.append(
                Delegate.objects.create(
                    delegation=delegation,
                    conference=conference,
                    person=builders.person(conference.organization),
                    role=Delegate.Role.DELEGATE,
                    rank=rank,
                    weight=weight,
                    credential=Delegate.Credential.SEATED,
                    present=True,
                    checked_in_at=timezone.now(),
                )
            )
        if chair:
            delegation.chair = rows[0].person
            delegation.save(update_fields=["chair"])
        seated[allocation.unit.slug] = rows
    return seated
