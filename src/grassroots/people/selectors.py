"""Reads of people and memberships; every one starts from the restricted queryset."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from grassroots.access import restrict
from grassroots.organizations.models import Organization

from .models import Membership, Person


def people_visible_to(user, organization: Organization) -> QuerySet[Person]:
    """The people of an organization the user may see, each with their current membership."""
    current = Prefetch(
        "memberships", queryset=Membership.objects.current().select_related("unit"), to_attr="current_memberships"
    )
    return restrict(Person.objects.all(), user=user, organization=organization).prefetch_related(current)


def person_for(user, organization: Organization, pk: int | str) -> Person:
    person = people_visible_to(user, organization).filter(pk=pk).first() if str(pk).isdigit() else None
    if person is None:
        raise Http404(f"no person {pk} in {organization.slug}")
    return person


def search_people(user, organization: Organization, query: str) -> QuerySet[Person]:
    people = people_visible_to(user, organization)
    if query:
        people = people.filter(Q(name__icontains=query) | Q(email__icontains=query.lower()))
    return people


def memberships_visible_to(user, organization: Organization) -> QuerySet[Membership]:
    return restrict(Membership.objects.select_related("person", "unit"), user=user, organization=organization)


def members_of_unit(user, unit) -> QuerySet[Membership]:
    """Current memberships of one unit, with the person, by name."""
    return memberships_visible_to(user, unit.organization).current().filter(unit=unit).order_by("person__name")


def history_of(user, person: Person) -> QuerySet[Membership]:
    return memberships_visible_to(user, person.organization).filter(person=person).order_by("-start", "-id")


def current_membership(person: Person) -> Membership | None:
    memberships = getattr(person, "current_memberships", None)
    if memberships is not None:
        return memberships[0] if memberships else None
    return Membership.objects.current().filter(person=person).select_related("unit").first()


def people_by_ids(user, organization: Organization, ids: Iterable[int]) -> dict[int, Person]:
    """The people with these ids that the user may see in the organization, by id, in one query.

    Ids that are unknown, of another organization or out of scope are simply absent, so the
    caller can name them.
    """
    wanted = set(ids)
    if not wanted:
        return {}
    return {
        person.pk: person
        for person in restrict(Person.objects.filter(pk__in=wanted), user=user, organization=organization)
    }
