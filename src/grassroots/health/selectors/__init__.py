"""Unit health read from the dated records, for one unit or many at once.

`health_of_units` gathers, for any number of units of one organization, the facts the
constitution's indicators look at, in a fixed number of queries (meetings that took place in
the longest window, who was present at them, the memberships running in the window with their
status changes, the attendance that decides good standing, the officer posts held), whatever
the number of units or members; `grassroots.constitution.health` evaluates them. Everything is
dated, so the health as of a past day is what the records say of that day.

Who counts: for a basic unit its own members, for a body above the basic level the members of
its whole subtree; a member is someone with a membership running on the day (started on or
before it, not ended by it) whose status that day (its status changes replayed) is one the
constitution counts. Good standing on a meeting's day follows the constitution's standing rule
exactly as `grassroots standing` does (meetings attended anywhere in the months before, by the
organization's calendar days). A meeting's day is its local day where it is held.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from django.db.models import Aggregate, BigIntegerField, CharField, Count, Func, OuterRef, Q, Subquery
from django.http import Http404

from grassroots.access import grants_for, restrict
from grassroots.access.grants import Right
from grassroots.constitution.health import Health, HealthFacts, MeetingFigure, dates_needed, evaluate_health
from grassroots.constitution.health import meetings_window as longest_meetings_window
from grassroots.constitution.meeting_rules import standing_window
from grassroots.constitution.schema import (
    AttendanceRateIndicator,
    CoverageIndicator,
    EducationShareIndicator,
    OfficersFilledIndicator,
)
from grassroots.database import plain_rows
from grassroots.education.selectors import COMPLETIONS_BY_ID, holders_on
from grassroots.meetings.models import Attendance, Meeting
from grassroots.meetings.times import day_bounds
from grassroots.organizations.models import PATH_END, PATH_SEGMENT, OfficerPost, Unit
from grassroots.people.models import Membership, Person, StatusChange

# Meetings whose attendance counts: they took place.
TOOK_PLACE = (Meeting.Status.HELD, Meeting.Status.APPROVED)


def health_of(user, unit: Unit, *, on: dt.date) -> Health:
    """The unit's health on day `on`, for someone who may see the unit (404 otherwise).

    The people behind a figure (who left, who holds a post) are named only to someone who may
    see the unit's people; anyone else who sees the unit gets the counts (see `with_people`)."""
    if not restrict(Unit.objects.filter(pk=unit.pk), user=user, organization=unit.organization).exists():
        raise Http404(f"no unit '{unit.slug}' in {unit.organization.slug}")
    return health_of_units([unit], on=on)[unit.pk]


def sees_people_of(user, unit: Unit) -> bool:
    """Whether the health of `unit` may name its people for this user (the right to see its people)."""
    return grants_for(user, unit.organization_id).allows(Right.VIEW_PEOPLE, unit.path)


def health_of_units(units: Sequence[Unit], *, on: dt.date, history: StandingHistory | None = None) -> dict[int, Health]:
    """The health on day `on` of each unit (all of one organization), by unit id: at most eight
    queries, whatever the number of units and members. No scope: callers restrict first.
    `history`: the attendance good standing looks at (`standing_history`) when the caller read
    it already for several batches of units (one query fewer)."""
    if not units:
        return {}
    organization = units[0].organization
    constitution = organization.constitution
    indicators = {unit.pk: constitution.kind(unit.kind).health_indicators() for unit in units}
    every = [indicator for found in indicators.values() for indicator in found]
    window = longest_meetings_window(every)
    days = {unit.pk: dates_needed(indicators[unit.pk], on) for unit in units}

    meetings = _meetings(units, on=on, window=window) if window else {}
    for unit in units:  # attendance asks who were members on each meeting's day
        if any(isinstance(indicator, AttendanceRateIndicator) for indicator in indicators[unit.pk]):
            days[unit.pk] |= {meeting.on for meeting in meetings.get(unit.pk, ())}
    members, names = _members_by_day(units, on=on, days=days, counted=frozenset(constitution.member_statuses.counted))
    figures, standing = _attendance_figures(units, meetings, members, on=on, organization=organization, history=history)
    wants_posts = any(isinstance(indicator, OfficersFilledIndicator | CoverageIndicator) for indicator in every)
    posts, holders = _posts(units, on=on, names=names) if wants_posts else ({}, {})
    codes = {
        code
        for indicator in every
        if isinstance(indicator, EducationShareIndicator)
        for code in indicator.education_share.courses
    }
    completed = _completed(units, members, on=on, codes=codes) if codes else {}

    tiers = constitution.health_tiers
    return {
        unit.pk: evaluate_health(
            indicators[unit.pk],
            HealthFacts(
                on=on,
                meetings=figures.get(unit.pk, ()),
                members={day: frozenset(members[unit.pk].get(day, ())) for day in days[unit.pk]},
                posts=posts.get(unit.pk, {}),
                post_holders={post: frozenset(ids) for post, ids in holders.get(unit.pk, {}).items()},
                completed=completed,
                names=names,
            ),
            unit=unit.slug,
            tiers=tiers,
            in_good_standing=standing.get(unit.pk, 0),
        )
        for unit in units
    }


