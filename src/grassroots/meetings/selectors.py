"""Reads of meetings, always given the user: meetings are scoped like units, attendance like people."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from grassroots.access import NotVisible, Right, restrict
from grassroots.constitution.meeting_rules import Standing, quorum_required, standing, standing_window
from grassroots.ids import is_row_id
from grassroots.organizations.models import Organization, Unit
from grassroots.people.models import Membership, Person

from .models import AgendaItem, Attendance, Meeting
from .times import day_bounds

# Who is expected at a meeting: everyone asked or coming, not those excused.
EXPECTED = (
    Attendance.Status.INVITED,
    Attendance.Status.REGISTERED,
    Attendance.Status.PRESENT,
    Attendance.Status.ABSENT,
)
# Meetings whose attendance counts for standing and health: they took place.
TOOK_PLACE = (Meeting.Status.HELD, Meeting.Status.APPROVED)


def meetings_visible_to(user, organization: Organization) -> QuerySet[Meeting]:
    """The meetings of units the user may see."""
    return restrict(Meeting.objects.select_related("unit__organization"), user=user, organization=organization)


def with_counts(meetings: QuerySet[Meeting]) -> QuerySet[Meeting]:
    """Each meeting with `present` and `expected`, counted in the same query."""
    return meetings.annotate(
        present=Count("attendance", filter=Q(attendance__status=Attendance.Status.PRESENT)),
        expected=Count("attendance", filter=Q(attendance__status__in=EXPECTED)),
    )


def meetings_of_unit(
    user, unit: Unit, *, since: dt.date | None = None, until: dt.date | None = None
) -> QuerySet[Meeting]:
    """A unit's meetings from `since` to `until` (days in the unit's zone, both included), by start."""
    meetings = meetings_visible_to(user, unit.organization).filter(unit=unit)
    zone = ZoneInfo(unit.meeting_time_zone)
    if since is not None:
        meetings = meetings.filter(start__gte=day_bounds(since, zone)[0])
    if until is not None:
        meetings = meetings.filter(start__lt=day_bounds(until, zone)[1])
    return with_counts(meetings).order_by("start", "id")


def meeting_for(user, organization: Organization, pk: int | str) -> Meeting:
    """The meeting with this number, or 404 when unknown or out of the user's scope."""
    meeting = meetings_visible_to(user, organization).filter(pk=pk).first() if is_row_id(pk) else None
    if meeting is None:
        if is_row_id(pk) and Meeting.objects.filter(unit__organization=organization, pk=pk).exists():
            raise NotVisible(f"no meeting {pk} in {organization.slug}", organization=organization, what=f"meeting {pk}")
        raise Http404(f"no meeting {pk} in {organization.slug}")
    return meeting


def attendance_of(user, meeting: Meeting) -> QuerySet[Attendance]:
    """The attendance rows of a meeting whose people the user may see (attendance is personal data)."""
    people = restrict(Person.objects.all(), user=user, organization=meeting.unit.organization)
    return (
        Attendance.objects.filter(meeting=meeting, person__in=people)
        .select_related("person")
        .order_by("person__name", "person_id")
    )


def agenda_of(meeting: Meeting) -> list[AgendaItem]:
    """The meeting's agenda in order, each item with its sub-items (one level)."""
    items = list(AgendaItem.objects.filter(meeting=meeting).order_by("position", "id"))
    top = [item for item in items if item.parent_id is None]
    for item in top:
        item.children = [sub for sub in items if sub.parent_id == item.pk]  # type: ignore[attr-defined]
    return top


def open_items_before(meeting: Meeting) -> list[AgendaItem]:
    """Items still open at the unit's last meeting held before this one: offered for its agenda."""
    previous = (
        Meeting.objects.filter(unit_id=meeting.unit_id, start__lt=meeting.start, status__in=TOOK_PLACE)
        .order_by("-start", "-id")
        .first()
    )
    if previous is None:
        return []
    return list(AgendaItem.objects.filter(meeting=previous, is_open=True, parent__isnull=True).order_by("position"))


def present_count(meeting: Meeting) -> int:
    """Members of the unit present (guests are counted apart and never make the quorum)."""
    return Attendance.objects.filter(meeting=meeting, status=Attendance.Status.PRESENT, guest=False).count()


def _attended_counts(person_ids: Iterable[int], organization: Organization, on: dt.date) -> dict[int, int]:
    rule = organization.constitution.meetings.standing
    if rule is None:
        return {}
    zone = ZoneInfo(organization.time_zone)
    since = day_bounds(standing_window(rule, on), zone)[1]
    until = day_bounds(on, zone)[1]
    rows = (
        Attendance.objects.filter(
            person_id__in=list(person_ids),
            status=Attendance.Status.PRESENT,
            meeting__status__in=TOOK_PLACE,
            meeting__start__gte=since,
            meeting__start__lt=until,
        )
        .values("person_id")
        .annotate(n=Count("id"))
    )
    return {row["person_id"]: row["n"] for row in rows}


def standing_of(person: Person, *, on: dt.date) -> Standing:
    """A person's standing on a day: a member counted by the constitution then, who (by its
    standing rule, if any) attended enough meetings in the months before."""
    organization = person.organization
    counted = organization.constitution.member_statuses.counted
    member = Membership.objects.on(on).filter(person=person, status__in=counted).exists()
    attended = _attended_counts([person.pk], organization, on).get(person.pk, 0)
    return standing(organization.constitution.meetings.standing, on=on, attended=attended, member=member)


def members_in_good_standing(unit: Unit, *, on: dt.date) -> int:
    """How many members of a unit are in good standing on a day: two queries, whatever its size."""
    organization = unit.organization
    constitution = organization.constitution
    members = list(
        Membership.objects.on(on)
        .filter(unit=unit, status__in=constitution.member_statuses.counted)
        .values_list("person_id", flat=True)
    )
    rule = constitution.meetings.standing
    if rule is None:
        return len(members)
    attended = _attended_counts(members, organization, on)
    return sum(1 for person_id in members if attended.get(person_id, 0) >= rule.attended_at_least)


def quorum_of(meeting: Meeting) -> tuple[int, int]:
    """(present, required) for a decision at this meeting, by the constitution's quorum rule."""
    rule = meeting.unit.organization.constitution.meetings.quorum
    required = quorum_required(rule, members_in_good_standing(meeting.unit, on=meeting.on)) if rule else 0
    return present_count(meeting), required


def visible_unit_ids(user, organization: Organization) -> QuerySet[Unit]:
    """The units the user may see (for a feed or a list of meetings across a subtree)."""
    return restrict(Unit.objects.all(), user=user, organization=organization, right=Right.VIEW_UNITS)
