"""Changes to meetings. Each action checks its rules, writes the change and its audit record in one
transaction; a refusal changes nothing. Meetings are managed by whoever manages the unit;
attendance is personal data, recorded only for people the actor may see."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from grassroots.access import Right, authorize, grants_for, is_operator
from grassroots.audit.actions import Actor, actor_label, write_audit_record
from grassroots.education.actions import credit_sessions
from grassroots.errors import ActionRefused, refuse_overlong
from grassroots.organizations.models import Unit, UnitState
from grassroots.people.models import Membership, Person

from ..models import Attendance, Meeting, Minutes, PlaceVisibility
from ..times import aware_start, zone_named

# Check-in opens this long before the start; attendance is not recorded earlier.
CHECK_IN_OPENS = dt.timedelta(hours=2)


def authorize_planning(unit: Unit, by: Actor) -> None:
    """Refuse who may not manage the unit, and a dissolved unit (it holds no meetings)."""
    authorize(by, Right.MANAGE_UNITS, unit)
    if unit.state == UnitState.DISSOLVED:
        raise ActionRefused(f"{unit.name} is dissolved and holds no meetings", field="unit")


def _check_details(
    unit: Unit, *, kind: str, title: str, duration: int, place: str, place_visibility: str, online_link: str
) -> None:
    kinds = unit.organization.constitution.meeting_kinds
    if kind not in kinds:
        raise ActionRefused(f"kind: '{kind}' is not a meeting kind here (known: {', '.join(kinds)})", field="kind")
    refuse_overlong("title", title, 200)
    refuse_overlong("place", place, 500)
    refuse_overlong("online_link", online_link, 500)
    if online_link and not online_link.startswith(("https://", "http://")):
        raise ActionRefused("online_link: give a web address starting with https://", field="online_link")
    if not 1 <= duration <= 24 * 60:
        raise ActionRefused(f"duration: {duration} minutes is not between 1 and 1440", field="duration")
    if place_visibility not in PlaceVisibility.values:
        raise ActionRefused("place_visibility: members or officers", field="place_visibility")


def invite_members(meeting: Meeting, *, by: Actor) -> int:
    """Invite the unit's members on the meeting's day, set-based; those with a row keep it."""
    now = timezone.now()
    already = Attendance.objects.filter(meeting=meeting).values("person_id")
    # Those who are members on the meeting's day: today's members for a meeting ahead, the
    # members of the time for one entered afterwards.
    members = Membership.objects.on(meeting.on).filter(unit_id=meeting.unit_id).exclude(person_id__in=already)
    counted = set(meeting.unit.organization.constitution.member_statuses.counted)
    rows = [
        Attendance(
            meeting=meeting,
            person_id=person_id,
            status=Attendance.Status.INVITED,
            guest=status not in counted,  # a supporter is asked, and never makes the quorum
            recorded_by=actor_label(by),
            recorded_at=now,
        )
        for person_id, status in members.values_list("person_id", "status")
    ]
    Attendance.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def schedule_meeting(
    *,
    unit: Unit,
    title: str,
    start: dt.datetime,
    by: Actor,
    kind: str = Meeting.Kind.REGULAR,
    time_zone: str | None = None,
    duration: int = 120,
    place: str = "",
    place_visibility: str = PlaceVisibility.MEMBERS,
    online_link: str = "",
) -> Meeting:
    """Plan a meeting of a unit at a local start in its time zone (the unit's, else the
    organization's, unless `time_zone` says); the unit's current members are invited. A start
    the clock change skips is refused."""
    zone = zone_named(time_zone or unit.meeting_time_zone)
    aware = aware_start(start, zone)
    title = title.strip()
    _check_details(
        unit,
        kind=kind,
        title=title,
        duration=duration,
        place=place,
        place_visibility=place_visibility,
        online_link=online_link,
    )
    with transaction.atomic():
        authorize_planning(unit, by)
        meeting = Meeting.objects.create(
            unit=unit,
            kind=kind,
            title=title or unit.organization.constitution.meeting_kinds[kind],
            start=aware,
            time_zone=zone.key,
            duration=duration,
            place=place.strip(),
            place_visibility=place_visibility,
            online_link=online_link,
        )
        invited = invite_members(meeting, by=by)
        write_audit_record(
            by=by,
            action="meeting.add",
            target=meeting,
            organization=unit.organization,
            unit=unit,
            changes={"title": [None, meeting.title], "start": [None, aware.isoformat()], "invited": [None, invited]},
        )
    return meeting


def _locked(meeting: Meeting, by: Actor) -> Meeting:
    meeting.refresh_from_db(from_queryset=Meeting.objects.select_for_update())
    authorize(by, Right.MANAGE_UNITS, meeting.unit)
    return meeting


def reschedule_meeting(
    *,
    meeting: Meeting,
    by: Actor,
    start: dt.datetime | None = None,
    duration: int | None = None,
    place: str | None = None,
    place_visibility: str | None = None,
    title: str | None = None,
    online_link: str | None = None,
) -> Meeting:
    """Change a planned meeting's time, duration, place, online link or title; a change of time,
    duration, place or link raises its sequence (calendar clients replace their copy), and an
    occurrence of a series keeps its change when the series is edited. A start the clocks skip
    or repeat is refused and changes nothing."""
    with transaction.atomic():
        meeting = _locked(meeting, by)
        if meeting.status != Meeting.Status.PLANNED:
            raise ActionRefused(f"the meeting is {meeting.get_status_display()}; only a planned one is rescheduled")
        changes: dict[str, list] = {}
        if start is not None:
            aware = aware_start(start, meeting.zone)
            if aware != meeting.start:
                changes["start"] = [meeting.start.isoformat(), aware.isoformat()]
                meeting.start = aware
        if duration is not None and duration != meeting.duration:
            changes["duration"] = [meeting.duration, duration]
            meeting.duration = duration
        if place is not None and place.strip() != meeting.place:
            changes["place"] = [meeting.place, place.strip()]
            meeting.place = place.strip()
        if place_visibility is not None and place_visibility != meeting.place_visibility:
            changes["place_visibility"] = [meeting.place_visibility, place_visibility]
            meeting.place_visibility = place_visibility
        if title is not None and title.strip() and title.strip() != meeting.title:
            changes["title"] = [meeting.title, title.strip()]
            meeting.title = title.strip()
        if online_link is not None and online_link.strip() != meeting.online_link:
            changes["online_link"] = [meeting.online_link, online_link.strip()]
            meeting.online_link = online_link.strip()
        _check_details(
            meeting.unit,
            kind=meeting.kind,
            title=meeting.title,
            duration=meeting.duration,
            place=meeting.place,
            place_visibility=meeting.place_visibility,
            online_link=meeting.online_link,
        )
        if not changes:
            return meeting
        if {"start", "duration", "place", "place_visibility", "online_link"} & set(changes):
            meeting.sequence += 1
        meeting.changed = meeting.series_id is not None
        meeting.save()
        write_audit_record(
            by=by,
            action="meeting.edit",
            target=meeting,
            organization=meeting.unit.organization,
            unit=meeting.unit,
            changes=changes,
        )
    return meeting


def _set_status(meeting: Meeting, status: str, *, allowed_from: Sequence[str], by: Actor, action: str) -> Meeting:
    if meeting.status not in allowed_from:
        raise ActionRefused(
            f"the meeting is {meeting.get_status_display()}; it cannot become {Meeting.Status(status).label}"
        )
    old = meeting.status
    meeting.status = status
    meeting.sequence += 1
    meeting.save(update_fields=["status", "sequence", "updated_at"])
    write_audit_record(
        by=by,
        action=action,
        target=meeting,
        organization=meeting.unit.organization,
        unit=meeting.unit,
        changes={"status": [old, status]},
    )
    return meeting


def mark_held(*, meeting: Meeting, by: Actor) -> Meeting:
    """Record that a planned meeting took place (not before it started); the invited who did not
    come are then absent."""
    with transaction.atomic():
        meeting = _locked(meeting, by)
        if meeting.start > timezone.now():
            raise ActionRefused(f"the meeting starts {meeting.local_start:%Y-%m-%d %H:%M}; it cannot be held before")
        Attendance.objects.filter(
            meeting=meeting, status__in=(Attendance.Status.INVITED, Attendance.Status.REGISTERED)
        ).update(status=Attendance.Status.ABSENT)
        planned = [Meeting.Status.PLANNED]
        return _set_status(meeting, Meeting.Status.HELD, allowed_from=planned, by=by, action="meeting.held")


def cancel_meeting(*, meeting: Meeting, by: Actor) -> Meeting:
    """Cancel a planned meeting; it stays, with status cancelled, so calendars learn of it."""
    with transaction.atomic():
        meeting = _locked(meeting, by)
        meeting.changed = meeting.series_id is not None
        meeting.save(update_fields=["changed"])
        return _set_status(
            meeting, Meeting.Status.CANCELLED, allowed_from=[Meeting.Status.PLANNED], by=by, action="meeting.cancel"
        )


def _check_people_visible(by: Actor, meeting: Meeting, people: Sequence[Person]) -> None:
    """Attendance is personal data: only for people of the organization the actor may see and edit."""
    organization = meeting.unit.organization
    grants = None if is_operator(by) else grants_for(by, organization.pk)
    for person in people:
        if person.organization_id != organization.pk:
            raise ActionRefused(f"person {person.pk} is not in {organization.name}", field="person")
        hidden = not (person.unit_path and grants and grants.allows(Right.EDIT_PEOPLE, person.unit_path))
        if grants is not None and not grants.everything and hidden:
            raise ActionRefused(f"no person {person.pk} in {organization.slug}", field="person")


def outside_the_unit(meeting: Meeting, people: Sequence[Person]) -> list[Person]:
    """The people who are neither on the meeting's list nor members (of any status) of its unit
    or a unit under it today: attendance is not recorded for them."""
    ids = [person.pk for person in people]
    listed = set(Attendance.objects.filter(meeting=meeting, person_id__in=ids).values_list("person_id", flat=True))
    path = meeting.unit.path
    members = set(
        Membership.objects.current()
        .filter(person_id__in=ids, unit__path__gte=path, unit__path__lt=path + "~")
        .values_list("person_id", flat=True)
    )
    return [person for person in people if person.pk not in listed and person.pk not in members]


def _refuse_outsiders(meeting: Meeting, people: Sequence[Person]) -> None:
    outsiders = outside_the_unit(meeting, people)
    if outsiders:
        names = ", ".join(str(person.pk) for person in outsiders)
        raise ActionRefused(
            f"person: {names} neither on this meeting's list nor a member of {meeting.unit.name}", field="person"
        )


def check_status_and_method(status: str, method: str) -> None:
    if status not in Attendance.Status.values:
        raise ActionRefused(f"status: '{status}' is not one of {', '.join(Attendance.Status.values)}", field="status")
    if method not in Attendance.Method.values:
        raise ActionRefused(f"method: '{method}' is not one of {', '.join(Attendance.Method.values)}", field="method")


def record_attendance(
    *,
    meeting: Meeting,
    people: Sequence[Person],
    by: Actor,
    status: str = Attendance.Status.PRESENT,
    method: str = Attendance.Method.PAPER,
    arrived_at: dt.datetime | None = None,
) -> list[Attendance]:
    """Record people's attendance at a meeting, one row per person (a second record changes the
    row), by whoever manages its unit, for people they may see. See `write_attendance`."""
    check_status_and_method(status, method)
    with transaction.atomic():
        meeting = _locked(meeting, by)
        _check_people_visible(by, meeting, people)
        _refuse_outsiders(meeting, people)
        return write_attendance(meeting, people, by=by, status=status, method=method, arrived_at=arrived_at)


def write_attendance(
    meeting: Meeting,
    people: Sequence[Person],
    *,
    by: Actor,
    status: str,
    method: str,
    arrived_at: dt.datetime | None = None,
) -> list[Attendance]:
    """Write attendance rows of a meeting locked by the caller, who has checked the actor's right.
    Present or absent only once check-in opens (two hours before the start), never at a
    cancelled meeting. Someone who is not a counted member of the unit (a supporter, someone from
    elsewhere) is recorded as a guest and never makes the quorum; nobody becomes a member by
    attending. Rows that already say the same are left alone and not audited."""
    now = timezone.now()
    if meeting.status == Meeting.Status.CANCELLED:
        raise ActionRefused("the meeting is cancelled; no attendance is recorded", field="meeting")
    if status in (Attendance.Status.PRESENT, Attendance.Status.ABSENT) and now < meeting.start - CHECK_IN_OPENS:
        raise ActionRefused(
            f"the meeting starts {meeting.local_start:%Y-%m-%d %H:%M}; attendance opens two hours before",
            field="meeting",
        )
    counted = meeting.unit.organization.constitution.member_statuses.counted
    members = set(
        Membership.objects.current()
        .filter(unit_id=meeting.unit_id, person__in=people, status__in=counted)
        .values_list("person_id", flat=True)
    )
    existing = {row.person_id: row for row in Attendance.objects.filter(meeting=meeting, person__in=people)}
    changed: list[Attendance] = []
    for person in dict.fromkeys(people):
        row = existing.get(person.pk) or Attendance(meeting=meeting, person=person, guest=person.pk not in members)
        if row.pk is not None and row.status == status:
            continue
        row.guest = person.pk not in members  # as they stand now: a supporter invited stays a guest
        row.status = status
        row.method = method
        row.arrived_at = (arrived_at or now) if status == Attendance.Status.PRESENT else None
        row.recorded_by = actor_label(by)
        row.recorded_at = now
        row.save()
        changed.append(row)
    if changed:
        audit_attendance(meeting, by=by, status=status, method=method, person_ids=[row.person_id for row in changed])
        if status == Attendance.Status.PRESENT and meeting.course_id:
            credit_sessions(meeting=meeting, person_ids=[row.person_id for row in changed], by=by)
    return changed


def audit_attendance(meeting: Meeting, *, by: Actor, status: str, method: str, person_ids: list[int]) -> None:
    """The audit record of attendance recorded at a meeting: who got which status, and how."""
    write_audit_record(
        by=by,
        action="meeting.attend",
        target=meeting,
        organization=meeting.unit.organization,
        unit=meeting.unit,
        changes={status: [None, person_ids], "method": [None, method]},
    )


def record_founding_meeting(*, unit: Unit, on: dt.date, members: Sequence[Person], minutes: str, by: Actor) -> Meeting:
    """The founding meeting a founding records (called by `found_unit` inside its transaction): a
    held meeting of kind founding on that day, its founding members present. A founding meeting
    already planned for that day is the one used; otherwise it starts at midnight of the day."""
    zone = zone_named(unit.meeting_time_zone)
    first, after = (
        dt.datetime.combine(on, dt.time.min, tzinfo=zone),
        dt.datetime.combine(on + dt.timedelta(days=1), dt.time.min, tzinfo=zone),
    )
    meeting = (
        Meeting.objects.select_for_update()
        .filter(unit=unit, kind=Meeting.Kind.FOUNDING, status=Meeting.Status.PLANNED, start__gte=first, start__lt=after)
        .first()
    )
    if meeting is None:
        meeting = Meeting.objects.create(
            unit=unit,
            kind=Meeting.Kind.FOUNDING,
            title="Founding meeting",
            start=first,
            time_zone=zone.key,
            status=Meeting.Status.HELD,
        )
    else:
        meeting.status = Meeting.Status.HELD
        meeting.sequence += 1
        meeting.save(update_fields=["status", "sequence", "updated_at"])
    now = timezone.now()
    Attendance.objects.filter(meeting=meeting).exclude(person__in=members).filter(
        status__in=(Attendance.Status.INVITED, Attendance.Status.REGISTERED)
    ).update(status=Attendance.Status.ABSENT)
    Attendance.objects.filter(meeting=meeting, person__in=members).delete()
    Attendance.objects.bulk_create(
        Attendance(
            meeting=meeting,
            person=person,
            status=Attendance.Status.PRESENT,
            method=Attendance.Method.PAPER,
            arrived_at=meeting.start,
            recorded_by=actor_label(by),
            recorded_at=now,
        )
        for person in dict.fromkeys(members)
    )
    if minutes.strip():
        Minutes.objects.create(meeting=meeting, version=1, text=minutes.strip(), written_by=actor_label(by))
    write_audit_record(
        by=by,
        action="meeting.held",
        target=meeting,
        organization=unit.organization,
        unit=unit,
        changes={"status": [None, Meeting.Status.HELD], "present": [None, [p.pk for p in members]]},
    )
    return meeting