class _Held:
    """A meeting that took place, with its local day."""

    __slots__ = ("on", "pk", "start", "title", "unit_id")

    def __init__(self, pk: int, unit_id: int, start: dt.datetime, zone: str, title: str, kind_label: str):
        self.pk, self.unit_id, self.start = pk, unit_id, start
        self.on = start.astimezone(ZoneInfo(zone)).date()
        self.title = title or kind_label


def _meetings(units: Sequence[Unit], *, on: dt.date, window: int) -> dict[int, list[_Held]]:
    """The meetings of the units that took place on the `window` days up to `on` (their local days): one query."""
    kinds = units[0].organization.constitution.meeting_kinds
    # A day wider on each side in UTC, then cut to each meeting's local day.
    since = dt.datetime.combine(on - dt.timedelta(days=window), dt.time.min, tzinfo=dt.UTC)
    until = dt.datetime.combine(on + dt.timedelta(days=2), dt.time.min, tzinfo=dt.UTC)
    rows = Meeting.objects.filter(
        unit_id__in=[unit.pk for unit in units], status__in=TOOK_PLACE, start__gte=since, start__lt=until
    ).values_list("pk", "unit_id", "start", "time_zone", "title", "kind")
    found: dict[int, list[_Held]] = defaultdict(list)
    for pk, unit_id, start, zone, title, kind in rows.order_by("start", "pk"):
        held = _Held(pk, unit_id, start, zone, title, kinds.get(kind, kind))
        if on - dt.timedelta(days=window) < held.on <= on:
            found[unit_id].append(held)
    return found


def _ranges(units: Sequence[Unit], basic: set[str]) -> list[str]:
    """The paths of the bodies among the units whose subtree no other of them contains: their
    ranges cover every body's subtree, with no range inside another (one range for a batch that
    holds the top body, however many bodies it holds)."""
    paths = sorted(unit.path for unit in units if unit.kind not in basic)
    kept: list[str] = []
    for path in paths:
        if not kept or not path.startswith(kept[-1]):
            kept.append(path)
    return kept


def _scope(units: Sequence[Unit], basic: set[str], prefix: str = "") -> Q:
    """Memberships (or posts) counted for the units: a basic unit's own, a body's whole subtree.
    `prefix` reaches them from a related row (`membership__`)."""
    own = [unit.pk for unit in units if unit.kind in basic]
    condition = Q(**{f"{prefix}unit_id__in": own}) if own else Q(**{f"{prefix}pk__in": []})
    for path in _ranges(units, basic):
        condition |= Q(**{f"{prefix}unit__path__gte": path, f"{prefix}unit__path__lt": path + PATH_END})
    return condition


def _ancestors(path: str) -> list[str]:
    """The paths of a unit and of every unit above it (a path is one segment per level)."""
    return [path[:end] for end in range(PATH_SEGMENT, len(path) + 1, PATH_SEGMENT)]


def _owners(units: Sequence[Unit], basic: set[str]):
    """A function from a record's (unit id, unit path) to the ids of the units it counts for:
    the record's own basic unit, and each body above it among the units (looked up by the
    path's prefixes, whatever the number of units)."""
    bodies = {unit.path: unit.pk for unit in units if unit.kind not in basic}
    own = {unit.pk for unit in units if unit.kind in basic}

    def owners(unit_id: int, path: str) -> list[int]:
        found = [bodies[prefix] for prefix in _ancestors(path) if prefix in bodies] if bodies else []
        if unit_id in own:
            found.append(unit_id)
        return found

    return owners


