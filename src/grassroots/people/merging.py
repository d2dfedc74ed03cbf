"""Merging two records of one person: everything about the other moves to the kept one, the
other's differing values are reported, and one audit record keeps what was merged (`merge_people`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, OuterRef

from grassroots.access import Right, authorize
from grassroots.audit.actions import Actor, write_audit_record
from grassroots.audit.models import AuditRecord
from grassroots.errors import ActionRefused
from grassroots.organizations.models import OfficerPost

from .models import CompletionDeclaration, Consent, CourseCompletion, Membership, Person, StatusChange
from .selectors import scope_unit


@dataclass(frozen=True)
class Merge:
    """What a merge did: the kept `person`, and `not_kept`, the other record's values that differed
    from the kept one's and were not kept ({field: other's value}; also in the audit record)."""

    person: Person
    other_id: int
    not_kept: dict[str, str]

    def not_kept_text(self) -> str:
        """` Not kept from person 7: email a@example.org, phone +447911123458 (in the audit record).`,
        with its leading space, to follow the sentence saying the merge is done; empty if none."""
        if not self.not_kept:
            return ""
        values = ", ".join(f"{field} {value}" for field, value in self.not_kept.items())
        return f" Not kept from person {self.other_id}: {values} (in the audit record)."


def _attendance_rank(status: str) -> int:
    """How much an attendance row says, when both records of a person have one for a meeting.

    present > excused > absent > registered > invited: `present` is an observed fact that counts
    (quorum, good standing); `excused` is an absence with the member's apology, which changes how
    it counts and would be lost under a bare `absent`; `absent` is an outcome, which supersedes any
    intention; `registered` (the person said they would come) says more than `invited` (the
    organization asked them). A status not in this list ranks lowest.
    """
    order = ("present", "excused", "absent", "registered", "invited")
    return len(order) - order.index(status) if status in order else 0


def _period(membership: Membership) -> str:
    """`Elm House since 2024-10-10` or `Elm House from 2024-10-13 to 2025-02-08` (end exclusive)."""
    if membership.end is None:
        return f"{membership.unit.name} since {membership.start}"
    return f"{membership.unit.name} from {membership.start} to {membership.end}"


def _overlap(ours: list[Membership], theirs: list[Membership]) -> tuple[Membership, Membership] | None:
    """The first two memberships, one of each list, that share a day, or None.

    A membership covers the days from its start up to, not including, its end: a transfer ends one
    and starts the next on the same day, so a period ending on the day another starts does not
    overlap it (and one that ended on the day it began covers no day at all)."""

    def days(m: Membership) -> tuple[dt.date, dt.date]:
        return m.start, m.end or dt.date.max

    for mine in sorted(ours, key=lambda m: (m.start, m.pk)):
        for other in sorted(theirs, key=lambda m: (m.start, m.pk)):
            (a_start, a_end), (b_start, b_end) = days(mine), days(other)
            if a_start < a_end and b_start < b_end and a_start < b_end and b_start < a_end:
                return mine, other
    return None


def _record_of(instance: Any) -> dict[str, Any]:
    """Every stored field of a row, by column name, as the audit record keeps it."""
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def merge_people(*, keep: Person, other: Person, by: Actor) -> Merge:
    """Make two records of one person one: everything about `other` moves to `keep`, and `other` goes.

    Memberships with their status changes, officer posts, consents, recruits, meetings attended,
    course completions (one of a course on a day both completed it), sign-in accounts and the
    audit records about `other` (their target only: what they recorded stays as written) move to
    `keep`. `keep`'s empty email, phone, address and recruiter are filled from `other`; the
    other's values that differ and are not kept are returned in `Merge.not_kept`. When both
    attended a meeting, the more informative row stays (`_attendance_rank`).

    Refused, with the reason, when a membership of one overlaps in time a membership of the other
    (naming both: a person is a member of one basic unit at a time), when they are one record or
    of different organizations, or when either is erased. The actor needs edit_people over both.
    One audit record names both numbers and keeps the other's full record, the ids of every row
    that moved and every row dropped, so an administrator can see exactly what was merged.
    """
    from grassroots.accounts.models import Account
    from grassroots.conferences.models import Delegate
    from grassroots.meetings.models import Attendance

    if keep.organization_id != other.organization_id:
        raise ActionRefused("the two people belong to different organizations")
    organization = keep.organization
    with transaction.atomic():
        locked = {p.pk: p for p in Person.objects.select_for_update().filter(pk__in=[keep.pk, other.pk])}
        keep, other = locked[keep.pk], locked[other.pk]
        for person in (keep, other):
            authorize(by, Right.EDIT_PEOPLE, scope_unit(person), organization=organization)
            if person.erased_at is not None:
                raise ActionRefused(f"person {person.pk} is erased and cannot be merged")
        if keep.pk == other.pk:
            raise ActionRefused(f"person {keep.pk} cannot be merged with themselves", field="other")
        memberships = list(
            Membership.objects.select_for_update().filter(person__in=[keep, other]).select_related("unit")
        )
        overlap = _overlap(
            [m for m in memberships if m.person_id == keep.pk], [m for m in memberships if m.person_id == other.pk]
        )
        if overlap is not None:
            ours, theirs = overlap
            raise ActionRefused(
                f"the memberships overlap: person {keep.pk} in {_period(ours)} and person {other.pk} in "
                f"{_period(theirs)}; a person is a member of one basic unit at a time, so one record cannot "
                "hold both (correct the dates of one of them first)"
            )
        both_seated = (
            Delegate.objects.filter(person__in=[keep, other])
            .values_list("conference__name")
            .annotate(seats=Count("pk"))
            .filter(seats__gt=1)
            .order_by("conference__name")
        )
        if conferences := [name for name, _seats in both_seated]:
            raise ActionRefused(
                f"both people hold a seat at the conference {', '.join(conferences)}; a person holds one seat "
                "at a conference, so one record cannot hold both (remove one from their delegation first)"
            )
        current = {m.person_id: m for m in memberships if m.end is None}
        changes: dict[str, list[Any]] = {
            "merged": [other.pk, keep.pk],
            "other_name": [other.name, None],
            "other": [_record_of(other), None],
        }
        moved = _move_rows(keep=keep, other=other, account=Account)
        dropped = _merge_attendance(keep=keep, other=other, attendance=Attendance)
        moved["attendance"] = list(Attendance.objects.filter(person=other).order_by("pk").values_list("pk", flat=True))
        Attendance.objects.filter(person=other).update(person=keep)
        education_moved, education_dropped = _merge_education(keep=keep, other=other)
        moved |= education_moved
        dropped |= education_dropped
        not_kept: dict[str, str] = {}
        for field in ("name", "email", "phone", "address"):
            mine, theirs = getattr(keep, field), getattr(other, field)
            if not mine and theirs:
                changes[field] = [mine, theirs]
                setattr(keep, field, theirs)
            elif theirs and theirs != mine:
                not_kept[field] = theirs
        if keep.recruiter_id is None and other.recruiter_id not in (None, keep.pk):
            keep.recruiter_id = other.recruiter_id
        elif other.recruiter_id not in (None, keep.pk, keep.recruiter_id):
            not_kept["recruiter"] = str(other.recruiter_id)
        if keep.recruiter_id == other.pk:
            keep.recruiter_id = None
        if keep.pk not in current and memberships:
            # The scoping path follows the current membership, else the one that ended last.
            latest = current.get(other.pk) or max(memberships, key=lambda m: (m.end, m.start))
            keep.unit_path = latest.unit.path
        keep.save(update_fields=["email", "phone", "address", "recruiter", "unit_path"])
        other.delete()
        if not_kept:
            changes["not_kept"] = [not_kept, None]
        changes |= {key: [None, ids] for key, ids in moved.items() if ids}
        changes |= {f"{key}_dropped": [rows, None] for key, rows in dropped.items() if rows}
        write_audit_record(
            by=by,
            action="person.merge",
            target=keep,
            organization=organization,
            unit=scope_unit(keep),
            changes=changes,
        )
    return Merge(person=keep, other_id=changes["merged"][0], not_kept=not_kept)


def _move_rows(*, keep: Person, other: Person, account: Any) -> dict[str, list[int]]:
    """Move the other's memberships (with their status changes), posts, consents, recruits,
    accounts, conference seats and delegations chaired, and the audit records about them to
    `keep`; the ids of what moved, by kind."""
    from grassroots.conferences.models import Delegate, Delegation

    rows = {
        "conference_seats": Delegate.objects.filter(person=other),
        "chaired_delegations": Delegation.objects.filter(chair=other),
        "memberships": Membership.objects.filter(person=other),
        "status_changes": StatusChange.objects.filter(membership__person=other),
        "officer_posts": OfficerPost.objects.filter(person=other),
        "consents": Consent.objects.filter(person=other),
        "recruits": Person.objects.filter(recruiter=other).exclude(pk=keep.pk),
        "accounts": account.objects.filter(person=other),
        "audit_records": AuditRecord.objects.filter(target_type="people.person", target_id=str(other.pk)),
    }
    moved = {key: list(query.order_by("pk").values_list("pk", flat=True)) for key, query in rows.items()}
    Delegate.objects.filter(pk__in=moved["conference_seats"]).update(person=keep)
    Delegation.objects.filter(pk__in=moved["chaired_delegations"]).update(chair=keep)
    Membership.objects.filter(pk__in=moved["memberships"]).update(person=keep)
    OfficerPost.objects.filter(pk__in=moved["officer_posts"]).update(person=keep)
    Consent.objects.filter(pk__in=moved["consents"]).update(person=keep)
    Person.objects.filter(pk__in=moved["recruits"]).update(recruiter=keep)
    account.objects.filter(pk__in=moved["accounts"]).update(person=keep)
    # The records about the other now point at the kept person; what they recorded stays as written.
    AuditRecord.objects.filter(pk__in=moved["audit_records"]).update(target_id=str(keep.pk))
    return moved


def _merge_attendance(*, keep: Person, other: Person, attendance: Any) -> dict[str, list[dict[str, Any]]]:
    """For each meeting both attended, delete the less informative row (`_attendance_rank`; the
    kept person's on a tie); the deleted rows, whole, for the audit record."""
    both = attendance.objects.filter(person=keep).values("meeting_id")
    rows: dict[int, list[Any]] = {}
    for row in attendance.objects.filter(person__in=[keep, other], meeting_id__in=both).order_by("meeting_id"):
        rows.setdefault(row.meeting_id, []).append(row)
    dropped = []
    for pair in rows.values():
        if len(pair) < 2:
            continue
        kept_row, others_row = sorted(pair, key=lambda row: row.person_id != keep.pk)
        worse = others_row if _attendance_rank(kept_row.status) >= _attendance_rank(others_row.status) else kept_row
        dropped.append(worse)
    attendance.objects.filter(pk__in=[row.pk for row in dropped]).delete()
    return {"attendance": [_record_of(row) for row in dropped]}


def _merge_education(*, keep: Person, other: Person) -> tuple[dict[str, list[int]], dict[str, list[dict[str, Any]]]]:
    """Move the other's course completions and declarations to `keep`: a course both completed on
    the same day is one completion, and the kept person's pending declaration of a course stands.
    The ids of the rows moved, and the rows deleted as duplicates, whole, for the audit record."""
    same_day = CourseCompletion.objects.filter(
        person=keep, course_id=OuterRef("course_id"), completed_on=OuterRef("completed_on")
    )
    twin_completions = list(CourseCompletion.objects.filter(Exists(same_day), person=other))
    pending = CompletionDeclaration.objects.filter(
        person=keep, course_id=OuterRef("course_id"), reviewed_at__isnull=True
    )
    twin_declarations = list(
        CompletionDeclaration.objects.filter(Exists(pending), person=other, reviewed_at__isnull=True)
    )
    CourseCompletion.objects.filter(pk__in=[row.pk for row in twin_completions]).delete()
    CompletionDeclaration.objects.filter(pk__in=[row.pk for row in twin_declarations]).delete()
    completions = CourseCompletion.objects.filter(person=other)
    declarations = CompletionDeclaration.objects.filter(person=other)
    moved = {
        "course_completions": list(completions.order_by("pk").values_list("pk", flat=True)),
        "course_declarations": list(declarations.order_by("pk").values_list("pk", flat=True)),
    }
    completions.update(person=keep)
    declarations.update(person=keep)
    dropped = {
        "course_completions": [_record_of(row) for row in twin_completions],
        "course_declarations": [_record_of(row) for row in twin_declarations],
    }
    return moved, dropped
