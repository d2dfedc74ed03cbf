"""The scene every authorization test plays in: two organizations, a focal district, and one
user for each role the access model knows, with a naive oracle of what each may see and do.

Federation F (planned)
├── North (district, the focal unit U) ── Elm House (C, founded)
├── South (district, its sibling S) ── Oak Court (founded)
└── Hall (building committee straight under F)
Elsewhere: another organization with its own district and committee.

The oracle walks parent chains by hand, so it does not share the path arithmetic it checks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from grassroots.access import Right
from grassroots.accounts.actions import create_account, create_api_token
from grassroots.organizations import actions as units
from grassroots.organizations.models import Organization, Unit
from grassroots.people.actions import record_consent
from grassroots.people.models import Person
from tests.support import builders

SECRETARY = frozenset(str(right) for right in Right) - {Right.VIEW_UNITS}
ROLES = [
    "anonymous",
    "deactivated",
    "member",
    "officer of the unit",
    "officer of the parent",
    "officer of a sibling",
    "officer whose post ended",
    "officer elsewhere",
    "administrator",
]


@dataclass
class Actor:
    role: str
    user: object | None = None
    person: Person | None = None
    admin_of: Organization | None = None
    posts: list[tuple[Unit, frozenset[str]]] = field(default_factory=list)
    member_unit: Unit | None = None
    token: str | None = None


def _within(unit: Unit, root: Unit) -> bool:
    walker: Unit | None = unit
    while walker is not None:
        if walker.pk == root.pk:
            return True
        walker = Unit.objects.get(pk=walker.parent_id) if walker.parent_id else None
    return False


@dataclass
class Scene:
    org: Organization
    other: Organization
    units: dict[str, Unit]
    people: dict[str, Person]
    actors: dict[str, Actor]
    runs: dict[str, object] = field(default_factory=dict)  # import runs, by the role that asked for them

    # The oracle: what each actor may see and do, by walking the tree by hand.

    def sees_organization(self, actor: Actor, organization: Organization) -> bool:
        if actor.admin_of is not None:
            return actor.admin_of.pk == organization.pk
        in_it = [unit for unit, _ in actor.posts] + ([actor.member_unit] if actor.member_unit else [])
        return any(unit.organization_id == organization.pk for unit in in_it)

    def holds(self, actor: Actor, right: str, unit: Unit | None) -> bool:
        """`right` over `unit`; `unit=None` asks for the whole organization."""
        organization_id = unit.organization_id if unit else self.org.pk
        if actor.admin_of is not None and actor.admin_of.pk == organization_id:
            return True
        if unit is None:
            return False
        return any(right in rights and _within(unit, root) for root, rights in actor.posts)

    def holds_anywhere(self, actor: Actor, right: str, organization: Organization) -> bool:
        if actor.admin_of is not None:
            return actor.admin_of.pk == organization.pk
        return any(right in rights and root.organization_id == organization.pk for root, rights in actor.posts)

    def sees_unit(self, actor: Actor, unit: Unit) -> bool:
        if actor.member_unit is not None and actor.member_unit.pk == unit.pk:
            return True
        return self.holds(actor, Right.VIEW_UNITS, unit) or any(_within(unit, root) for root, _ in actor.posts)

    def sees_run(self, actor: Actor, run) -> bool:
        """An organization's administrators see its imports; whoever may import sees their own."""
        if actor.admin_of is not None:
            return actor.admin_of.pk == run.organization_id
        mine = actor.user is not None and run.requested_by_id == actor.user.pk
        return mine and self.holds_anywhere(actor, Right.IMPORT_EXPORT, run.organization)

    def sees_person(self, actor: Actor, person: Person) -> bool:
        if actor.person is not None and actor.person.pk == person.pk:
            return True
        return self.holds(actor, Right.VIEW_PEOPLE, self.unit_of(person))

    def unit_of(self, person: Person) -> Unit:
        return person.memberships.get(end__isnull=True).unit


