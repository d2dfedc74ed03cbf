"""Changes to member education beyond declaring courses and marking completions (which live
with people, in `people.actions`): sessions linked to courses, completions credited from
attendance, completions declared by the person themselves and reviewed by an officer."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from grassroots.access import Right, authorize, grants_for
from grassroots.audit.actions import Actor, actor_label, write_audit_record
from grassroots.constitution.gates import months_later
from grassroots.errors import ActionRefused, refuse_overlong
from grassroots.meetings.models import Attendance, Meeting
from grassroots.organizations.models import Unit
from grassroots.people.actions import holds_course, record_completion
from grassroots.people.models import REASON_MAX_LENGTH, CompletionDeclaration, Course, CourseCompletion, Person
from grassroots.people.normalize import normal_text


def link_session(*, meeting: Meeting, course: Course | None, by: Actor) -> Meeting:
    """Make a meeting of kind education a session of a course of its organization (or, with
    None, of none), by whoever manages the meeting's unit. Attendance recorded before the link
    is credited when the next attendance is recorded."""
    if meeting.kind != Meeting.Kind.EDUCATION:
        raise ActionRefused(
            f"meeting: {meeting.pk} is a {meeting.kind} meeting, not an education session", field="meeting"
        )
    if course is not None and course.organization_id != meeting.unit.organization_id:
        raise ActionRefused(f"course: no course '{course.code}' in this organization", field="course")
    with transaction.atomic():
        authorize(by, Right.MANAGE_UNITS, meeting.unit)
        old = meeting.course.code if meeting.course_id and meeting.course else None
        meeting.course = course
        meeting.save(update_fields=["course", "updated_at"])
        write_audit_record(
            by=by,
            action="meeting.course",
            target=meeting,
            organization=meeting.unit.organization,
            unit=meeting.unit,
            changes={"course": [old, course.code if course else None]},
        )
        if course is not None:
            present = meeting.attendance.filter(status=Attendance.Status.PRESENT).values_list("person_id", flat=True)
            credit_sessions(meeting=meeting, person_ids=list(present), by=by)
    return meeting


def credit_sessions(*, meeting: Meeting, person_ids: Iterable[int], by: Actor) -> list[CourseCompletion]:
    """Called by the attendance actions inside their transaction when people are recorded present
    at a meeting: for a session of a course with an "attend k of n" rule, each of these people
    who has now been present at k of its sessions (and holds its prerequisite) gets a completion
    dated on the k-th session attended, how: attendance. Two queries whatever the number of people,
    plus the writes; a completion already dated on that day is left alone."""
    course = meeting.course if meeting.course_id else None
    ids = sorted(set(person_ids))
    if course is None or not course.sessions_required or not ids:
        return []
    required = course.sessions_required
    days: dict[int, list[dt.date]] = defaultdict(list)
    rows = (
        Attendance.objects.filter(meeting__course=course, person_id__in=ids, status=Attendance.Status.PRESENT)
        .exclude(meeting__status=Meeting.Status.CANCELLED)
        .select_related("meeting")
        .order_by("person_id", "meeting__start", "meeting_id")
    )
    for row in rows:
        days[row.person_id].append(row.meeting.on)
    due = {person_id: sessions[required - 1] for person_id, sessions in days.items() if len(sessions) >= required}
    if not due:
        return []
    done = set(
        CourseCompletion.objects.filter(course=course, person_id__in=sorted(due)).values_list(
            "person_id", "completed_on"
        )
    )
    created = []
    unit: Unit = meeting.unit
    for person_id, day in sorted(due.items()):
        if (person_id, day) in done:
            continue
        if course.prerequisite and not holds_course(person_id, course.prerequisite, day):
            continue
        expires = months_later(day, course.valid_months) if course.valid_months else None
        completion = CourseCompletion.objects.create(
            person_id=person_id,
            course=course,
            completed_on=day,
            how=CourseCompletion.How.ATTENDANCE,
            expires_on=expires,
        )
        write_audit_record(
            by=by,
            action="course.complete",
            target=completion,
            organization=unit.organization,
            unit=unit,
            changes={
                "course": [None, course.code],
                "completed_on": [None, day.isoformat()],
                "how": [None, CourseCompletion.How.ATTENDANCE.value],
            },
        )
        created.append(completion)
    return created


def declare_completion(*, person: Person, course: Course, on: dt.date, by: Actor) -> CompletionDeclaration:
    """A person's own word that they completed a course on a day (not in the future): pending
    review by an officer. Made by the person themselves (their account) or by someone who may
    change their record; a second pending declaration of the course is refused (409)."""
    if on > timezone.localdate():
        raise ActionRefused(f"on: {on} is in the future", field="on")
    if course.organization_id != person.organization_id:
        raise ActionRefused(f"course: no course '{course.code}' in this organization", field="course")
    with transaction.atomic():
        if grants_for(by, person.organization_id).person_id != person.pk:
            unit = Unit.objects.filter(path=person.unit_path).first() if person.unit_path else None
            authorize(by, Right.EDIT_PEOPLE, unit, organization=person.organization)
        if CompletionDeclaration.objects.filter(person=person, course=course, reviewed_at__isnull=True).exists():
            raise ActionRefused(f"course: a declaration of {course.code} is already pending review", field="course")
        declaration = CompletionDeclaration.objects.create(person=person, course=course, completed_on=on)
        write_audit_record(
            by=by,
            action="course.declare",
            target=declaration,
            organization=person.organization,
            changes={"course": [None, course.code], "completed_on": [None, on.isoformat()]},
        )
    return declaration


def review_declaration(
    *, declaration: CompletionDeclaration, accept: bool, by: Actor, reason: str = ""
) -> CompletionDeclaration:
    """An officer who may change the person's record reviews a pending declaration: accepted, it
    becomes a completion (how: reviewed, under the course's rule); declined, nothing is completed
    and `reason` (required, at most 500 characters) says why. The reason is kept on the declaration
    and in the audit record. A declaration already reviewed is refused (409)."""
    person = declaration.person
    reason = normal_text(reason)
    refuse_overlong("reason", reason, REASON_MAX_LENGTH)
    with transaction.atomic():
        declaration = CompletionDeclaration.objects.select_for_update().get(pk=declaration.pk)
        if declaration.reviewed_at is not None:
            raise ActionRefused(f"declaration {declaration.pk} was already reviewed", field="declaration")
        unit = Unit.objects.filter(path=person.unit_path).first() if person.unit_path else None
        authorize(by, Right.EDIT_PEOPLE, unit, organization=person.organization)
        if grants_for(by, person.organization_id).person_id == person.pk:
            raise ActionRefused("you may not review your own declaration", field="declaration")
        if not accept and not reason:
            raise ActionRefused("reason: say why the declaration is declined", field="reason")
        if accept:
            record_completion(
                person=person,
                course=declaration.course,
                on=declaration.completed_on,
                how=CourseCompletion.How.REVIEWED,
                by=by,
            )
        declaration.reviewed_at = timezone.now()
        declaration.reviewed_by = actor_label(by)
        declaration.accepted = accept
        declaration.review_reason = reason
        declaration.save(update_fields=["reviewed_at", "reviewed_by", "accepted", "review_reason"])
        write_audit_record(
            by=by,
            action="course.review",
            target=declaration,
            organization=person.organization,
            unit=unit,
            changes={"accepted": [None, accept], **({"reason": [None, reason]} if reason else {})},
        )
    return declaration
