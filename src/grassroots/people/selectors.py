"""Reads of people and memberships; every one starts from the restricted queryset."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import combinations
from typing import NamedTuple

from django.db import connection
from django.db.models import (
    CharField,
    Count,
    F,
    FilteredRelation,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from grassroots.access import NotVisible, Right, grants_for, restrict
from grassroots.ids import is_row_id
from grassroots.keyset import SORTED_NAME
from grassroots.organizations.models import Organization, Unit

from .models import Consent, Course, CourseCompletion, MemberCount, Membership, Person, Prefix, Programme
from .normalize import (
    differences,
    is_email,
    normal_address,
    normal_email,
    normal_text,
    phone_e164,
    search_key,
    shown,
    why_not_email,
    why_not_phone,
)


def scope_unit(person: Person) -> Unit | None:
    """The unit of the person's current (or last) membership: the one their scoping path names
    (`Person.unit_path`), which authorizes changes to them and labels their audit records."""
    return Unit.objects.filter(path=person.unit_path).first() if person.unit_path else None


def people_visible_to(user, organization: Organization) -> QuerySet[Person]:
    """The people of an organization the user may see, each with the membership that gives their
    status (`MembershipQuerySet.latest_per_person`: the current one, else the one that ended last), in one
    query for a page of people; `current_membership` and `latest_membership` read it."""
    current = Prefetch(
        "memberships",
        queryset=Membership.objects.latest_per_person().select_related("unit"),
        to_attr="latest_memberships",
    )
    people = Person.objects.select_related("recruiter")  # printed only as far as the user may see them
    return restrict(people, user=user, organization=organization).prefetch_related(current)


def person_for(user, organization: Organization, pk: int | str) -> Person:
    """The person with this number, or 404 when unknown or out of the user's scope (then
    `NotVisible`, which the page or API answering it audits)."""
    person = people_visible_to(user, organization).filter(pk=pk).first() if is_row_id(pk) else None
    if person is None:
        if is_row_id(pk) and Person.objects.filter(organization=organization, pk=pk).exists():
            raise NotVisible(f"no person {pk} in {organization.slug}", organization=organization, what=f"person {pk}")
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


def completions_of(user, person: Person) -> QuerySet[CourseCompletion]:
    """The person's course completions, latest first, with their course, when the user may see
    the person's record (the person themselves included)."""
    completions = restrict(CourseCompletion.objects.filter(person=person), user=user, organization=person.organization)
    return completions.select_related("course").order_by("-completed_on", "-id")


def course_for(organization: Organization, code: str) -> Course:
    """The organization's course with this code, or 404. Courses are not secret: anyone who
    sees the organization may name them."""
    course = Course.objects.filter(organization=organization, code=code.strip()).first()
    if course is None:
        raise Http404(f"no course '{code}' in {organization.slug}")
    return course


def programme_for(organization: Organization, code: str) -> Programme:
    """The organization's programme with this code, or 404 (programmes are not secret either)."""
    programme = Programme.objects.filter(organization=organization, code=code.strip()).first()
    if programme is None:
        raise Http404(f"no programme '{code}' in {organization.slug}")
    return programme


def roster_of(user, unit: Unit) -> list[dict[str, str]]:
    """The current members of a unit as its own members may see them: names only, unless the
    constitution lists more fields. Empty for a user who cannot see the unit."""
    grants = grants_for(user, unit.organization_id)
    if not grants.allows(Right.VIEW_UNITS, unit.path):
        return []
    fields = ["name", "email", "phone"] if grants.allows(Right.VIEW_PEOPLE, unit.path) else list(grants.roster_fields)
    members = Membership.objects.current().filter(unit=unit).order_by("person__name")
    return [dict(zip(fields, row, strict=True)) for row in members.values_list(*(f"person__{f}" for f in fields))]


