"""Growth of a unit's subtree month by month, from the dated memberships and status changes.

Members are people whose membership in the subtree runs on a day (started on or before it, not
ended by it) with a status the constitution counts. Each calendar month's row compares the
members at its opening (the last day of the month before) with those at its close (its last
day), so that close = opening + joined + transferred in - what left, and the events counted
are those dated in the month:

- joined: a membership in the subtree starting with no membership of the same person ending
  that day elsewhere (one ending that day inside the subtree is a move within it: not counted);
- transferred in / out: a membership starting in the subtree the day one of the same person
  ended outside it, and the reverse;
- ended: a membership in the subtree ending with no transfer;
- status changes by new status (`lapsed` and `resigned` are given on their own);
- churn by reason: members at the opening who are not members at the close, each with why (the
  status they moved to, "transferred out", or "ended"); retention: the share of the opening
  members who are still members at the close.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Q
from django.http import Http404

from grassroots.access import restrict
from grassroots.errors import ActionRefused, local_today, refuse_unknown_day
from grassroots.organizations.models import PATH_END, Unit
from grassroots.people.models import Membership, StatusChange

from . import _status_on

# At most this many months in one read.
MAX_MONTHS = 120


@dataclass
class _Stay:
    """A membership in the subtree with its status changes."""

    person: int
    status: str
    start: dt.date
    end: dt.date | None
    changes: list[tuple[dt.date, str, str]] = field(default_factory=list)

    def status_on(self, day: dt.date) -> str | None:
        if self.start > day or (self.end is not None and self.end <= day):
            return None
        return _status_on(day, self.status, self.changes)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def months_before(day: dt.date, count: int) -> dt.date:
    """The first day of the month `count` calendar months before the month of `day`; February of
    year 1 at the earliest, so that the month before the first has a last day (its opening)."""
    index = max(day.year * 12 + day.month - 1 - count, 13)
    return dt.date(index // 12, index % 12 + 1, 1)


def month_or_day(text: str) -> tuple[dt.date, dt.date] | None:
    """The days `text` names: a month `YYYY-MM` (its first and last day) or a day `YYYY-MM-DD`
    (that day twice); None when it is neither."""
    try:
        if len(text) == 7 and text[4] == "-":
            first = dt.date.fromisoformat(text + "-01")
            return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])
        day = dt.date.fromisoformat(text)
    except (ValueError, IndexError):
        return None
    return day, day


def period_day(field: str, text: str, *, end: bool, time_zone: str) -> dt.date:
    """The day a growth period's bound `text` (a month `YYYY-MM` or a day) stands for: a month's
    first day, or with `end` its last day but not after today in `time_zone`. Refused
    (`ActionRefused` naming `field`) when it is neither, or when the month or day begins after
    today or before `EARLIEST_DAY`."""
    days = month_or_day(text)
    if days is None:
        raise ActionRefused(f"{field}: '{text}' is not a month (YYYY-MM) or a date (YYYY-MM-DD)", field=field)
    first = refuse_unknown_day(field, days[0], time_zone=time_zone)
    if not end:
        return first
    return min(days[1], local_today(time_zone))


def _months(since: dt.date, until: dt.date) -> list[tuple[dt.date, dt.date]]:
    months, first = [], month_start(since)
    while first <= until:
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        months.append((first, last))
        if last == dt.date.max:
            break
        first = last + dt.timedelta(days=1)
    return months


def growth_of(user, unit: Unit, *, since: dt.date, until: dt.date) -> dict[str, object]:
    """The unit's subtree month by month from the month of `since` to that of `until`, at most
    `MAX_MONTHS` months, the latest: an earlier `since` reads from `MAX_MONTHS - 1` months
    before the month of `until` (the answer's `since` says where it starts):

    `{"unit", "since", "until", "months": [{"month": "YYYY-MM", "opening", "joined",
    "transferred_in", "transferred_out", "ended", "lapsed", "resigned", "status_changes":
    {status: n}, "members" (at the close), "by_status": {status: n} (every membership running at
    the close, counted or not), "net_growth", "retention" (0 to 1, None with no opening
    members), "churn": {reason: n}}], "total": the same figures over the whole period}`.

    Three queries whatever the size of the subtree: its memberships in the period, their status
    changes, and the memberships elsewhere of the same people that start or end in the period
    (to tell a transfer from a join or a departure). 404 for a unit out of scope; ValueError
    when `since` is after `until`."""
    if not restrict(Unit.objects.filter(pk=unit.pk), user=user, organization=unit.organization).exists():
        raise Http404(f"no unit '{unit.slug}' in {unit.organization.slug}")
    if since > until:
        raise ValueError(f"{since.isoformat()} is after until {until.isoformat()}")
    months = _months(max(month_start(since), months_before(until, MAX_MONTHS - 1)), until)
    counted = frozenset(unit.organization.constitution.member_statuses.counted)
    opening_day = months[0][0] - dt.timedelta(days=1)
    last_day = months[-1][1]
    inside = Q(unit__path__gte=unit.path, unit__path__lt=unit.path + PATH_END)
    running = Membership.objects.filter(inside, start__lte=last_day).filter(
        Q(end__isnull=True) | Q(end__gte=opening_day)
    )
    stays: dict[int, _Stay] = {}
    for pk, person, status, start, end in running.order_by().values_list("pk", "person_id", "status", "start", "end"):
        stays[pk] = _Stay(person, status, start, end)
    changes = StatusChange.objects.filter(
        Q(membership__unit__path__gte=unit.path, membership__unit__path__lt=unit.path + PATH_END),
        membership__start__lte=last_day,
    ).filter(Q(membership__end__isnull=True) | Q(membership__end__gte=opening_day))
    for membership_id, on, old, new in changes.order_by("on", "pk").values_list("membership_id", "on", "old", "new"):
        if membership_id in stays:
            stays[membership_id].changes.append((on, old, new))
    # The same people's memberships outside the subtree starting or ending in the period.
    people = running.values("person_id")
    elsewhere = Membership.objects.filter(person_id__in=people).exclude(inside)
    elsewhere = elsewhere.filter(
        Q(start__gte=opening_day, start__lte=last_day) | Q(end__gte=opening_day, end__lte=last_day)
    )
    started_outside, ended_outside = set(), set()
    for person, start, end in elsewhere.order_by().values_list("person_id", "start", "end"):
        started_outside.add((person, start))
        if end is not None:
            ended_outside.add((person, end))
    ended_inside = {(stay.person, stay.end) for stay in stays.values() if stay.end is not None}
    started_inside = {(stay.person, stay.start) for stay in stays.values()}

    def members_on(day: dt.date) -> tuple[set[int], Counter]:
        people_on: set[int] = set()
        by_status: Counter[str] = Counter()
        for stay in stays.values():
            status = stay.status_on(day)
            if status is not None:
                by_status[status] += 1
                if status in counted:
                    people_on.add(stay.person)
        return people_on, by_status

    def figures(first: dt.date, last: dt.date) -> dict[str, object]:
        opening, _ = members_on(first - dt.timedelta(days=1))
        closing, by_status = members_on(last)
        row: dict[str, object] = {}
        joined = transferred_in = transferred_out = ended = 0
        moved: Counter = Counter()
        why: dict[int, str] = {}
        for stay in stays.values():
            if first <= stay.start <= last and (stay.person, stay.start) not in ended_inside:
                if (stay.person, stay.start) in ended_outside:
                    transferred_in += 1
                else:
                    joined += 1
            for on, _old, new in stay.changes:
                if first <= on <= last:
                    moved[new] += 1
                    if new not in counted:
                        why[stay.person] = new
            if stay.end is not None and first <= stay.end <= last and (stay.person, stay.end) not in started_inside:
                if (stay.person, stay.end) in started_outside:
                    transferred_out += 1
                    why.setdefault(stay.person, "transferred out")
                else:
                    ended += 1
                    why.setdefault(stay.person, "ended")
        churn = Counter(why.get(person, "ended") for person in opening - closing)
        stayed = len(opening & closing)
        row.update(
            opening=len(opening),
            joined=joined,
            transferred_in=transferred_in,
            transferred_out=transferred_out,
            ended=ended,
            lapsed=moved.get("lapsed", 0),
            resigned=moved.get("resigned", 0),
            status_changes=dict(sorted(moved.items())),
            members=len(closing),
            by_status=dict(sorted(by_status.items())),
            net_growth=len(closing) - len(opening),
            retention=round(stayed / len(opening), 4) if opening else None,
            churn=dict(sorted(churn.items())),
        )
        return row

    rows = [{"month": f"{first:%Y-%m}", **figures(first, last)} for first, last in months]
    return {
        "unit": unit.slug,
        "since": months[0][0].isoformat(),
        "until": last_day.isoformat(),
        "months": rows,
        "total": {"month": "total", **figures(months[0][0], last_day)},
    }
