"""The demo's founding conference: the federation (preparing, its readiness short of a second
district) convenes the conference that is to constitute it, over its districts.

Its delegations are sent by the districts (`delegation_kind` district), so the two constituted
districts get seats in proportion to their members counted on the cut-off date, two weeks ago
(East Docks, not constituted, sends none: a unit not yet founded on the cut-off date is not
apportioned). The call queues its notices to the districts' officers in the outbox (queued, not
sent). Each district elects its delegation today at a meeting of its committee, after the call:
a carried decision with the delegates, two ranked alternates and a chair, all members of the
district in good standing. The conference is credentialing: North Bank's credentials are all
verified and three of them seated; Old Town's first is verified and its last challenged on
grounds, the others still submitted. North Bank's meeting also submits the founding motion, with
one amendment proposed to its second paragraph by Old Town's chair.

Everything goes through the conference actions, audited as `demo`, with the demo's fixed numbers.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

from grassroots.conferences import actions as conferences
from grassroots.conferences import assembly, delegations
from grassroots.conferences.models import Conference, Delegation
from grassroots.meetings import actions as meetings
from grassroots.meetings.models import Decision
from grassroots.meetings.selectors import standing_of
from grassroots.organizations.models import PATH_END, Organization, Unit
from grassroots.people.models import Person

BY = "demo"
NAME = "Founding conference of the Riverside Federation"
CUTOFF_DAYS = 14  # the cut-off date is this many days before the demo is loaded
ALTERNATES = 2
SEED = "riverside-1871"  # the lot that would break a tie
GROUNDS = (
    "Old Town's treasurer says this delegate's dues were three months in arrears on the day of the "
    "election, so the delegate was not in good standing."
)
MOTION_TITLE = "Founding resolution"
MOTION_TEXT = (
    "The conference constitutes the Riverside Tenants' Federation as the common body of its districts "
    "and their building committees.\n\n"
    "The federation meets in conference every two years; its committee is elected by the conference.\n\n"
    "The federation's dues are one pound a month per member, shared equally with the districts."
)
AMENDMENT_TEXT = (
    "The federation meets in conference every year; its committee is elected by the conference "
    "and reports to each district twice a year."
)
AMENDED_PARAGRAPH = 2


def founding_conference(organization: Organization) -> Conference:
    """Convene, apportion, call and credential the founding conference; returns it (credentialing)."""
    federation = Unit.objects.get(organization=organization, parent__isnull=True)
    today = timezone.localdate(timezone=ZoneInfo(federation.meeting_time_zone))
    conference = conferences.add_conference(
        unit=federation,
        name=NAME,
        cutoff=today - dt.timedelta(days=CUTOFF_DAYS),
        starts_on=today + dt.timedelta(days=10),
        ends_on=today + dt.timedelta(days=11),
        place="Riverside Community Hall, 4 Canal Street",
        delegation_kind="district",
        seed=SEED,
        by=BY,
    )
    conferences.apportion_conference(conference=conference, by=BY)
    conferences.call_conference(conference=conference, by=BY)
    districts = list(
        Unit.objects.filter(organization=organization, kind="district", allocations__conference=conference)
        .filter(allocations__seats__gt=0)
        .order_by("path")
    )
    elected = {district.slug: _elect(conference, district) for district in districts}
    conferences.set_conference_status(conference=conference, status=Conference.Status.CREDENTIALING, by=BY)
    (north, decisions), (old_town, _) = elected["north-bank"], elected["old-town"]
    _credentials(north, old_town)
    _motion(conference, decisions[-1], old_town)
    return conference


def demo_conference(organization: Organization) -> Conference | None:
    """The demo's founding conference (for `grassroots demo` to print its page)."""
    return Conference.objects.filter(organization=organization, name=NAME).order_by("pk").first()