def search_people(
    user, organization: Organization, query: str, *, unit: Unit | None = None, status: str = ""
) -> QuerySet[Person]:
    """The people the user may see whose name, family name or email begins with `query`, ignoring
    case, accents and Unicode form in every script (the search keys, see `normalize.py`);
    optionally only those placed in `unit`'s subtree, and those whose status is `status`.

    A person's status is the status of their current membership or, when they have none, the status
    their last membership ended with (`MembershipQuerySet.latest_per_person`): `member end P --status resigned`
    lists P under "resigned". A status the constitution counts as membership ("member") lists
    only current memberships: someone whose membership ended without a final status is listed by
    no status filter. The unit filter applies to that same membership's unit (the person's
    `unit_path`, kept on the current or last unit). A person who never had a membership has no
    status and is listed by no status filter.
    By name, then id; the name is annotated as `keyset.SORTED_NAME` (pages continue by it).

    Each prefix is one range of an index on either database; a text found only in the middle of
    a name is not searched (that would read every row). A small scope (`reads_scope`) is read
    by its path range alone, then filtered and sorted: its prefixes and its name are compared
    as expressions no index answers (`name || ''`, the same text in the same order).
    """
    people = people_visible_to(user, organization)
    small = reads_scope(user, organization, unit)
    people = people.annotate(**{SORTED_NAME: Unindexed("name") if small else F("name")})
    people = people.order_by(SORTED_NAME, "pk")
    if query:
        key, email = search_key(query), normal_email(query)
        terms = [(field, text) for field, text in (("search_key", key), ("family_key", key), ("email", email)) if text]
        # Each alternative names the organization, so each is a range of its own index (SQLite
        # answers an OR with one index per term only when every term is indexable alone).
        by_index = Q(pk__in=[])
        for field, text in terms:
            by_index |= Q(organization=organization, **{f"{field}__prefix": text})
        if small or (unit is None and _walks_names(user, organization, people.filter(by_index))):
            matches = Q(pk__in=[])
            for field, text in terms:
                matches |= Q(Prefix(Unindexed(field), text))
            people = people.filter(matches)
        else:
            people = people.filter(by_index)
    if unit is not None:
        people = people.filter(unit_path__gte=unit.path, unit_path__lt=unit.path + "~")
    if status:
        # Two lists, not one with an OR inside: the current memberships of that status, read as
        # before, and those of that status ended last (an anti-join on the person index, run only
        # for ended memberships of that status), so the common case costs what it did.
        current = Membership.objects.current().filter(status=status).values("person_id")
        if status in organization.constitution.member_statuses.counted:
            # "member" lists members: someone who left without a final status is not one.
            people = people.filter(pk__in=current)
        else:
            ended = Membership.objects.ended_last().filter(status=status).values("person_id")
            people = people.filter(Q(pk__in=current) | Q(pk__in=ended))
    return people


SORTED_SCOPE = 20_000  # people in a scope up to which a list reads the scope and sorts it
COMMON_PREFIX = 5_000  # matches from which SQLite finds a page of a search by walking the names


def _walks_names(user, organization: Organization, matches: QuerySet[Person]) -> bool:
    """Whether a search of the whole organization on SQLite finds its page by walking the
    (organization, name, id) index and testing each person's prefixes, rather than gathering
    every match by the prefix indexes and sorting them: when at least COMMON_PREFIX people match
    (one query counting at most that many by those indexes). "anna" among a million people is
    50,000 matches, which the gathering read and sorted for a page of fifty (88 ms); the walk
    passes about fifty times the organization's size over the matches (1,000 people) for it. A
    rarer prefix is gathered and sorted, as PostgreSQL's planner chooses by its statistics."""
    if connection.vendor != "sqlite" or not grants_for(user, organization.pk).everything:
        return False
    return matches.order_by().values("pk")[:COMMON_PREFIX].count() >= COMMON_PREFIX


class Unindexed(Func):
    """`field || ''`: the text, compared and ordered exactly as the field (the same text and
    collation), as an expression that no index answers."""

    template = "(%(expressions)s || '')"
    output_field = CharField()


