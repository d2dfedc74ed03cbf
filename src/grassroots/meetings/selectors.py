"""Reads of meetings, always given the user: meetings are scoped like units, attendance like people."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from django.db.models import Count, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from grassroots.access import NotVisible, Right, grants_for, is_operator, restrict
from grassroots.constitution.meeting_rules import Standing, quorum_required, standing, standing_window
from grassroots.ids import is_row_id
from grassroots.organizations.models import Organization, Unit, UnitEvent
from grassroots.people.models import Membership, Person

from .hostlink import host_window, read_host_token
from .models import AgendaItem, Attendance, FeedToken, Meeting, MeetingSeries, Minutes
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


def _count_of(statuses: tuple[str, ...]) -> Coalesce:
    """How many of a meeting's attendance rows have one of these statuses: a subquery per meeting
    that the (meeting, status) index answers alone."""
    rows = (
        Attendance.objects.filter(meeting=OuterRef("pk"), status__in=statuses)
        .order_by()
        .values("meeting")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def with_counts(meetings: QuerySet[Meeting]) -> QuerySet[Meeting]:
    """Each meeting with `present` and `expected`, counted in the same query. Counted row by row
    (not by a join grouped over every meeting), so a page of a long list counts its own rows only."""
    return meetings.annotate(present=_count_of((Attendance.Status.PRESENT,)), expected=_count_of(EXPECTED))


def counts_of(meeting: Meeting) -> dict[str, int]:
    """How many are present at a meeting, of how many expected."""
    return Attendance.objects.filter(meeting=meeting).aggregate(
        present=Count("id", filter=Q(status=Attendance.Status.PRESENT)),
        expected=Count("id", filter=Q(status__in=EXPECTED)),
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


Scoped = TypeVar("Scoped", Meeting, MeetingSeries)


def _one_visible(visible: QuerySet[Scoped], organization: Organization, pk: int | str, what: str) -> Scoped:
    """The row with this number among the visible ones, or 404: unknown, or out of the user's
    scope (then recorded as such)."""
    found = visible.filter(pk=pk).first() if is_row_id(pk) else None
    if found is None:
        if is_row_id(pk) and visible.model.objects.filter(unit__organization=organization, pk=pk).exists():
            raise NotVisible(f"no {what} {pk} in {organization.slug}", organization=organization, what=f"{what} {pk}")
        raise Http404(f"no {what} {pk} in {organization.slug}")
    return found


def meeting_for(user, organization: Organization, pk: int | str) -> Meeting:
    """The meeting with this number, or 404 when unknown or out of the user's scope."""
    return _one_visible(meetings_visible_to(user, organization), organization, pk, "meeting")


def series_visible_to(user, organization: Organization) -> QuerySet[MeetingSeries]:
    """The series of units the user may see (scoped like their meetings)."""
    return restrict(MeetingSeries.objects.select_related("unit__organization"), user=user, organization=organization)


def series_for(user, organization: Organization, pk: int | str) -> MeetingSeries:
    """The series with this number, or 404 when unknown or out of the user's scope."""
    return _one_visible(series_visible_to(user, organization), organization, pk, "series")


def series_of_unit(user, unit: Unit) -> QuerySet[MeetingSeries]:
    """A unit's series, by first start."""
    return series_visible_to(user, unit.organization).filter(unit=unit).order_by("first_start", "id")


def occurrences_of(series: MeetingSeries) -> QuerySet[Meeting]:
    """A series' occurrences with their counts, by start."""
    return with_counts(series.occurrences.select_related("unit__organization")).order_by("start", "id")


def agenda_item_for(meeting: Meeting, pk: int | str) -> AgendaItem:
    """An item of this meeting's agenda, or 404."""
    item = AgendaItem.objects.filter(meeting=meeting, pk=pk).first() if is_row_id(pk) else None
    if item is None:
        raise Http404(f"no agenda item {pk} in meeting {meeting.pk}")
    item.meeting = meeting
    return item


def attendance_of(user, meeting: Meeting) -> QuerySet[Attendance]:
    """The attendance rows of a meeting whose people the user may see (attendance is personal data)."""
    # Scoped on the person joined to each row (not by a list of everyone the user may see).
    rows = restrict(Attendance.objects.filter(meeting=meeting), user=user, organization=meeting.unit.organization)
    return rows.select_related("person").order_by("person__name", "person_id")


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
        .values("pk")[:1]
    )
    # One query: the last meeting held is a subquery of the items'.
    items = AgendaItem.objects.filter(meeting=Subquery(previous), is_open=True, parent__isnull=True)
    return list(items.order_by("position"))


