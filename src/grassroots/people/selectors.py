"""Reads of people and memberships; every one starts from the restricted queryset."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from grassroots.access import Right, grants_for, restrict
from grassroots.audit.actions import record_denied_access
from grassroots.ids import is_row_id
from grassroots.organizations.models import Organization, Unit

from .models import Consent, Membership, Person


def people_visible_to(user, organization: Organization) -> QuerySet[Person]:
    """The people of an organization the user may see, each with their current membership."""
    current = Prefetch(
        "memberships", queryset=Membership.objects.current().select_related("unit"), to_attr="current_memberships"
    )
    return restrict(Person.objects.all(), user=user, organization=organization).prefetch_related(current)


def person_for(user, organization: Organization, pk: int | str) -> Person:
    """The person with this number, or 404 when unknown or out of the user's scope (which is audited)."""
    person = people_visible_to(user, organization).filter(pk=pk).first() if is_row_id(pk) else None
    if person is None:
        if is_row_id(pk) and Person.objects.filter(organization=organization, pk=pk).exists():
            record_denied_access(user=user, organization=organization, what=f"person {pk}")
        raise Http404(f"no person {pk} in {organization.slug}")
    return person


def sees_lineage(user, person: Person) -> bool:
    """Whether the user may see who recruited this person: the sensitive recruitment lineage."""
    return grants_for(user, person.organization_id).allows(Right.VIEW_LINEAGE, person.unit_path or "-")


def may_edit(user, person: Person) -> bool:
    """Whether the user may change this person's record and memberships (to offer the forms)."""
    return grants_for(user, person.organization_id).allows(Right.EDIT_PEOPLE, person.unit_path or "-")


def may_export(user, person: Person) -> bool:
    """Whether to offer the subject access export: import_export and view_lineage over the
    person's unit (the action also checks every unit of their history)."""
    grants = grants_for(user, person.organization_id)
    path = person.unit_path or "-"
    return grants.allows(Right.IMPORT_EXPORT, path) and grants.allows(Right.VIEW_LINEAGE, path)


def may_erase(user, person: Person) -> bool:
    """Whether to offer erasure: only the organization's administrators erase, and only once."""
    return person.erased_at is None and grants_for(user, person.organization_id).everything


def consents_of(user, person: Person) -> QuerySet[Consent]:
    """The person's consents, latest first, when the user may see the person's record."""
    consents = restrict(Consent.objects.filter(person=person), user=user, organization=person.organization)
    return consents.order_by("-given_at", "-id")


def consent_for(user, person: Person, pk: int | str) -> Consent:
    """One consent of the person, or 404 when unknown, someone else's, or out of scope."""
    known = is_row_id(pk)
    consent = consents_of(user, person).filter(pk=pk).first() if known else None
    if consent is None:
        raise Http404(f"no consent {pk} of person {person.pk}")
    consent.person = person
    return consent


def roster_of(user, unit: Unit) -> list[dict[str, str]]:
    """The current members of a unit as its own members may see them: names only, unless the
    constitution lists more fields. Empty for a user who cannot see the unit."""
    grants = grants_for(user, unit.organization_id)
    if not grants.allows(Right.VIEW_UNITS, unit.path):
        return []
    fields = ["name", "email", "phone"] if grants.allows(Right.VIEW_PEOPLE, unit.path) else list(grants.roster_fields)
    members = Membership.objects.current().filter(unit=unit).order_by("person__name")
    return [dict(zip(fields, row, strict=True)) for row in members.values_list(*(f"person__{f}" for f in fields))]


def search_people(user, organization: Organization, query: str) -> QuerySet[Person]:
    people = people_visible_to(user, organization)
    if query:
        people = people.filter(Q(name__icontains=query) | Q(email__icontains=query.lower()))
    return people


def memberships_visible_to(user, organization: Organization) -> QuerySet[Membership]:
    return restrict(Membership.objects.select_related("person", "unit"), user=user, organization=organization)


def members_of_unit(user, unit) -> QuerySet[Membership]:
    """Current memberships of one unit, with the person, by name."""
    memberships = memberships_visible_to(user, unit.organization).current().filter(unit=unit)
    return memberships.order_by("person__name", "person_id")


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