def reads_scope(user, organization: Organization, unit: Unit | None = None) -> bool:
    """Whether a list of the people the user sees (of `unit`'s subtree, if given) reads its scope
    by the path range and sorts it, rather than walking the organization's name index.

    A page by name can walk the (organization, name, id) index and keep the people in scope, or
    read the scope by the people's path index and sort it. For the whole organization (or most
    of it) the walk stops after a page; for a district's 2,500 of a million it passes about
    20,000 people for fifty, and PostgreSQL's planner, which costs the walk as if a district's
    people were spread evenly through the alphabet, still chose it (116 ms, against 4 ms for
    the range and a sort); with a search it intersected the district with every match of the
    prefix (100,000 for "anna"). So the choice is made here by the scope's kept size, as post
    candidates choose: the per-unit counts of every status (`MemberCount`), one range of their
    path index per root; up to SORTED_SCOPE people, the scope is read. An administrator's whole
    organization costs no query, and neither does SQLite: with its statistics (`ANALYZE`, kept
    fresh, see `grassroots.database`) it takes the path range for a small scope by itself, and
    the expressions only cost it processor time (3 ms a page)."""
    if connection.vendor == "sqlite":
        return False
    grants = grants_for(user, organization.pk)
    if unit is None and grants.everything:
        return False
    roots = [unit.path] if unit is not None else grants.paths(Right.VIEW_PEOPLE)
    if not roots:  # a member's own record at most
        return True
    ranges = Q(pk__in=[])
    for root in roots:
        ranges |= Q(path__gte=root, path__lt=root + "~")
    return (MemberCount.objects.filter(ranges).aggregate(n=Sum("members"))["n"] or 0) <= SORTED_SCOPE


LISTING_FIELDS = ("id", "name", "email", "phone", "address", "unit", "status", "since")


def people_listing(
    user, organization: Organization, query: str = "", *, unit: Unit | None = None, status: str = ""
) -> QuerySet:
    """`search_people` as plain rows of `LISTING_FIELDS`, in one query however many people match:
    for streaming a long list. `unit`, `status` and `since` are those of the membership that gives
    the person their status (see `search_people`): for a current membership its unit slug, status
    and start; for a person whose last membership ended, its unit slug, the status it ended with and
    the day it ended (so "resigned since 2026-03-01"); None for a person who never had one.

    Every row is wanted, so only the whole organization walks its name index; a search or a
    subtree reads its matches by their own indexes and sorts them (walking a million names to
    keep 50,000 "anna" took 8.7 s on SQLite). The current membership (at most one, a constraint)
    is one join, not a subquery per column; only a person without one reads their last ended
    membership, by the person index (COALESCE evaluates its second term only when the first is null)."""
    people = search_people(user, organization, query, unit=unit, status=status).prefetch_related(None)
    people = people.select_related(None).annotate(
        current=FilteredRelation("memberships", condition=Q(memberships__end__isnull=True))
    )
    if query or unit is not None or not grants_for(user, organization.pk).everything:
        people = people.order_by(Unindexed("name"), "pk")
    ended = Membership.objects.filter(person_id=OuterRef("pk"), end__isnull=False).order_by("-end", "-start", "-pk")
    return people.annotate(
        unit=Coalesce(F("current__unit__slug"), Subquery(ended.values("unit__slug")[:1])),
        status=Coalesce(F("current__status"), Subquery(ended.values("status")[:1])),
        since=Coalesce(F("current__start"), Subquery(ended.values("end")[:1])),
    ).values(*LISTING_FIELDS)


def duplicates_visible_to(user, organization: Organization, *, limit: int = 500) -> list[DuplicatePair]:
    """Pairs of people the user may see who may be one person: the same email, the same phone or
    the same name (search key), each pair once with every reason that applies, lowest numbers first.

    A household sharing a landline shows here too: the organizer decides, and merges or not.
    """
    visible = restrict(Person.objects.filter(erased_at__isnull=True), user=user, organization=organization)
    reasons: dict[tuple[int, int], list[str]] = {}
    for field, reason in (("email", "same email"), ("phone", "same phone"), ("search_key", "same name")):
        shared = visible.exclude(**{field: ""}).values(field).annotate(n=Count("pk")).filter(n__gt=1).values(field)
        groups: dict[str, list[int]] = {}
        for value, pk in visible.filter(**{f"{field}__in": shared}).order_by(field, "pk").values_list(field, "pk"):
            groups.setdefault(value, []).append(pk)
        for ids in groups.values():
            for pair in combinations(ids[:20], 2):
                reasons.setdefault(pair, []).append(reason)
    pairs = sorted(reasons)[:limit]
    names = dict(visible.filter(pk__in={pk for pair in pairs for pk in pair}).values_list("pk", "name"))
    return [DuplicatePair(a, names[a], b, names[b], tuple(reasons[(a, b)])) for a, b in pairs]


