"""Attendance entered by hand or by the members themselves: the grid of a paper sheet (a sheet
file is read in `meetings.sheets`), a member's own registration (with its one-time check-in code)
and a member's own check-in, and walk-ins only counted."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from grassroots.access import grants_for
from grassroots.audit.actions import Actor, write_audit_record
from grassroots.errors import ActionRefused
from grassroots.people.models import Person

from ..models import Attendance, Meeting
from .meetings import (
    CHECK_IN_OPENS,
    _check_people_visible,
    _locked,
    _refuse_outsiders,
    check_status_and_method,
    outside_the_unit,
    write_attendance,
)


def record_sheet(
    *, meeting: Meeting, marks: Sequence[tuple[Person, str]], by: Actor, method: str = Attendance.Method.PAPER
) -> list[Attendance]:
    """A sheet entered afterwards: each person with their status, all in one transaction (one
    audit record per status given); a row already so is left alone."""
    for _person, status in marks:
        check_status_and_method(status, method)
    people = [person for person, _status in marks]
    with transaction.atomic():
        meeting = _locked(meeting, by)
        _check_people_visible(by, meeting, people)
        _refuse_outsiders(meeting, people)
        by_status: dict[str, list[Person]] = {}
        for person, status in marks:
            by_status.setdefault(status, []).append(person)
        changed: list[Attendance] = []
        for status, group in by_status.items():
            changed += write_attendance(meeting, group, by=by, status=status, method=method)
    return changed


def own_person(user, meeting: Meeting) -> Person:
    """The person the signed-in user is in the meeting's organization, who may register or check
    in: on the meeting's list or a member of its unit today."""
    person_id = grants_for(user, meeting.unit.organization_id).person_id
    person = Person.objects.filter(pk=person_id).first() if person_id else None
    if person is None:
        raise ActionRefused("you are no person of this organization: only members register", field="person")
    if outside_the_unit(meeting, [person]):
        raise ActionRefused(f"you are not on this meeting's list nor a member of {meeting.unit.name}", field="person")
    return person


def _self_locked(meeting: Meeting) -> Meeting:
    meeting.refresh_from_db(from_queryset=Meeting.objects.select_for_update())
    return meeting


def register_self(*, meeting: Meeting, by) -> str:
    """A member registers for a meeting ahead (status registered) and gets a one-time check-in
    code for the door (shown as a QR code); registering again shows the same code."""
    with transaction.atomic():
        meeting = _self_locked(meeting)
        person = own_person(by, meeting)
        if meeting.status != Meeting.Status.PLANNED or timezone.now() >= meeting.end:
            raise ActionRefused(f"the meeting is {meeting.get_status_display()} and over; nobody registers for it")
        row = Attendance.objects.filter(meeting=meeting, person=person).first()
        if row is not None and row.status == Attendance.Status.PRESENT:
            raise ActionRefused("you are already checked in")
        if row is not None and row.status == Attendance.Status.REGISTERED and row.code:
            return row.code
        code = secrets.token_urlsafe(12)
        write_attendance(meeting, [person], by=by, status=Attendance.Status.REGISTERED, method="self")
        Attendance.objects.filter(meeting=meeting, person=person).update(code=code)
    return code


def check_in_self(*, meeting: Meeting, by) -> Attendance:
    """A member checks themselves in (method self check-in), from two hours before the start to
    the end; a second check-in says so and records nothing."""
    with transaction.atomic():
        meeting = _self_locked(meeting)
        person = own_person(by, meeting)
        now = timezone.now()
        if meeting.status != Meeting.Status.PLANNED or not (meeting.start - CHECK_IN_OPENS <= now <= meeting.end):
            raise ActionRefused("check-in is open from two hours before the start to the end of a planned meeting")
        row = Attendance.objects.filter(meeting=meeting, person=person).first()
        if row is not None and row.status == Attendance.Status.PRESENT:
            raise ActionRefused("already checked in")
        (row,) = write_attendance(meeting, [person], by=by, status=Attendance.Status.PRESENT, method="self")
    return row


def count_walk_in(*, meeting: Meeting, by: Actor) -> Meeting:
    """A walk-in who did not consent to be recorded: only counted (nothing about them is kept)."""
    with transaction.atomic():
        meeting = _self_locked(meeting)
        meeting.walk_ins += 1
        meeting.save(update_fields=["walk_ins", "updated_at"])
        write_audit_record(
            by=by,
            action="meeting.walk_in",
            target=meeting,
            organization=meeting.unit.organization,
            unit=meeting.unit,
            changes={"walk_ins": [meeting.walk_ins - 1, meeting.walk_ins]},
        )
    return meeting