def _meeting_decisions(district: Unit, people: list[Person], texts: list[str]) -> list[Decision]:
    """A meeting of the district's committee that started this minute (after the call), attended
    by `people`, carrying one decision per text."""
    local = timezone.now().astimezone(ZoneInfo(district.meeting_time_zone))
    meeting = meetings.schedule_meeting(
        unit=district,
        title="Delegation to the founding conference",
        start=local.replace(tzinfo=None, second=0, microsecond=0),
        by=BY,
    )
    meetings.record_attendance(meeting=meeting, people=people, by=BY)
    return [
        meetings.record_decision(meeting=meeting, text=text, outcome=Decision.Outcome.CARRIED, by=BY) for text in texts
    ]


def _in_good_standing(conference: Conference, district: Unit, wanted: int) -> list[Person]:
    """The first `wanted` members of the district (oldest records first) in good standing today."""
    today = timezone.localdate(timezone=ZoneInfo(district.meeting_time_zone))
    counted = conference.organization.constitution.member_statuses.counted
    candidates = (
        Person.objects.filter(
            memberships__end__isnull=True,
            memberships__status__in=counted,
            memberships__unit__path__gte=district.path,
            memberships__unit__path__lt=district.path + PATH_END,
        )
        .order_by("pk")
        .distinct()
    )
    chosen: list[Person] = []
    for person in candidates.iterator():
        if standing_of(person, on=today).in_good_standing:
            chosen.append(person)
            if len(chosen) == wanted:
                break
    return chosen


def _elect(conference: Conference, district: Unit) -> tuple[Delegation, list[Decision]]:
    """The district elects its full delegation, two ranked alternates and its first delegate as
    chair (North Bank's meeting also submits the founding motion); returns it and the decisions."""
    seats = conference.allocations.get(unit=district).seats
    people = _in_good_standing(conference, district, seats + ALTERNATES)
    delegates, alternates = people[:seats], people[seats:]
    names = ", ".join(person.name for person in delegates)
    texts = [f"{district.name} elects to the founding conference: {names}; alternates in order: "]
    texts[0] += ", ".join(person.name for person in alternates) + f"; chair: {delegates[0].name}."
    if district.slug == "north-bank":
        texts.append(f"{district.name} submits the motion '{MOTION_TITLE}' to the founding conference.")
    decisions = _meeting_decisions(district, people, texts)
    delegation = delegations.elect_delegation(
        conference=conference,
        unit=district,
        decision=decisions[0],
        delegates=delegates,
        alternates=alternates,
        chair=delegates[0],
        by=BY,
    )
    return delegation, decisions


def _credentials(north: Delegation, old_town: Delegation) -> None:
    """North Bank's delegates all verified, the first three seated; Old Town's first verified and
    its last challenged; the rest (and every alternate) still submitted."""
    north_delegates = list(north.delegates.filter(role="delegate").order_by("rank"))
    for delegate in north_delegates:
        delegations.verify_credential(delegate=delegate, by=BY)
    for delegate in north_delegates[:3]:
        delegations.seat_delegate(delegate=delegate, by=BY)
    old_delegates = list(old_town.delegates.filter(role="delegate").order_by("rank"))
    delegations.verify_credential(delegate=old_delegates[0], by=BY)
    delegations.challenge_credential(delegate=old_delegates[-1], grounds=GROUNDS, by=BY)


def _motion(conference: Conference, submitted: Decision, old_town: Delegation) -> None:
    """North Bank's founding motion, admitted, and Old Town's chair's amendment to its second paragraph."""
    motion = assembly.add_motion(
        conference=conference, title=MOTION_TITLE, text=MOTION_TEXT, decision=submitted, founding=True, by=BY
    )
    assembly.set_motion_status(motion=motion, status="admitted", by=BY)
    chair = old_town.delegates.get(person=old_town.chair)
    assembly.add_amendment(motion=motion, text=AMENDMENT_TEXT, paragraph=AMENDED_PARAGRAPH, delegate=chair, by=BY)
