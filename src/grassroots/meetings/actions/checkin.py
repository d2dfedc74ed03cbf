"""Check-in at the door: a signed, revocable host link per meeting, one-tap present and undo, a
walk-in recorded as a supporter with their consent (never a member), and one-time registration
codes scanned once. The link is the host's authority, and it reaches that meeting only."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from grassroots.audit.actions import Actor, write_audit_record
from grassroots.education.actions import credit_sessions
from grassroots.errors import ActionRefused, refuse_overlong
from grassroots.people.models import Person

from ..hostlink import host_token
from ..models import Attendance, Meeting
from .attendance import count_walk_in
from .meetings import CHECK_IN_OPENS, _locked, audit_attendance, record_attendance

WALK_IN_CONSENT = "recorded as a supporter at a meeting"


def issue_host_link(*, meeting: Meeting, by: Actor) -> str:
    """A new host link for a meeting (its signed token); a link issued before ends at its next request."""
    with transaction.atomic():
        meeting = _locked(meeting, by)
        if meeting.status == Meeting.Status.CANCELLED:
            raise ActionRefused("the meeting is cancelled; it has no check-in")
        meeting.host_key = secrets.token_urlsafe(18)
        meeting.save(update_fields=["host_key", "updated_at"])
        write_audit_record(
            by=by,
            action="meeting.host_link",
            target=meeting,
            organization=meeting.unit.organization,
            unit=meeting.unit,
            changes={"host_link": [None, "issued"]},
        )
    return host_token(meeting.pk, meeting.host_key)


def revoke_host_link(*, meeting: Meeting, by: Actor) -> Meeting:
    """End the meeting's host link."""
    with transaction.atomic():
        meeting = _locked(meeting, by)
        if meeting.host_key:
            meeting.host_key = ""
            meeting.save(update_fields=["host_key", "updated_at"])
            write_audit_record(
                by=by,
                action="meeting.host_link",
                target=meeting,
                organization=meeting.unit.organization,
                unit=meeting.unit,
                changes={"host_link": ["issued", "revoked"]},
            )
    return meeting


def host_label(meeting: Meeting) -> str:
    return f"host-link:{meeting.pk}"


def tap(*, meeting: Meeting, person_id: int, present: bool) -> bool:
    """One tap on the host page: mark someone on the meeting's list present, or undo it (back to
    invited). At the door this is one UPDATE of their row and its audit record, nothing more: the
    host link already named the meeting (read with its unit), and a row on its list is what makes
    someone tappable. A tap that changes nothing (a second tap from a slow phone) records nothing
    and returns False."""
    if meeting.status == Meeting.Status.CANCELLED:
        raise ActionRefused("the meeting is cancelled; no attendance is recorded", field="meeting")
    now = timezone.now()
    if present and now < meeting.start - CHECK_IN_OPENS:
        raise ActionRefused(
            f"the meeting starts {meeting.local_start:%Y-%m-%d %H:%M}; attendance opens two hours before",
            field="meeting",
        )
    status = Attendance.Status.PRESENT if present else Attendance.Status.INVITED
    by = host_label(meeting)
    row = Attendance.objects.filter(meeting=meeting, person_id=person_id)
    with transaction.atomic():
        changed = row.exclude(status=status).update(
            status=status,
            method=Attendance.Method.HOST,
            arrived_at=now if present else None,
            recorded_by=by,
            recorded_at=now,
        )
        if not changed:
            if not row.exists():
                raise ActionRefused("person: not on this meeting's list", field="person")
            return False
        audit_attendance(meeting, by=by, status=status, method=Attendance.Method.HOST, person_ids=[person_id])
        if present and meeting.course_id:
            credit_sessions(meeting=meeting, person_ids=[person_id], by=by)
    return True


def walk_in(*, meeting: Meeting, name: str, email: str = "", consent: bool) -> Person | None:
    """Someone at the door who is not on the list. With their consent they are recorded as a
    supporter of the unit (status supporter, never a member by it) and present; without it they
    are only counted, and nothing about them is kept."""
    from grassroots.people.actions import add_person, record_consent

    name = name.strip()
    if not consent:
        count_walk_in(meeting=meeting, by=host_label(meeting))
        return None
    if not name:
        raise ActionRefused("name: a walk-in recorded as a supporter needs a name", field="name")
    refuse_overlong("name", name, 200)
    by = host_label(meeting)
    constitution = meeting.unit.organization.constitution
    supporter = constitution.member_statuses.initial
    with transaction.atomic():
        person = add_person(
            organization=meeting.unit.organization,
            name=name,
            email=email.strip(),
            by=by,
            unit=meeting.unit,
            status=supporter,
        )
        record_consent(person=person, purpose=WALK_IN_CONSENT, policy_version="meeting", by=by)
        record_attendance(meeting=meeting, people=[person], method="host", by=by)
    return person


def register(*, meeting: Meeting, person: Person, by: Actor) -> str:
    """Register a person for a meeting and give them a one-time check-in code (for their QR code)."""
    code = secrets.token_urlsafe(12)
    with transaction.atomic():
        record_attendance(meeting=meeting, people=[person], status=Attendance.Status.REGISTERED, method="self", by=by)
        Attendance.objects.filter(meeting=meeting, person=person).update(code=code)
    return code


def scan(*, meeting: Meeting, code: str) -> Attendance:
    """A registration code scanned at the door: present once; a second scan says so and records nothing."""
    code = code.strip()
    with transaction.atomic():
        row = Attendance.objects.select_for_update().filter(meeting=meeting, code=code).first() if code else None
        if row is None:
            raise ActionRefused("code: not a registration for this meeting", field="code")
        if row.status == Attendance.Status.PRESENT:
            raise ActionRefused("already checked in", field="code")
        (row,) = record_attendance(meeting=meeting, people=[row.person], method="qr", by=host_label(meeting))
    return row
