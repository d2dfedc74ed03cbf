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

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Lower
from django.http import Http404

from grassroots.access import NotVisible, restrict
from grassroots.access.grants import grants_for
from grassroots.errors import ActionRefused
from grassroots.meetings.hostlink import read_host_token
from grassroots.meetings.models import Decision
from grassroots.meetings.selectors import attended_in_standing_window
from grassroots.organizations.models import PATH_END, PATH_SEGMENT, Organization, Unit, UnitEvent, UnitState
from grassroots.people.models import Membership, Person, StatusChange

from .models import Allocation, Conference, Delegate, Delegation
from .voting import Voter


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


def _in_good_standing(conference: Conference) -> tuple[str, tuple]:
    """The SQL (and its parameters) of the people who attended, on the cut-off date, at least the
    meetings the constitution's standing rule asks for in its months before (`meetings.standing`,
    the rule `meetings.selectors.standing_of` applies to one person): one grouped query over the
    attendance of meetings that took place in the window, by person."""
    organization = conference.organization
    window = attended_in_standing_window(organization, conference.cutoff)
    rule = organization.constitution.meetings.standing
    if window is None or rule is None:
        raise ActionRefused(
            "standing: the constitution has no standing rule (meetings: standing) to count members by",
            field="standing",
        )
    attended = (
        window.filter(meeting__unit__organization_id=organization.pk)
        .order_by()
        .values("person_id")
        .annotate(n=Count("id"))
        .filter(n__gte=rule.attended_at_least)
        .values("person_id")
    )
    return attended.query.sql_with_params()


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
    )
    path = conference.unit.path
    params = [adapt(day), adapt(day), path, path + PATH_END, adapt(started_by), adapt(day), *statuses]
    if conference.standing:
        standing_sql, standing_params = _in_good_standing(conference)
        sql += f" AND m.person_id IN ({standing_sql})"
        params += list(standing_params)
    sql += " GROUP BY m.unit_id, u.path"
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


# Delegations, credentials and presence (issue 17: "Credentials", "Presence").


def delegations_of(conference: Conference) -> QuerySet[Delegation]:
    """The conference's delegations in tree order, with their unit, decision and chair."""
    return conference.delegations.select_related("unit", "chair", "decision__meeting").order_by(
        "allocation__unit_path", "pk"
    )


# Within a delegation the delegates come first, then the alternates ("delegate" sorts after
# "alternate", so the role is ordered descending), each by rank.
ROLE_ORDER = "-role"


def delegates_of(conference: Conference) -> QuerySet[Delegate]:
    """Every delegate and alternate of the conference, by delegation (tree order), role, rank,
    with their person and unit, and the rank of the delegate whose seat an alternate holds."""
    return (
        Delegate.objects.filter(conference=conference)
        .select_related("person", "delegation__unit", "seated_for")
        .order_by("delegation__allocation__unit_path", "delegation_id", ROLE_ORDER, "rank")
    )


def delegate_in(conference: Conference, pk: int) -> Delegate:
    """One delegate (or alternate) of the conference by id, else 404."""
    found = delegates_of(conference).filter(pk=pk).select_related("conference__unit__organization").first()
    if found is None:
        raise Http404(f"no delegate {pk} at conference {conference.pk}")
    return found


def _seat_weight_expression() -> Coalesce:
    """The votes of the seat a delegate row holds: the weight of the delegate whose seat an
    alternate holds, else the row's own. A correlated look-up by primary key rather than a join,
    so that PostgreSQL reads it through the index whatever its statistics say (the delegates of a
    conference are written in a burst, and a join planned on stale estimates took seconds)."""
    held = Delegate.objects.filter(pk=OuterRef("seated_for_id")).order_by().values("weight")[:1]
    return Coalesce(Subquery(held), F("weight"))


