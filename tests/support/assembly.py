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


def matrix_session(federation, cutoff: dt.date) -> dict[str, int]:
    """For the authorization matrix: a conference of `federation` in session, five seated delegates
    of weight 1 in its first delegation with seats (the third gave a proxy to the fourth), motion 1
    adopted (a resolution), motion 2 submitted, a draft and an open poll, a draft and an open
    election with one ballot, the fifth's (a proxy is neither given nor withdrawn by a delegate
    whose ballot is in an open election)."""
    from grassroots.conferences import assembly
    from grassroots.conferences.models import ElectionBallot

    found = in_session(
        actions.add_conference(unit=federation, name="Session", cutoff=cutoff, by="test", method="dhondt", seats=3)
    )
    first = found.allocations.filter(seats__gt=0).select_related("unit").first()
    assert first is not None
    delegates = seat(found, {first.unit.slug: [1, 1, 1, 1, 1]})[first.unit.slug]
    proxy = assembly.give_proxy(giver=delegates[2], holder=delegates[3], by="test")
    resolution = assembly.add_motion(
        conference=found, title="Found", text="We found.", by="test", delegate=delegates[0]
    )
    for status in ("admitted", "debated", "adopted"):
        assembly.set_motion_status(motion=resolution, status=status, by="test")
    assembly.add_motion(conference=found, title="Dues", text="Lower dues.", by="test", delegate=delegates[1])
    draft = assembly.add_poll(conference=found, subject="Draft", by="test")
    opened = assembly.open_poll(poll=assembly.add_poll(conference=found, subject="Open", by="test"), by="test")

    def election():
        return assembly.add_election(
            conference=found, title="Council", method="plurality", candidates=["A", "B"], by="test"
        )

    draft_election, open_election = election(), assembly.open_election(election=election(), by="test")
    ElectionBallot.objects.create(election=open_election, delegate=delegates[4], choices=["A"], cast_at=timezone.now())
    return {
        "session": found.pk,
        "giver": delegates[0].pk,
        "holder": delegates[1].pk,
        "proxy": proxy.pk,
        "draft poll": draft.pk,
        "open poll": opened.pk,
        "draft election": draft_election.pk,
        "open election": open_election.pk,
    }


def founding_conference(org) -> tuple:
    """A federation ready to be constituted (three constituted districts, 250 members) and its
    founding conference in session: two present delegates of its first basic unit (weight 1, members
    of it) and the founding resolution adopted. Returns the federation, the conference and the
    delegates."""
    from grassroots.conferences import assembly
    from grassroots.organizations.actions import found_unit
    from grassroots.people.actions import join_unit

    top = builders.unit(org, "federation", "Federation")
    for name in ("North", "South", "East"):
        district = builders.unit(org, "district", name, top, state="preparing")
        secretary = builders.district_ready_to_constitute(org, district)
        found_unit(unit=district, by="test", officers={"secretary": secretary})
    first = top.children.order_by("pk").first().children.order_by("pk").first()
    builders.members(org, first, 130)
    found = in_session(
        actions.add_conference(unit=top, name="Founding", cutoff=dt.date.today(), by="test", method="dhondt", seats=5)
    )
    delegates = seat(found, {first.slug: [1, 1]})[first.slug]
    for delegate in delegates:
        join_unit(person=delegate.person, unit=first, by="test", status="member")
    motion = assembly.add_motion(conference=found, title="Founding", text="We found it.", by="test",
                                 delegate=delegates[0], founding=True)  # fmt: skip
    for status in ("admitted", "debated", "adopted"):
        assembly.set_motion_status(motion=motion, status=status, by="test")
    return top, found, delegates