def _status_on(day: dt.date, status: str, changes: list[tuple[dt.date, str, str]]) -> str:
    """A membership's status on a day: the last change made by then, or before any change the
    status it started with (as `organizations.selectors.status_on` says it in SQL)."""
    latest = None
    for changed_on, _old, new in changes:
        if changed_on <= day:
            latest = new
    if latest is not None:
        return latest
    return changes[0][1] if changes else status


def _members_by_day(
    units: Sequence[Unit], *, on: dt.date, days: dict[int, set[dt.date]], counted: frozenset[str]
) -> tuple[dict[int, dict[dt.date, set[int]]], dict[int, str]]:
    """For each unit and each of its days, the people counted as its members that day; and their
    names, of those who left (the others' names are not needed). Three queries at most: the
    memberships running on any of the days, their status changes, the names of those who left."""
    basic = set(units[0].organization.constitution.basic_kinds)
    every = set().union(*days.values())
    first, last = min(every), max(every)
    running = Membership.objects.filter(_scope(units, basic), start__lte=last)
    running = running.filter(Q(end__isnull=True) | Q(end__gt=first)).order_by()
    # A unit's path only when a body counts its subtree: no join to the units otherwise.
    bodies = any(unit.kind not in basic for unit in units)
    fields = ("pk", "person_id", "unit_id", "status", "start", "end", *(("unit__path",) if bodies else ()))
    rows = list(running.values_list(*fields))
    changes: dict[int, list[tuple[dt.date, str, str]]] = defaultdict(list)
    # The same memberships by a join (a subquery of them was planned as a scan of every change).
    history = StatusChange.objects.filter(_scope(units, basic, "membership__"), membership__start__lte=last)
    history = history.filter(Q(membership__end__isnull=True) | Q(membership__end__gt=first)).order_by("on", "pk")
    for membership_id, changed_on, old, new in history.values_list("membership_id", "on", "old", "new"):
        changes[membership_id].append((changed_on, old, new))
    owners = _owners(units, basic)
    owners_of: dict[int, list[int]] = {}  # a unit's owners, looked up once per unit
    ordered = {unit.pk: sorted(days[unit.pk]) for unit in units}
    members: dict[int, dict[dt.date, set[int]]] = {unit.pk: defaultdict(set) for unit in units}
    for pk, person_id, unit_id, status, start, end, *path in rows:
        replayed = changes.get(pk)
        if replayed is None and status not in counted:
            continue  # never counted: its status is the same every day
        if unit_id not in owners_of:
            owners_of[unit_id] = owners(unit_id, path[0] if path else "")
        for owner in owners_of[unit_id]:
            owner_days = ordered[owner]
            # The owner's days the membership runs on: from its start, before its end.
            low = bisect.bisect_left(owner_days, start)
            high = len(owner_days) if end is None else bisect.bisect_left(owner_days, end)
            for day in owner_days[low:high]:
                if replayed is None or _status_on(day, status, replayed) in counted:
                    members[owner][day].add(person_id)
    # Names only of those a figure may list: who was a member on an earlier day and is not now.
    gone = {
        person
        for unit in units
        for day, people in members[unit.pk].items()
        if day != on
        for person in people - members[unit.pk].get(on, set())
    }
    names = dict(Person.objects.filter(pk__in=sorted(gone)).values_list("pk", "name")) if gone else {}
    return members, names