def _seated(conference: Conference) -> QuerySet[Delegate]:
    """The seats: seated delegates whose seat no alternate holds, and the alternates holding the
    seat of an absent seated delegate (with that delegate's weight)."""
    replaced = Exists(Delegate.objects.filter(seated_for_id=OuterRef("pk")).order_by())
    return (
        Delegate.objects.filter(conference=conference)
        .filter(
            Q(role=Delegate.Role.DELEGATE, credential=Delegate.Credential.SEATED) & ~replaced
            | Q(seated_for__isnull=False)
        )
        .annotate(seat_weight=_seat_weight_expression(), chair_id=F("delegation__chair_id"))
        .order_by("pk")
    )


def _seat_weight(row: Delegate) -> int:
    """The votes of the seat a row holds (annotated by `_seated` and `participants_of`)."""
    return int(getattr(row, "seat_weight"))  # noqa: B009 - an annotation the model does not declare


def entitled(conference: Conference) -> list[Voter]:
    """The conference's entitled voters, by delegate pk, in one query: each seated delegate (an
    alternate holding an absent delegate's seat instead of them, carrying that seat's weight),
    with their presence and delegation; the delegation's chair may not split their votes."""
    return [
        Voter(
            id=str(row.pk),
            weight=_seat_weight(row),
            present=row.present,
            delegation=str(row.delegation_id),
            may_split=row.person_id != getattr(row, "chair_id"),  # noqa: B009 - annotated by `_seated`
        )
        for row in _seated(conference)
    ]


def delegate_of(user, conference: Conference) -> Delegate | None:
    """The user's own delegate (or alternate) row at the conference, through the person their
    account is in the organization; None when they are not elected to it."""
    person_id = grants_for(user, conference.organization_id).person_id
    if person_id is None:
        return None
    return (
        Delegate.objects.filter(conference=conference, person_id=person_id).select_related("delegation__unit").first()
    )


@dataclass(frozen=True)
class Presence:
    """The live figures of the hall: the seated weight (every seat's votes), the weight present,
    the quorum (the present weight it needs) and whether it is met."""

    seats: int
    seated_weight: int
    present_seats: int
    present_weight: int
    quorum: int

    @classmethod
    def of(cls, seats: Iterable[tuple[int, bool]]) -> Presence:
        """The figures of (weight, present) seats."""
        rows = list(seats)
        seated = sum(weight for weight, _present in rows)
        present = [weight for weight, here in rows if here]
        return cls(
            seats=len(rows),
            seated_weight=seated,
            present_seats=len(present),
            present_weight=sum(present),
            quorum=quorum_of_weight(seated),
        )

    @property
    def quorate(self) -> bool:
        return self.seated_weight > 0 and self.present_weight >= self.quorum

    def as_json(self) -> dict[str, object]:
        return {
            "seats": self.seats,
            "seated_weight": self.seated_weight,
            "present_seats": self.present_seats,
            "present_weight": self.present_weight,
            "quorum": self.quorum,
            "quorate": self.quorate,
        }


def quorum_of_weight(seated_weight: int) -> int:
    """The conference's quorum: more than half of the seated weight present (the weight needed,
    `seated_weight // 2 + 1`). The constitution's quorum rule (`meetings.quorum`) is for the
    meetings of units, counted in members in good standing; it has no rule for conferences, so
    the common rule of deliberative assemblies (a majority of the seated votes) applies."""
    return seated_weight // 2 + 1 if seated_weight else 0


def presence_of(conference: Conference) -> Presence:
    """The hall's live figures from the seats (`entitled`): one query."""
    return Presence.of((voter.weight, voter.present) for voter in entitled(conference))


@dataclass(frozen=True)
class SeatLine:
    """One line of the credentials report: who holds a seat, for which unit, with what weight."""

    delegate_id: int
    name: str
    unit: str
    weight: int
    role: str
    present: bool
    seated_for: str

    def as_json(self) -> dict[str, object]:
        return {
            "delegate": self.delegate_id,
            "name": self.name,
            "unit": self.unit,
            "weight": self.weight,
            "role": self.role,
            "present": self.present,
            "seated_for": self.seated_for or None,
        }


