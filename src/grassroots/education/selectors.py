"""Reads of member education: each person's status per course, and how much of a unit (or its
subtree) has completed each course. Always given the user: a person's education is read only by
those who may view that person, a unit's completion only by those who may see its people."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from django.db.models import Count, Exists, OuterRef, Q, Sum

from grassroots.access import Right, restrict
from grassroots.errors import local_today
from grassroots.meetings.models import Attendance, Meeting
from grassroots.organizations.models import PATH_END, Unit
from grassroots.people.models import CompletionDeclaration, Course, CourseCompletion, MemberCount, Membership, Person

# A completion expiring within this many days reads "expiring soon".
EXPIRING_SOON_DAYS = 30


@dataclass(frozen=True)
class CourseStatus:
    """One course as it stands for one person on a day: `status` is one of not started,
    in progress (k of K), pending review, complete, expiring soon, expired; `attended` counts the
    course's sessions the person was present at, `required` the k of its rule (None: no sessions
    rule); dates are the held (or, when expired, the last) completion's."""

    course: str
    title: str
    programme: str | None
    status: str
    completed_on: dt.date | None
    expires_on: dt.date | None
    attended: int
    required: int | None

    def as_json(self) -> dict:
        row = asdict(self)
        row["completed_on"] = self.completed_on.isoformat() if self.completed_on else None
        row["expires_on"] = self.expires_on.isoformat() if self.expires_on else None
        return row


def course_status(
    *,
    on: dt.date,
    completed: list[tuple[dt.date, dt.date | None]],
    pending: bool,
    attended: int,
    required: int | None,
) -> str:
    """The status word for one person and course on `on`, from their completions (day, expiry),
    whether a declaration is pending review, and sessions attended of the rule's k."""
    held = [(day, expires) for day, expires in completed if day <= on and (expires is None or expires > on)]
    if held:
        expires = held[0][1]
        soon = expires is not None and (expires - on).days <= EXPIRING_SOON_DAYS
        return "expiring soon" if soon else "complete"
    if pending:
        return "pending review"
    if any(day <= on for day, _expires in completed):
        return "expired"
    if required and attended:
        return f"in progress ({min(attended, required)} of {required})"
    return "not started"


def education_of(user, person: Person, *, on: dt.date) -> list[CourseStatus]:
    """Every course of the person's organization with the person's status on `on`, by code.
    Empty when the user may not view the person (callers resolve the person in scope first).
    Five queries, whatever the number of courses."""
    if not restrict(Person.objects.filter(pk=person.pk), user=user, organization=person.organization).exists():
        return []
    courses = list(Course.objects.filter(organization_id=person.organization_id).select_related("programme"))
    completions: dict[int, list[tuple[dt.date, dt.date | None]]] = {}
    for course_id, day, expires in (
        CourseCompletion.objects.filter(person=person, completed_on__lte=on)
        .order_by("-completed_on", "-id")
        .values_list("course_id", "completed_on", "expires_on")
    ):
        completions.setdefault(course_id, []).append((day, expires))
    pending = set(
        CompletionDeclaration.objects.filter(person=person, reviewed_at__isnull=True).values_list(
            "course_id", flat=True
        )
    )
    attended = dict(
        Attendance.objects.filter(
            person=person, status=Attendance.Status.PRESENT, meeting__course__isnull=False, meeting__start__date__lte=on
        )
        .exclude(meeting__status=Meeting.Status.CANCELLED)
        .values("meeting__course_id")
        .annotate(sessions=Count("id"))
        .values_list("meeting__course_id", "sessions")
    )
    rows = []
    for course in courses:
        done = completions.get(course.pk, [])
        status = course_status(
            on=on,
            completed=done,
            pending=course.pk in pending,
            attended=attended.get(course.pk, 0),
            required=course.sessions_required,
        )
        held = [c for c in done if c[1] is None or c[1] > on]
        shown = held[0] if held else (done[0] if done else (None, None))
        rows.append(
            CourseStatus(
                course=course.code,
                title=course.title,
                programme=course.programme.code if course.programme else None,
                status=status,
                completed_on=shown[0],
                expires_on=shown[1],
                attended=attended.get(course.pk, 0),
                required=course.sessions_required,
            )
        )
    return rows


@dataclass(frozen=True)
class CourseShare:
    """How many of a unit's (or subtree's) members on a day hold a completion of a course."""

    course: str
    title: str
    members: int
    complete: int

    @property
    def share(self) -> float | None:
        """Complete over members, 0 to 1; None for no members."""
        return self.complete / self.members if self.members else None

    def as_json(self) -> dict:
        return {**asdict(self), "share": round(self.share, 4) if self.share is not None else None}


# Above this many members the completions are read for the whole organization rather than by
# the members' numbers (a list of ids that long is slower than the organization's range).
COMPLETIONS_BY_ID = 5000


def holders_on(
    organization_id: int, *, codes: Iterable[str], people: set[int], on: dt.date
) -> dict[str, frozenset[int]]:
    """For each course code, which of `people` hold a completion of it on `on` (completed on or
    before it, not expired by it); codes nobody holds are absent. One query (none for no people).
    No scope: callers restrict first. What the education share indicator and a unit's completion
    both count."""
    if not people:
        return {}
    held = CourseCompletion.objects.filter(
        course__organization_id=organization_id, course__code__in=sorted(codes), completed_on__lte=on
    ).filter(Q(expires_on__isnull=True) | Q(expires_on__gt=on))
    if len(people) <= COMPLETIONS_BY_ID:
        held = held.filter(person_id__in=sorted(people))
    found: dict[str, set[int]] = defaultdict(set)
    for code, person_id in held.order_by().values_list("course__code", "person_id"):
        if person_id in people:
            found[code].add(person_id)
    return {code: frozenset(ids) for code, ids in found.items()}


