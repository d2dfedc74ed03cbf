"""Reads of conferences: those a caller may see (by the convening unit: whoever sees it sees the
conference), one conference, its allocation table, and the counts the apportionment starts from.

The counts are as the records stood on the cut-off date, not today: a membership counts when
it ran on that day (started on or before it, not yet ended), its status then (replayed from the
dated status changes) is one the conference counts in good standing, and it had run for the
minimum tenure by then. The delegations are per basic
unit of the convening unit's subtree that was founded on the cut-off date (its latest dated
event by then says founded), unless the conference names another kind of unit (a district
level): then per founded unit of that kind, with every member counted in its subtree. The
members are one grouped query over memberships.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404

from grassroots.access import NotVisible, restrict
from grassroots.organizations.models import PATH_END, PATH_SEGMENT, Organization, Unit, UnitEvent, UnitState
from grassroots.people.models import Membership, StatusChange

from .models import Allocation, Conference


def conferences_visible_to(user, organization: Organization) -> QuerySet[Conference]:
    """The organization's conferences convened by a unit the user sees, the latest cut-off first."""
    return restrict(Conference.objects.all(), user=user, organization=organization).select_related("unit")


def conference_for(user, organization: Organization, pk: int) -> Conference:
    """One conference the user may read, else 404 (`NotVisible` when it exists out of scope)."""
    found = conferences_visible_to(user, organization).filter(pk=pk).select_related("unit__organization").first()
    if found is None:
        existing = Conference.objects.filter(organization=organization, pk=pk).select_related("unit").first()
        if existing is not None:
            raise NotVisible(
                f"no conference {pk} in {organization.slug}",
                organization=organization,
                unit=existing.unit,
                what=f"conference {pk}",
            )
        raise Http404(f"no conference {pk} in {organization.slug}")
    return found


def allocations_of(conference: Conference) -> QuerySet[Allocation]:
    """The conference's apportionment table, one row per unit with its unit, in tree order."""
    return conference.allocations.select_related("unit").order_by("unit_path", "pk")


def counted_statuses(conference: Conference) -> list[str]:
    """The member statuses the conference counts in good standing: its own, else the constitution's."""
    return list(conference.statuses) or list(conference.organization.constitution.member_statuses.counted)


def delegation_kinds(conference: Conference) -> list[str]:
    """The kinds of unit that send delegations: the conference's `delegation_kind`, else the basic kinds."""
    constitution = conference.organization.constitution
    return [conference.delegation_kind] if conference.delegation_kind else constitution.basic_kinds


def delegation_units(conference: Conference) -> QuerySet[Unit]:
    """The units of the delegation kind (by default the basic units) in the convening unit's
    subtree founded on the cut-off date (their latest event on or before it leaves them founded),
    in tree order: the units that send delegates."""
    convening = conference.unit
    state_then = (
        UnitEvent.objects.filter(unit=OuterRef("pk"), on__lte=conference.cutoff).order_by("-on", "-id").values("state")
    )
    return (
        Unit.objects.filter(organization_id=conference.organization_id, kind__in=delegation_kinds(conference))
        .filter(path__gte=convening.path, path__lt=convening.path + PATH_END)
        .annotate(state_then=Subquery(state_then[:1]))
        .filter(state_then=UnitState.FOUNDED)
        .order_by("path")
    )


