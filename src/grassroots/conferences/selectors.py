"""Reads of conferences: those a caller may see (by the convening unit: whoever sees it sees the
conference), one conference, its allocation table, and the counts the apportionment starts from.

The counts are as the records stood on the cut-off date, not today: a membership counts when
it ran on that day (started on or before it, not yet ended), its status then (replayed from the
dated status changes, as `organizations.selectors.status_on` says) is one the conference counts
in good standing, and it had run for the minimum tenure by then. The delegations are per basic
unit of the convening unit's subtree that was founded on the cut-off date (its latest dated
event by then says founded); each unit's members are one grouped query over memberships.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.http import Http404

from grassroots.access import NotVisible, restrict
from grassroots.organizations.models import PATH_END, Organization, Unit, UnitEvent, UnitState
from grassroots.organizations.selectors import status_on
from grassroots.people.models import Membership

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


def delegation_units(conference: Conference) -> QuerySet[Unit]:
    """The basic units of the convening unit's subtree founded on the cut-off date (their latest
    event on or before it leaves them founded), in tree order: the units that send delegates."""
    convening = conference.unit
    state_then = (
        UnitEvent.objects.filter(unit=OuterRef("pk"), on__lte=conference.cutoff).order_by("-on", "-id").values("state")
    )
    constitution = conference.organization.constitution
    return (
        Unit.objects.filter(organization_id=conference.organization_id, kind__in=constitution.basic_kinds)
        .filter(path__gte=convening.path, path__lt=convening.path + PATH_END)
        .annotate(state_then=Subquery(state_then[:1]))
        .filter(state_then=UnitState.FOUNDED)
        .order_by("path")
    )


def counted_memberships(
    *, path: str, cutoff: dt.date, statuses: list[str], minimum_tenure_days: int = 0
) -> QuerySet[Membership]:
    """The memberships counted on `cutoff` in the subtree at `path`: running that day, in one of
    `statuses` as it stood that day, started at least `minimum_tenure_days` before it."""
    # Paths are unique across organizations: the range alone keeps to this one.
    memberships = Membership.objects.filter(unit__path__gte=path, unit__path__lt=path + PATH_END).on(cutoff)
    if minimum_tenure_days:
        memberships = memberships.filter(start__lte=cutoff - dt.timedelta(days=minimum_tenure_days))
    return memberships.annotate(status_then=status_on(cutoff)).filter(status_then__in=statuses)


def members_at_cutoff(conference: Conference) -> dict[int, int]:
    """Unit id -> members counted on the conference's cut-off date, for every unit of the subtree
    with any: one grouped query over the memberships of the subtree's path range."""
    memberships = counted_memberships(
        path=conference.unit.path,
        cutoff=conference.cutoff,
        statuses=counted_statuses(conference),
        minimum_tenure_days=conference.minimum_tenure_days,
    )
    return dict(memberships.order_by().values_list("unit_id").annotate(n=Count("pk")).values_list("unit_id", "n"))