def education_share_of(user, unit: Unit, *, on: dt.date, subtree: bool = False) -> list[CourseShare]:
    """For each course of the organization: the members of the unit (with `subtree`, of every
    unit under it too) counted on `on` (a membership covering the day in a status the
    constitution counts), and how many of them hold a completion of it on `on`. Counts only,
    never names. Empty when the user may not see the unit's people. Four queries; the
    completions are counted by `holders_on`, as the education share indicator counts them."""
    allowed = restrict(
        Unit.objects.filter(pk=unit.pk), user=user, organization=unit.organization, right=Right.VIEW_PEOPLE
    )
    if not allowed.exists():
        return []
    counted = unit.organization.constitution.member_statuses.counted
    if subtree and on == local_today(unit.organization.time_zone):
        return _subtree_share_today(unit, counted, on)
    return _share_from_memberships(unit, counted, on, subtree=subtree)


def _share_from_memberships(unit: Unit, counted: Iterable[str], on: dt.date, *, subtree: bool) -> list[CourseShare]:
    """`education_share_of` from the memberships covering day `on` (any day)."""
    members = Membership.objects.filter(start__lte=on, status__in=counted).filter(Q(end__isnull=True) | Q(end__gt=on))
    if subtree:
        members = members.filter(unit__path__gte=unit.path, unit__path__lt=unit.path + PATH_END)
    else:
        members = members.filter(unit=unit)
    people = set(members.values_list("person_id", flat=True))
    courses = list(Course.objects.filter(organization_id=unit.organization_id))
    held = holders_on(unit.organization_id, codes=[c.code for c in courses], people=people, on=on)
    return [
        CourseShare(course=c.code, title=c.title, members=len(people), complete=len(held.get(c.code, ())))
        for c in courses
    ]


def courses_of(organization_id: int):
    """The organization's courses by code, for choosing one (courses are not secret)."""
    return Course.objects.filter(organization_id=organization_id).order_by("code", "id")


# A review queue lists at most this many declarations, the oldest first.
QUEUE_LENGTH = 100


def declarations_to_review(user, unit: Unit) -> tuple[list[CompletionDeclaration], int]:
    """The pending declarations (not yet reviewed) of people in the unit's subtree whom the user
    may see, oldest first, at most `QUEUE_LENGTH` of them with their person and course; and how
    many are pending in all. Two queries whatever the length of the queue."""
    people = restrict(
        Person.objects.filter(unit_path__gte=unit.path, unit_path__lt=unit.path + PATH_END),
        user=user,
        organization=unit.organization,
    )
    pending = CompletionDeclaration.objects.filter(reviewed_at__isnull=True, person__in=people.values("pk"))
    rows = list(pending.select_related("person", "course").order_by("declared_at", "id")[:QUEUE_LENGTH])
    return rows, len(rows) if len(rows) < QUEUE_LENGTH else pending.count()


def declarations_of(user, person: Person) -> list[CompletionDeclaration]:
    """The person's declarations, pending first then the most recently declared, with their
    course. Empty when the user may not view the person (callers resolve the person in scope)."""
    if not restrict(Person.objects.filter(pk=person.pk), user=user, organization=person.organization).exists():
        return []
    return sorted(
        person.declarations.select_related("course"),
        key=lambda declaration: (declaration.reviewed_at is not None, -declaration.declared_at.timestamp()),
    )


def pending_declaration_of(user, person: Person, pk: int) -> CompletionDeclaration | None:
    """The person's pending declaration with this number, or None (unknown, reviewed already,
    another person's, or a person the user may not view)."""
    if not restrict(Person.objects.filter(pk=person.pk), user=user, organization=person.organization).exists():
        return None
    return (
        CompletionDeclaration.objects.filter(person=person, pk=pk, reviewed_at__isnull=True)
        .select_related("person__organization", "course")
        .first()
    )


def _subtree_share_today(unit: Unit, counted: Iterable[str], on: dt.date) -> list[CourseShare]:
    """`education_share_of` a subtree today, without reading its memberships: the members are
    the sum of its units' current counts (`MemberCount`, one index range), and each course's
    holders are counted from the completions (as `holders_on` counts them) of people whose
    current membership, in a counted status, is in the subtree (`Person.unit_path`, kept with
    it): a few queries whose cost follows the completions, not the members (a body over a
    million members reads it in milliseconds)."""
    counted = sorted(counted)
    inside = {"path__gte": unit.path, "path__lt": unit.path + PATH_END}
    members = MemberCount.objects.filter(status__in=counted, **inside).aggregate(total=Sum("members"))["total"] or 0
    courses = list(Course.objects.filter(organization_id=unit.organization_id))
    current = Membership.objects.filter(end__isnull=True, status__in=counted, person_id=OuterRef("person_id"))
    held = (
        CourseCompletion.objects.filter(course__organization_id=unit.organization_id, completed_on__lte=on)
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gt=on))
        .filter(person__unit_path__gte=unit.path, person__unit_path__lt=unit.path + PATH_END)
        .filter(Exists(current))
        .order_by()
        .values_list("course__code")
        .annotate(people=Count("person_id", distinct=True))
    )
    complete = dict(held)
    return [
        CourseShare(course=c.code, title=c.title, members=members, complete=complete.get(c.code, 0)) for c in courses
    ]