def _attendance_figures(
    units: Sequence[Unit],
    meetings: dict[int, list[_Held]],
    members: dict[int, dict[dt.date, set[int]]],
    *,
    on: dt.date,
    organization,
    history: StandingHistory | None = None,
) -> tuple[dict[int, tuple[MeetingFigure, ...]], dict[int, int]]:
    """For each meeting: its unit's members in good standing that day, and how many of them were
    present; and for each unit, its members in good standing on `on`. Two queries at most: who
    was present at the meetings, and (with a standing rule) when each member attended meetings
    in the months before."""
    held = [meeting for found in meetings.values() for meeting in found]
    present: dict[int, set[int]] = defaultdict(set)
    if held:
        # No ordering: the model's (by meeting and name) would join every row to its person.
        rows = (
            Attendance.objects.filter(meeting_id__in=[meeting.pk for meeting in held], status=Attendance.Status.PRESENT)
            .order_by()
            .values_list("meeting_id", "person_id")
        )
        for meeting_id, person_id in rows:
            present[meeting_id].add(person_id)
    if history is None:
        people = {person for unit in units for day_members in members[unit.pk].values() for person in day_members}
        history = standing_history(
            organization,
            first=min([meeting.on for meeting in held] + [on]),
            last=max([meeting.on for meeting in held] + [on]),
            people=people,
        )

    figures: dict[int, tuple[MeetingFigure, ...]] = {}
    for unit_id, found in meetings.items():
        rows_of_unit = []
        for meeting in found:
            standing = history.among(members[unit_id].get(meeting.on, set()), meeting.on)
            rows_of_unit.append(
                MeetingFigure(
                    meeting=meeting.pk,
                    on=meeting.on,
                    title=meeting.title,
                    present=len(standing & present[meeting.pk]),
                    members=len(standing),
                )
            )
        figures[unit_id] = tuple(rows_of_unit)
    counts = {unit.pk: len(history.among(members[unit.pk].get(on, set()), on)) for unit in units}
    return figures, counts


class _Epoch(Func):
    """A time as whole seconds since 1970 (UTC), computed by the database: good standing compares
    attendance with day bounds, and plain integers spare converting each row to an aware datetime.
    Exact for those bounds: they fall on whole seconds, so `start < bound` is `floor(start) < bound`."""

    output_field = BigIntegerField()
    # SQLite's; a literal % is doubled once for the template and once for the query's parameters.
    template = "CAST(strftime('%%%%s', %(expressions)s) AS INTEGER)"

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="FLOOR(EXTRACT(EPOCH FROM %(expressions)s))::bigint")


class _Starts(Aggregate):
    """The values of a group joined by commas, in no given order (SQLite's; PostgreSQL's below)."""

    function = "GROUP_CONCAT"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, function="STRING_AGG", template="%(function)s((%(expressions)s)::text, ',')"
        )


def _seconds(moment: dt.datetime) -> int:
    """An aware time as `_Epoch` gives it."""
    return math.floor(moment.timestamp())


class StandingHistory:
    """Who is in good standing on the days from `first` to `last`, from the attendance that
    decides it (`standing_history`): `always`, those in good standing on every one of those days
    (enough meetings attended in the part of the window every one of those days shares), and for
    the others who attended enough meetings in the whole span, when they did (seconds since
    1970, UTC, sorted). No rule: everyone counted is in good standing."""

    def __init__(self, rule, zone: ZoneInfo, first: dt.date, last: dt.date, always=frozenset(), starts=None):
        self.rule, self.zone, self.first, self.last = rule, zone, first, last
        self.always: frozenset[int] = frozenset(always)
        self.starts: dict[int, list[int]] = starts or {}
        self._bounds: dict[dt.date, tuple[int, int]] = {}  # a day's window (seconds), worked out once

    def bounds(self, day: dt.date) -> tuple[int, int]:
        """The window of meetings counted for good standing on `day`: [first second, end) since 1970."""
        if day not in self._bounds:
            self._bounds[day] = (
                _seconds(day_bounds(standing_window(self.rule, day), self.zone)[1]),
                _seconds(day_bounds(day, self.zone)[1]),
            )
        return self._bounds[day]

    def among(self, people: set[int], day: dt.date) -> set[int]:
        """Those of `people` in good standing on `day` (from `first` to `last`)."""
        if self.rule is None:
            return set(people)
        if not self.first <= day <= self.last:
            raise ValueError(f"good standing on {day} asked of the attendance of {self.first} to {self.last}")
        low, high = self.bounds(day)
        needed = self.rule.attended_at_least
        found = people & self.always
        for person in people & self.starts.keys():
            starts = self.starts[person]
            if bisect.bisect_left(starts, high) - bisect.bisect_left(starts, low) >= needed:
                found.add(person)
        return found