def present_count(meeting: Meeting) -> int:
    """Members of the unit present (guests are counted apart and never make the quorum)."""
    return Attendance.objects.filter(meeting=meeting, status=Attendance.Status.PRESENT, guest=False).count()


def attended_in_standing_window(organization: Organization, on: dt.date) -> QuerySet[Attendance] | None:
    """The attendance that counts towards good standing on `on` by the constitution's standing
    rule: present at a meeting that took place in the rule's months before `on` (the window's days
    in the organization's zone); None when the constitution has no standing rule."""
    rule = organization.constitution.meetings.standing
    if rule is None:
        return None
    zone = ZoneInfo(organization.time_zone)
    since = day_bounds(standing_window(rule, on), zone)[1]
    until = day_bounds(on, zone)[1]
    return Attendance.objects.filter(
        status=Attendance.Status.PRESENT,
        meeting__status__in=TOOK_PLACE,
        meeting__start__gte=since,
        meeting__start__lt=until,
    )


def _attended_counts(person_ids: Iterable[int] | QuerySet, organization: Organization, on: dt.date) -> dict[int, int]:
    """How many meetings that took place in the standing rule's window each of these people
    attended (a query of their ids is read as a subquery: one query, whatever their number)."""
    attended = attended_in_standing_window(organization, on)
    if attended is None:
        return {}
    rows = (
        attended.filter(person_id__in=person_ids if isinstance(person_ids, QuerySet) else list(person_ids))
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


def standing_in(user, unit: Unit, *, on: dt.date) -> dict[int, Standing]:
    """The standing on a day of every member of a unit's subtree (counted by the constitution then)
    whom the user may see, by person id: two queries, whatever the subtree's size."""
    organization = unit.organization
    constitution = organization.constitution
    members = restrict(Membership.objects.on(on), user=user, organization=organization).filter(
        unit__path__gte=unit.path, unit__path__lt=unit.path + "~", status__in=constitution.member_statuses.counted
    )
    member_ids = list(members.values_list("person_id", flat=True))
    attended = _attended_counts(members.values("person_id"), organization, on)
    rule = constitution.meetings.standing
    return {
        person_id: standing(rule, on=on, attended=attended.get(person_id, 0), member=True) for person_id in member_ids
    }


def quorum_of(meeting: Meeting) -> tuple[int, int]:
    """(present, required) for a decision at this meeting, by the constitution's quorum rule."""
    rule = meeting.unit.organization.constitution.meetings.quorum
    required = quorum_required(rule, members_in_good_standing(meeting.unit, on=meeting.on)) if rule else 0
    return present_count(meeting), required


def visible_unit_ids(user, organization: Organization) -> QuerySet[Unit]:
    """The units the user may see (for a feed or a list of meetings across a subtree)."""
    return restrict(Unit.objects.all(), user=user, organization=organization, right=Right.VIEW_UNITS)


# How far back a calendar feed reaches.
FEED_HISTORY = dt.timedelta(days=365)


def feed_meetings(
    user, organization: Organization, *, unit: Unit | None = None, subtree: bool = False, person: Person | None = None
) -> QuerySet[Meeting]:
    """The meetings of a feed, as far as the user may see them: one unit's, a unit's whole subtree
    (for its officers), or the ones a person is expected at; from a year back onwards."""
    # Each row with its unit and series, not its organization: a subtree's feed holds hundreds
    # of meetings of one organization, and `feed_rows` gives them all the one it has.
    meetings = (
        meetings_visible_to(user, organization)
        .select_related(None)
        .select_related("unit", "series__unit", "calendar_event")
        .defer("host_key", "walk_ins", "created_at", "unit__created_on", "series__unit__created_on")
    )
    meetings = meetings.filter(start__gte=timezone.now() - FEED_HISTORY)
    if unit is not None and subtree:
        meetings = meetings.filter(unit__path__gte=unit.path, unit__path__lt=unit.path + "~")
    elif unit is not None:
        meetings = meetings.filter(unit=unit)
    if person is not None:
        meetings = meetings.filter(attendance__person=person, attendance__status__in=EXPECTED)
    return meetings.order_by("start", "id")


def kept_events(rows: Iterable[Meeting]) -> dict[int, tuple[str, bytes]]:
    """The VEVENTs kept for these meetings (from `feed_meetings`, which reads them along):
    meeting id to digest and bytes."""
    kept = {}
    for meeting in rows:
        event = getattr(meeting, "calendar_event", None)
        if event is not None:
            kept[meeting.pk] = (event.digest, bytes(event.ical))
    return kept


def kept_feed_body(feed: FeedToken, etag: str) -> bytes | None:
    """The feed's body kept under this ETag, if that is the one kept."""
    body = FeedToken.objects.filter(pk=feed.pk, kept_etag=etag).values_list("kept_body", flat=True).first()
    return None if body is None else bytes(body)


def feed_rows(meetings: QuerySet[Meeting], organization: Organization) -> list[Meeting]:
    """A feed's meetings (from `feed_meetings`), each unit given the organization read once."""
    rows = list(meetings)
    for meeting in rows:
        meeting.unit.organization = organization
        if meeting.series is not None:
            meeting.series.unit.organization = organization
    return rows


@dataclass(frozen=True)
class FeedState:
    """What a feed's meetings are as of now, in a few numbers: a meeting added, removed (or out
    of the window), changed (its `updated_at` and `sequence`), a series changed, or any unit's
    recorded step (a rename is one: a unit's name is in its events) changes one of them."""

    count: int
    ids: int
    sequences: int
    changed: dt.datetime | None  # the latest change of a meeting
    series_changed: dt.datetime | None  # the latest change of a series of one of them
    unit_step: int | None  # the latest unit event of the installation

    def key(self) -> str:
        return repr(
            (
                self.count,
                self.ids,
                self.sequences,
                self.changed and self.changed.isoformat(),
                self.series_changed and self.series_changed.isoformat(),
                self.unit_step,
            )
        )


def feed_state(meetings: QuerySet[Meeting]) -> FeedState:
    """The state of a feed's meetings (from `feed_meetings`), read in one query without reading
    the rows: a calendar client asking again is answered from it (the feed's ETag)."""
    last_step = UnitEvent.objects.order_by("-id").values("id")[:1]
    row = meetings.order_by().aggregate(
        count=Count("id"),
        ids=Sum("id"),
        sequences=Sum("sequence"),
        changed=Max("updated_at"),
        series_changed=Max("series__updated_at"),
        unit_step=Max(Subquery(last_step)),
    )
    return FeedState(
        count=row["count"],
        ids=row["ids"] or 0,
        sequences=row["sequences"] or 0,
        changed=row["changed"],
        series_changed=row["series_changed"],
        unit_step=row["unit_step"],
    )


def latest_occurrences(series_ids: Iterable[int]) -> dict[int, dt.datetime]:
    """For each of these series, the original start of its latest occurrence (one query)."""
    rows = (
        Meeting.objects.filter(series_id__in=list(series_ids))
        .values("series_id")
        .annotate(last=Max("series_start"))
        .values_list("series_id", "last")
    )
    return {series_id: last for series_id, last in rows if last is not None}


def sees_hidden_places(user, unit: Unit) -> bool:
    """Whether a place kept for officers is shown to the user: they manage the unit."""
    if is_operator(user):
        return True
    grants = grants_for(user, unit.organization_id)
    return grants.everything or grants.allows(Right.MANAGE_UNITS, unit.path)


def feeds_of(user, organization: Organization) -> QuerySet[FeedToken]:
    """The user's own feed addresses in an organization (nobody lists another's)."""
    if not getattr(user, "is_authenticated", False):
        return FeedToken.objects.none()
    return FeedToken.objects.filter(owner=user, organization=organization).select_related("unit")


def feed_by_digest(digest: str) -> FeedToken | None:
    """The live feed with this digest, with its owner, or None (unknown or revoked)."""
    return (
        FeedToken.objects.filter(digest=digest, revoked_at__isnull=True, owner__is_active=True)
        .select_related("owner", "organization", "unit")
        .defer("kept_body")
        .first()
    )


def person_of(user, organization: Organization) -> Person | None:
    """The person the user is in an organization, if any."""
    person_id = grants_for(user, organization.pk).person_id
    return Person.objects.filter(pk=person_id).first() if person_id else None


def meeting_by_host_token(token: str, *, now: dt.datetime | None = None) -> Meeting | None:
    """The meeting a host link opens, or None: a token that is not ours, a link regenerated or
    revoked since, or a request outside the window (two hours before the start to twelve after the end)."""
    opened = read_host_token(token)
    if opened is None:
        return None
    meeting_id, key = opened
    meeting = Meeting.objects.select_related("unit__organization").filter(pk=meeting_id).first()
    if meeting is None or not meeting.host_key or meeting.host_key != key:
        return None
    first, last = host_window(meeting)
    return meeting if first <= (now or timezone.now()) <= last else None


def host_list(meeting: Meeting) -> list[Attendance]:
    """The host page's list: who is expected, by first name and initial (nothing more is shown)."""
    return list(
        Attendance.objects.filter(meeting=meeting, status__in=EXPECTED)
        .select_related("person")
        .only("id", "status", "person_id", "person__name", "guest", "meeting_id")
        .order_by("person__name", "person_id")
    )


class Registered(Protocol):
    """An attendance row as far as a registration needs it (a model row, or a page's plain row)."""

    @property
    def person_id(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def code(self) -> str | None: ...


def registration_of(user, meeting: Meeting, rows: Sequence[Registered] | None = None) -> Registered | None:
    """The user's own registration for a meeting (with its one-time code), if they have one;
    found among `rows` when given (the meeting's attendance as the user sees it, which holds
    their own row), else read."""
    person_id = grants_for(user, meeting.unit.organization_id).person_id
    if person_id is None:
        return None
    if rows is not None:
        return next(
            (
                row
                for row in rows
                if row.person_id == person_id and row.status == Attendance.Status.REGISTERED and row.code is not None
            ),
            None,
        )
    return Attendance.objects.filter(
        meeting=meeting, person_id=person_id, status=Attendance.Status.REGISTERED, code__isnull=False
    ).first()


def agenda_items(agenda: list[AgendaItem]) -> list[AgendaItem]:
    """The items of an agenda as `agenda_of` gives it, sub-items after their item."""
    return [entry for item in agenda for entry in (item, *getattr(item, "children", []))]


def counts_and_guests_of(meeting: Meeting) -> tuple[dict[str, int], int]:
    """`counts_of` and `guests_of` in one query (a meeting's page shows both)."""
    row = Attendance.objects.filter(meeting=meeting).aggregate(
        present=Count("id", filter=Q(status=Attendance.Status.PRESENT)),
        expected=Count("id", filter=Q(status__in=EXPECTED)),
        guests=Count("id", filter=Q(status=Attendance.Status.PRESENT, guest=True)),
    )
    return {"present": row["present"], "expected": row["expected"]}, row["guests"] + meeting.walk_ins


def guests_of(meeting: Meeting) -> int:
    """Guests at a meeting: those present who are not counted members (walk-ins recorded as
    supporters, people from elsewhere), and walk-ins only counted."""
    recorded = Attendance.objects.filter(meeting=meeting, status=Attendance.Status.PRESENT, guest=True).count()
    return recorded + meeting.walk_ins


@dataclass(frozen=True)
class OwnRow:
    """The signed-in user's own person in a meeting's organization and the status of their row
    (None when they have none)."""

    person_id: int
    status: str | None


def own_row(user, meeting: Meeting, rows: Sequence[Registered]) -> OwnRow | None:
    """The user's own attendance at a meeting (None when the user is no person there), found among
    `rows`: the meeting's attendance as the user sees it, which always holds their own row
    (attendance is their own record, `access.OWN_RECORD`)."""
    person_id = grants_for(user, meeting.unit.organization_id).person_id
    if person_id is None:
        return None
    return OwnRow(person_id, next((row.status for row in rows if row.person_id == person_id), None))


def minutes_to_approve(meeting: Meeting) -> list[Minutes]:
    """The latest draft minutes of each earlier held meeting of the unit (the last twenty), which
    this meeting may approve."""
    drafts = (
        Minutes.objects.filter(
            meeting__unit_id=meeting.unit_id,
            meeting__start__lt=meeting.start,
            meeting__status=Meeting.Status.HELD,
        )
        .select_related("meeting")
        .order_by("-meeting__start", "meeting_id", "-version")
    )
    latest: dict[int, Minutes] = {}
    for minutes in drafts[:200]:
        latest.setdefault(minutes.meeting_id, minutes)
    return [m for m in latest.values() if m.status == Minutes.Status.DRAFT][:20]