class DuplicatePair(NamedTuple):
    """Two people who may be one, and why."""

    first_id: int
    first_name: str
    second_id: int
    second_name: str
    reasons: tuple[str, ...]


def values_to_check(user, organization: Organization) -> Iterator[dict[str, object]]:
    """The stored values of visible people that are not in the normal form (`normalize.py`), each
    with its `normal` form when it has one (a valid value written otherwise: `07911 123458` is
    `+447911123458`) or None when it cannot be normalized at all (a phone that is not a number for
    the organization's region, an email that is not an address, a name empty once invisible
    characters go), and a `reason` quoting the stored value (`normalize.shown`): what separates it
    from its normal form and what it would become, or why it cannot be normalized. Read in batches.
    Shape: `{"id", "field", "value", "normal": str | None, "reason"}`."""
    region = (organization.default_region or "GB").upper()
    people = restrict(Person.objects.filter(erased_at__isnull=True), user=user, organization=organization)
    fields = ("pk", "name", "email", "phone", "address")
    last = 0
    while True:
        batch = list(people.filter(pk__gt=last).order_by("pk").values_list(*fields)[:2000])
        if not batch:
            return
        last = batch[-1][0]
        for pk, name, email, phone, address in batch:
            normal_name = normal_text(name)
            if not normal_name:
                yield _to_check(pk, "name", name, None, "it is empty once its invisible characters are removed")
            elif normal_name != name:
                yield _to_check(pk, "name", name, normal_name)
            if address and (normal := normal_address(address)) != address:
                yield _to_check(pk, "address", address, normal)
            if email:
                normal = normal_email(email)
                if not is_email(normal):
                    yield _to_check(pk, "email", email, None, f"it is not an email address ({why_not_email(normal)})")
                elif normal != email:
                    yield _to_check(pk, "email", email, normal)
            if phone and (number := phone_e164(phone, region)) != phone:
                if number:
                    yield _to_check(pk, "phone", phone, number)
                else:
                    why = f"it is not a phone number ({why_not_phone(phone, region)})"
                    yield _to_check(pk, "phone", phone, None, why)


def _to_check(pk: int, field: str, value: str, normal: str | None, why_not: str = "") -> dict[str, object]:
    """One value to correct: with its normal form, what differs from it; without one, why not."""
    if normal is not None:
        reason = (
            f"{field} {shown(value)} is stored in another form than the normal one "
            f"({differences(value, normal, field)}): it would become {shown(normal)}"
        )
    else:
        reason = f"{field} {shown(value)} cannot be normalized: {why_not}"
    return {"id": pk, "field": field, "value": value, "normal": normal, "reason": reason}


def memberships_visible_to(user, organization: Organization) -> QuerySet[Membership]:
    return restrict(Membership.objects.select_related("person", "unit"), user=user, organization=organization)


def members_of_unit(user, unit) -> QuerySet[Membership]:
    """Current memberships of one unit, with the person, by name."""
    memberships = memberships_visible_to(user, unit.organization).current().filter(unit=unit)
    return memberships.order_by("person__name", "person_id")


def history_of(user, person: Person) -> QuerySet[Membership]:
    return memberships_visible_to(user, person.organization).filter(person=person).order_by("-start", "-id")


def current_membership(person: Person) -> Membership | None:
    """The person's current membership, or None (read from `people_visible_to`'s prefetch when there)."""
    memberships = getattr(person, "latest_memberships", None)
    if memberships is not None:
        return next((m for m in memberships if m.end is None), None)
    return Membership.objects.current().filter(person=person).select_related("unit").first()


def latest_membership(person: Person) -> Membership | None:
    """The membership that gives the person their status (`MembershipQuerySet.latest_per_person`): the current
    one, else the one that ended last; None for a person who never had one."""
    memberships = getattr(person, "latest_memberships", None)
    if memberships is None:
        memberships = list(Membership.objects.filter(person=person).latest_per_person().select_related("unit"))
    return memberships[0] if memberships else None


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