def standing_history(organization, *, first: dt.date, last: dt.date, people: set[int] | None = None) -> StandingHistory:
    """The attendance that decides good standing on any day from `first` to `last`: meetings that
    took place from the start of the standing window of day `first` to the end of day `last`.
    By person: how many meetings they attended in the whole span (those with too few are never
    in good standing in it and are left out), in the part of it every day's window shares
    (enough there: in good standing every day), and when (the others' days are looked up). One
    query: for a few thousand people (`people`), their attendance by their numbers, counted
    here; else (`people` None: everyone) one grouped query over the organization's meetings."""
    rule = organization.constitution.meetings.standing
    zone = ZoneInfo(organization.time_zone)
    if rule is None:
        return StandingHistory(None, zone, first, last)
    since = day_bounds(standing_window(rule, first), zone)[1]
    until = day_bounds(last, zone)[1]
    # Every day's window holds this part of the span: from the start of the last day's window
    # to the end of the first day.
    shared_since = day_bounds(standing_window(rule, last), zone)[1]
    shared_until = day_bounds(first, zone)[1]
    needed = rule.attended_at_least
    always, starts = set(), {}
    if people is not None and len(people) <= COMPLETIONS_BY_ID:
        # A few people: their attendance by person, each meeting looked up by its number (a join
        # was planned by PostgreSQL as a scan of every meeting of the span).
        took_place = Meeting.objects.filter(
            pk=OuterRef("meeting_id"), status__in=TOOK_PLACE, start__gte=since, start__lt=until
        ).values(at=_Epoch("start"))
        attended = Attendance.objects.filter(status=Attendance.Status.PRESENT, person_id__in=sorted(people))
        by_person: dict[int, list[int]] = defaultdict(list)
        for person_id, start in plain_rows(attended.order_by().values_list("person_id", Subquery(took_place))):
            if start is not None:
                by_person[person_id].append(start)
        low, high = _seconds(shared_since), _seconds(shared_until)
        for person_id, found in by_person.items():
            if len(found) < needed:
                continue
            if sum(1 for start in found if low <= start < high) >= needed:
                always.add(person_id)
            else:
                starts[person_id] = sorted(found)
        return StandingHistory(rule, zone, first, last, always, starts)
    shared = Q(meeting__start__gte=shared_since, meeting__start__lt=shared_until)
    rows = (
        Attendance.objects.filter(
            status=Attendance.Status.PRESENT,
            meeting__status__in=TOOK_PLACE,
            meeting__start__gte=since,
            meeting__start__lt=until,
            meeting__unit__organization_id=organization.pk,
        )
        .order_by()
        .values("person_id")
        .annotate(times=Count("pk"), shared=Count("pk", filter=shared), starts=_Starts(_Epoch("meeting__start")))
        .filter(times__gte=needed)
        .values_list("person_id", "shared", "starts")
    )
    for person_id, times_shared, joined in rows:
        if people is not None and person_id not in people:
            continue
        if times_shared >= needed:
            always.add(person_id)
        else:
            starts[person_id] = sorted(map(int, joined.split(",")))
    return StandingHistory(rule, zone, first, last, always, starts)


def _posts(
    units: Sequence[Unit], *, on: dt.date, names: dict[int, str]
) -> tuple[dict[int, dict[str, int]], dict[int, dict[str, set[int]]]]:
    """The posts held on `on`: each unit's own (post to holder), and for each unit every post held
    in its subtree (post to holders). One query; holders' names are added to `names`."""
    basic = set(units[0].organization.constitution.basic_kinds)
    held = OfficerPost.objects.filter(_scope(units, basic), start__lte=on).filter(Q(end__isnull=True) | Q(end__gt=on))
    own: dict[int, dict[str, int]] = defaultdict(dict)
    subtree: dict[int, dict[str, set[int]]] = {unit.pk: defaultdict(set) for unit in units}
    ids = {unit.pk for unit in units}
    paths = {unit.path: unit.pk for unit in units}
    rows = held.values_list("unit_id", "unit__path", "post", "person_id", "person__name").order_by("start", "pk")
    for unit_id, path, post, person_id, name in rows:
        names.setdefault(person_id, name)
        if unit_id in ids:
            own[unit_id][post] = person_id
        for prefix in _ancestors(path):
            if prefix in paths:
                subtree[paths[prefix]][post].add(person_id)
    return own, subtree


def _completed(
    units: Sequence[Unit], members: dict[int, dict[dt.date, set[int]]], *, on: dt.date, codes: set[str]
) -> dict[str, frozenset[int]]:
    """For each course code, the people counted on `on` in any of the units who hold a completion
    of it on `on` (`education.selectors.holders_on`). One query."""
    people = set().union(*(members[unit.pk].get(on, set()) for unit in units))
    return holders_on(units[0].organization_id, codes=codes, people=people, on=on)