def build_scene() -> Scene:
    today = dt.date.today()
    earlier = builders.START + dt.timedelta(days=40)
    org = builders.organization()
    federation = builders.unit(org, "federation", "Federation")
    north = builders.unit(org, "district", "North", federation)
    south = builders.unit(org, "district", "South", federation)
    elm = builders.founded_basic_unit(org, "Elm House", north)
    oak = builders.founded_basic_unit(org, "Oak Court", south)
    hall = builders.founded_basic_unit(org, "Hall", federation)
    other = builders.organization()
    other_top = builders.unit(other, "federation", "Other Federation")
    other_district = builders.unit(other, "district", "Other District", other_top)
    other_committee = builders.founded_basic_unit(other, "Other Committee", other_district)

    def member_of(unit: Unit, name: str) -> Person:
        (person,) = builders.members(unit.organization, unit, 1)
        person.name = name
        person.save(update_fields=["name"])
        return person

    people = {
        "member": member_of(elm, "Mia Member"),
        "officer of the unit": member_of(elm, "Uma Unit"),
        "officer of the parent": member_of(hall, "Pat Parent"),
        "officer of a sibling": member_of(oak, "Sam Sibling"),
        "officer whose post ended": member_of(elm, "Eli Ended"),
        "officer elsewhere": member_of(other_committee, "Ola Other"),
        "in south": member_of(oak, "Sid South"),
        "in hall": member_of(hall, "Hal Hall"),
        "in other": member_of(other_committee, "Oscar Other"),
        "treasurer of elm": member_of(elm, "Tess Treasurer"),
    }
    units.assign_post(unit=north, person=people["officer whose post ended"], post="secretary", by="t", on=earlier)
    units.assign_post(unit=north, person=people["officer of the unit"], post="secretary", by="t", on=today)
    units.assign_post(unit=federation, person=people["officer of the parent"], post="secretary", by="t", on=today)
    units.assign_post(unit=south, person=people["officer of a sibling"], post="secretary", by="t", on=today)
    units.assign_post(unit=other_district, person=people["officer elsewhere"], post="secretary", by="t", on=today)
    units.assign_post(unit=elm, person=people["treasurer of elm"], post="treasurer", by="t", on=today)
    for person in people.values():
        record_consent(person=person, purpose="email bulletins", policy_version="2026-1", by="t")

    actors = {"anonymous": Actor("anonymous")}
    for role, organization, person, posts, member_unit in [
        ("member", org, people["member"], [], elm),
        ("officer of the unit", org, people["officer of the unit"], [(north, SECRETARY)], elm),
        ("officer of the parent", org, people["officer of the parent"], [(federation, SECRETARY)], hall),
        ("officer of a sibling", org, people["officer of a sibling"], [(south, SECRETARY)], oak),
        ("officer whose post ended", org, people["officer whose post ended"], [], elm),
        ("officer elsewhere", other, people["officer elsewhere"], [(other_district, SECRETARY)], other_committee),
    ]:
        account = create_account(
            email=f"{role.replace(' ', '-')}@example.org", organization=organization, person=person, by="t"
        )
        _record, token = create_api_token(user=account.user, organization=organization, by="t")
        actors[role] = Actor(role, account.user, person, None, posts, member_unit, token)
    admin = create_account(email="admin@example.org", organization=org, is_admin=True, by="t")
    _record, admin_token = create_api_token(user=admin.user, organization=org, by="t")
    actors["administrator"] = Actor("administrator", admin.user, admin_of=org, token=admin_token)
    gone = create_account(email="gone@example.org", organization=org, is_admin=True, by="t")
    _record, gone_token = create_api_token(user=gone.user, organization=org, by="t")
    get_user_model().objects.filter(pk=gone.user.pk).update(is_active=False)
    actors["deactivated"] = Actor("deactivated", gone.user, token=gone_token)
    scene = Scene(
        org=org,
        other=other,
        units={
            "own unit": north,
            "child unit": elm,
            "parent unit": federation,
            "sibling unit": south,
            "unit in another organization": other_district,
            "oak": oak,
            "hall": hall,
            "other committee": other_committee,
        },
        people=people,
        actors=actors,
    )
    for role in ("administrator", "officer of the unit", "officer whose post ended", "member", "officer elsewhere"):
        scene.runs[role] = _finished_run(actors[role].user, other if role == "officer elsewhere" else org)
    return scene


def _finished_run(user, organization: Organization):
    """A finished import asked for by `user`, with its errors file (under settings.IMPORTS_DIR)."""
    from pathlib import Path

    from django.conf import settings
    from django.utils import timezone

    from grassroots.imports.models import ImportRun

    run = ImportRun.objects.create(
        organization=organization,
        actor_label=user.get_username(),
        requested_by=user,
        file_name="members.csv",
        sha256="0" * 64,
        state=ImportRun.State.DONE,
        started_at=timezone.now(),
        finished_at=timezone.now(),
        columns=[["name", "name"], ["unit", "unit"]],
    )
    run.errors_file = f"errors/{run.pk}.csv"
    run.save(update_fields=["errors_file"])
    path = Path(settings.IMPORTS_DIR) / run.errors_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("line,column,value,reason\n2,unit,nowhere,no such unit\n", encoding="utf-8")
    return run