def credentials_report(conference: Conference) -> tuple[list[SeatLine], Presence]:
    """The credentials report: the seats in tree order (name, unit, weight, role, present, and
    for an alternate the delegate whose seat they hold), and the figures with the quorum. One query."""
    rows = list(
        _seated(conference)
        .select_related("person", "delegation__unit", "seated_for__person")
        .order_by("delegation__allocation__unit_path", ROLE_ORDER, "rank")
    )
    lines = [
        SeatLine(
            delegate_id=row.pk,
            name=row.person.name,
            unit=row.delegation.unit.name,
            weight=_seat_weight(row),
            role=row.role,
            present=row.present,
            seated_for=row.seated_for.person.name if row.seated_for else "",
        )
        for row in rows
    ]
    return lines, Presence.of((line.weight, line.present) for line in lines)


PARTICIPANT_COLUMNS = ("name", "unit", "weight", "role", "present")


def participants_of(conference: Conference) -> list[tuple[str, str, int, str, str]]:
    """The participants for an assembly tool (OpenSlides' user import): every delegate and
    alternate not refused, by unit, delegates then alternates, by rank, as (name, unit, weight,
    delegate|alternate, yes|no present). The weight is the votes the row carries now, so that the
    weights add up to the votes of the conference once: a delegate their own; an alternate holding
    an absent delegate's seat that seat's, and that delegate 0; an alternate holding no seat 0
    (OpenSlides counts a vote weight per participant: 0 carries no vote). One query."""
    replaced = Exists(Delegate.objects.filter(seated_for_id=OuterRef("pk")).order_by())
    rows = (
        delegates_of(conference)
        .exclude(credential=Delegate.Credential.REFUSED)
        .annotate(seat_weight=_seat_weight_expression(), replaced=replaced)
    )
    return [
        (
            row.person.name,
            row.delegation.unit.name,
            _carried(row),
            row.role,
            "yes" if row.present else "no",
        )
        for row in rows
    ]


def _carried(row: Delegate) -> int:
    """The votes a participant row (annotated by `participants_of`) carries now."""
    replaced = getattr(row, "replaced")  # noqa: B009 - an annotation the model does not declare
    idle = row.role == Delegate.Role.ALTERNATE and row.seated_for_id is None
    return 0 if replaced or idle else _seat_weight(row)


def conference_for_unit(user, organization: Organization, pk: int, unit: Unit) -> Conference:
    """A conference seen through one of its delegations' units: the conference, when `unit` (one
    the user sees) has seats at it, or when the user sees the conference itself; else 404. A unit's
    officers reach the conference of their delegation this way without seeing the convening unit."""
    found = (
        Conference.objects.filter(organization=organization, pk=pk, allocations__unit=unit)
        .select_related("unit__organization")
        .first()
    )
    return found if found is not None else conference_for(user, organization, pk)