def members_at_cutoff(conference: Conference, *, delegations: Sequence[Unit] = ()) -> dict[int, int]:
    """Basic unit id -> members counted on the conference's cut-off date, for every basic unit of
    the subtree with any: one grouped query over the memberships of the subtree's path range.
    With `delegations` (units above the basic level, as `delegation_units` gives them), each one's
    id -> the members counted in its whole subtree, added up from the same query's rows.

    A membership's status on the day is the `old` status of its first change after the day, or,
    with no change after it, its status now (the same as `organizations.selectors.status_on`
    replays, whose history is a chain: each change's old status is the one before it). Read
    set-based, as a join to the first changes after the day, rather than as two correlated
    subqueries per membership (those cost 9.5 times the floor of a grouped range scan on
    PostgreSQL, see bench/conference.py): the changes after a recent cut-off are few."""
    statuses = counted_statuses(conference)
    day = conference.cutoff
    started_by = day - dt.timedelta(days=conference.minimum_tenure_days)
    membership, unit, change = (model._meta.db_table for model in (Membership, Unit, StatusChange))
    on, end = connection.ops.quote_name("on"), connection.ops.quote_name("end")
    adapt = connection.ops.adapt_datefield_value
    sql = (
        f"SELECT m.unit_id, u.path, COUNT(*) FROM {membership} m JOIN {unit} u ON u.id = m.unit_id"
        f" LEFT JOIN (SELECT c.membership_id, c.old FROM {change} c WHERE c.{on} > %s AND NOT EXISTS ("
        f"SELECT 1 FROM {change} e WHERE e.membership_id = c.membership_id AND e.{on} > %s"
        f" AND (e.{on} < c.{on} OR (e.{on} = c.{on} AND e.id < c.id)))) f ON f.membership_id = m.id"
        f" WHERE u.path >= %s AND u.path < %s AND m.start <= %s AND (m.{end} IS NULL OR m.{end} > %s)"
        f" AND COALESCE(f.old, m.status) IN ({', '.join(['%s'] * len(statuses))})"
        " GROUP BY m.unit_id, u.path"
    )
    path = conference.unit.path
    params = [adapt(day), adapt(day), path, path + PATH_END, adapt(started_by), adapt(day), *statuses]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not delegations:
        return {unit_id: count for unit_id, _path, count in rows}
    by_path = {unit.path: unit.pk for unit in delegations}
    totals = dict.fromkeys(by_path.values(), 0)
    for _unit_id, unit_path, count in rows:
        # The delegation above a basic unit is the one whose path is a prefix of the unit's.
        for length in range(PATH_SEGMENT, len(unit_path) + 1, PATH_SEGMENT):
            if unit_path[:length] in by_path:
                totals[by_path[unit_path[:length]]] += count
                break
    return {pk: count for pk, count in totals.items() if count}


# The conference in session: motions, polls, elections, and what a delegate may see -------------

from ._entitled import delegate_of  # noqa: E402  (placeholder of the credentials work)
from ._entitled import entitled as entitled  # noqa: E402
from .models import Amendment, Election, Motion, Poll, PollVote  # noqa: E402


def conference_for_delegate(user, organization: Organization, pk: int) -> Conference:
    """One conference the user may read, or one they are a delegate of (a delegate reads the
    conference, its agenda, polls and elections, and votes in it), else 404."""
    try:
        return conference_for(user, organization, pk)
    except (Http404, NotVisible):
        found = Conference.objects.filter(organization=organization, pk=pk).select_related("unit__organization").first()
        if found is None or delegate_of(user, found) is None:
            raise
        return found


def motions_of(conference: Conference) -> list[Motion]:
    """The conference's motions in number order, each with its amendments (two queries)."""
    return list(Motion.objects.filter(conference=conference).order_by("number").prefetch_related("amendments"))


def motion_in(conference: Conference, number: int) -> Motion:
    """The conference's motion `number`, else 404."""
    found = Motion.objects.filter(conference=conference, number=number).select_related("conference").first()
    if found is None:
        raise Http404(f"no motion {number} in conference {conference.pk}")
    return found


def amendment_in(motion: Motion, number: int) -> Amendment:
    found = Amendment.objects.filter(motion=motion, number=number).select_related("motion__conference").first()
    if found is None:
        raise Http404(f"no amendment {number} to motion {motion.number}")
    return found


def polls_of(conference: Conference, *, state: str | None = None) -> QuerySet[Poll]:
    """The conference's polls, the first first (optionally only those in `state`)."""
    polls = Poll.objects.filter(conference=conference).select_related("motion", "amendment__motion")
    return (polls.filter(state=state) if state else polls).order_by("pk")


def poll_in(conference: Conference, pk: int) -> Poll:
    found = Poll.objects.filter(conference=conference, pk=pk).select_related("conference__unit").first()
    if found is None:
        raise Http404(f"no poll {pk} in conference {conference.pk}")
    return found


def elections_of(conference: Conference) -> QuerySet[Election]:
    return Election.objects.filter(conference=conference).order_by("pk")


def election_in(conference: Conference, pk: int) -> Election:
    found = Election.objects.filter(conference=conference, pk=pk).select_related("conference__unit").first()
    if found is None:
        raise Http404(f"no election {pk} in conference {conference.pk}")
    return found


def votes_cast(poll: Poll) -> int:
    """How many delegates voted in the poll so far (one query)."""
    return PollVote.objects.filter(poll=poll).count()


def my_votes(conference: Conference, delegate) -> dict[int, str]:
    """Poll id -> the delegate's choice ("" for a split) in the conference's polls (one query)."""
    rows = PollVote.objects.filter(poll__conference=conference, delegate=delegate).values_list("poll_id", "choice")
    return dict(rows)