def participants_csv(rows: Iterable[tuple[str, str, int, str, str]]) -> str:
    """The participants' rows as CSV text under the header name, unit, weight, role, present."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(PARTICIPANT_COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue()


HOST_SALT = "grassroots.conferences.host-link"


def conference_by_host_token(token: str) -> Conference | None:
    """The conference a hall's host link opens, or None: a token that is not ours, a link issued
    again since, or a conference not credentialing or in session (the hall is open only then)."""
    opened = read_host_token(token, salt=HOST_SALT)
    if opened is None:
        return None
    pk, key = opened
    found = Conference.objects.select_related("unit__organization").filter(pk=pk).first()
    if found is None or not found.host_key or found.host_key != key:
        return None
    hall = (Conference.Status.CREDENTIALING, Conference.Status.IN_SESSION)
    return found if found.status in hall else None


def election_decisions(conference: Conference, unit: Unit) -> list[Decision]:
    """The carried decisions of the unit's meetings since the day before the call, the latest
    first: those that may have elected its delegation (the action checks the day exactly)."""
    if conference.called_at is None:
        return []
    since = conference.called_at - dt.timedelta(days=1)
    return list(
        Decision.objects.filter(meeting__unit=unit, outcome=Decision.Outcome.CARRIED, meeting__start__gte=since)
        .select_related("meeting")
        .order_by("-meeting__start", "-pk")[:50]
    )


def people_named(user, organization: Organization, refs: Sequence[str]) -> dict[str, Person]:
    """The people the user sees named by member number or email (any case), by the reference as
    given: one query. References matching no one (or several) are absent, so the caller names them."""
    ids = [int(ref) for ref in refs if ref.isdigit()]
    emails = [ref.lower() for ref in refs if not ref.isdigit()]
    found = list(
        restrict(Person.objects.all(), user=user, organization=organization)
        .annotate(lower_email=Lower("email"))
        .filter(Q(pk__in=ids) | Q(lower_email__in=emails))
    )
    by_id = {person.pk: person for person in found}
    by_email: dict[str, list[Person]] = {}
    for person in found:
        by_email.setdefault(person.email.lower(), []).append(person)
    named: dict[str, Person] = {}
    for ref in refs:
        if ref.isdigit() and int(ref) in by_id:
            named[ref] = by_id[int(ref)]
        elif len(by_email.get(ref.lower(), [])) == 1:
            named[ref] = by_email[ref.lower()][0]
    return named


# The conference in session: motions, polls, elections, and what a delegate may see -------------

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


def decision_in(organization: Organization, pk: int) -> Decision | None:
    """A decision of a meeting of one of the organization's units, with its meeting and unit (a
    motion submitted by a unit names it), or None."""
    decisions = Decision.objects.filter(pk=pk, meeting__unit__organization=organization)
    return decisions.select_related("meeting__unit").first()


from grassroots.bulletin.models import Issue  # noqa: E402
from grassroots.bulletin.selectors import may_publish  # noqa: E402


def issues_to_publish_in(user, organization: Organization) -> list[Issue]:
    """The organization's draft and scheduled bulletin issues whose publication `user` may edit
    (where a resolution may be published), by publication and number (one query)."""
    editable = (Issue.Status.DRAFT, Issue.Status.SCHEDULED)
    issues = Issue.objects.filter(publication__organization=organization, status__in=editable)
    ordered = issues.select_related("publication__unit").order_by("publication__name", "publication_id", "number")
    return [issue for issue in ordered if may_publish(user, issue.publication)]


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


def my_votes(conference: Conference, delegate) -> dict[int, str]:
    """Poll id -> the delegate's vote in the conference's polls as the page words it: the choice,
    or a split ("yes 3, no 2, abstain 0") (one query)."""
    rows = PollVote.objects.filter(poll__conference=conference, delegate=delegate).values_list(
        "poll_id", "choice", "yes", "no", "abstain"
    )
    return {poll: choice or f"yes {yes}, no {no}, abstain {abstain}" for poll, choice, yes, no, abstain in rows}


def open_polls_with_votes(conference: Conference) -> list[Poll]:
    """The conference's open polls, the first first, each with `cast`: how many delegates voted in
    it so far (one query)."""
    return list(polls_of(conference, state=Poll.State.OPEN).annotate(cast=Count("votes")))


@dataclass(frozen=True)
class MyConferences:
    """The conferences a user takes part in, for their dashboard: their own seats (delegate or
    alternate) and, for a unit's officer, the delegations of the units where they hold a post."""

    seats: list[Delegate]
    delegations: list[Allocation]


def my_conferences(user, organization: Organization) -> MyConferences:
    """The organization's conferences not yet closed where the user's person is a delegate or an
    alternate (for their delegate page), and those where a unit they hold a post in has seats (for
    its delegation page): two queries at most, none for an account with no person and no post."""
    grants = grants_for(user, organization.pk)
    not_closed = Q(conference__organization=organization) & ~Q(conference__status=Conference.Status.CLOSED)
    seats: list[Delegate] = []
    if grants.person_id is not None:
        seats = list(
            Delegate.objects.filter(not_closed, person_id=grants.person_id)
            .select_related("conference", "delegation__unit")
            .order_by("-conference__cutoff", "conference_id")
        )
    posts = sorted({path for path, _rights in grants.posts})
    delegations: list[Allocation] = []
    if posts:
        delegations = list(
            Allocation.objects.filter(not_closed, unit__path__in=posts, seats__gt=0)
            .select_related("conference", "unit")
            .order_by("-conference__cutoff", "conference_id", "unit__path")
        )
    return MyConferences(seats=seats, delegations=delegations)
