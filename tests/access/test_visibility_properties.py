"""Property test: for random trees and random grants, what each user sees through the list
endpoints (units, tree, people, each unit's members) and the members export equals a naive walk
of the subtrees their posts cover (plus their own record and unit).
"""

from __future__ import annotations

import contextlib
import csv
import itertools

from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grassroots.accounts.actions import create_account, create_api_token
from grassroots.errors import ActionRefused
from grassroots.imports.actions import export_members
from grassroots.organizations import actions as units
from grassroots.organizations.models import OfficerPost
from grassroots.people.models import Person
from tests.support import builders

POSTS = {"secretary": True, "organizer": True, "treasurer": True}  # all three may view people here
counter = itertools.count()


@st.composite
def scenarios(draw):
    districts = draw(st.integers(1, 3))
    committees = draw(st.lists(st.integers(0, districts - 1), min_size=1, max_size=6))
    people = draw(st.lists(st.integers(0, len(committees) - 1), min_size=1, max_size=10))
    place = st.one_of(
        st.tuples(st.just("top"), st.just(0)),
        st.tuples(st.just("district"), st.integers(0, districts - 1)),
        st.tuples(st.just("committee"), st.integers(0, len(committees) - 1)),
    )
    grants = st.tuples(
        st.booleans(),  # administrator
        st.lists(st.tuples(place, st.sampled_from(sorted(POSTS))), max_size=3, unique_by=lambda g: g[0]),
        st.integers(0, len(people) - 1),  # which person the user is
    )
    return districts, committees, people, draw(st.lists(grants, min_size=1, max_size=3))


def listed(client: Client, token: str, path: str) -> list[dict]:
    response = client.get(f"/api{path}", {"limit": 500}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.content
    return response.json()["items"]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenario=scenarios())
def test_what_each_user_lists_is_a_naive_walk_of_their_subtrees(db, tmp_path, scenario):
    districts_count, committee_parents, person_places, grant_specs = scenario
    with transaction.atomic():
        org = builders.organization()
        top = builders.unit(org, "federation", "Top")
        districts = [builders.unit(org, "district", f"District {i}", top) for i in range(districts_count)]
        committees = [
            builders.unit(org, "building_committee", f"Committee {i}", districts[parent], state="preparing")
            for i, parent in enumerate(committee_parents)
        ]
        people = [builders.members(org, committees[where], 1)[0] for where in person_places]
        parent_of = {top.pk: None} | {d.pk: top.pk for d in districts}
        parent_of |= {c.pk: districts[p].pk for c, p in zip(committees, committee_parents, strict=True)}
        unit_of_person = {p.pk: committees[where].pk for p, where in zip(people, person_places, strict=True)}
        every_unit = {top.pk, *parent_of}

        def within(unit_pk, root_pk) -> bool:
            while unit_pk is not None:
                if unit_pk == root_pk:
                    return True
                unit_pk = parent_of[unit_pk]
            return False

        client = Client()
        for is_admin, posts, who in grant_specs:
            person = people[who]
            account = create_account(
                email=f"user{next(counter)}@example.org", organization=org, person=person, is_admin=is_admin, by="t"
            )
            for (level, index), post in posts:
                root = {"top": top, "district": districts[index % len(districts)], "committee": None}[level]
                root = root or committees[index % len(committees)]
                if not OfficerPost.objects.filter(unit=root, post=post, end__isnull=True).exists():
                    # Refused when the person is not a member under that unit: then no grant.
                    with contextlib.suppress(ActionRefused):
                        units.assign_post(unit=root, person=person, post=post, by="t")
            # Two users may be the same person: their grants are that person's posts, whoever made them.
            roots = list(OfficerPost.objects.filter(person=person, end__isnull=True).values_list("unit_id", flat=True))
            _record, token = create_api_token(user=account.user, organization=org, by="t")

            if is_admin:
                want_units, want_people = every_unit, {p.pk for p in Person.objects.filter(organization=org)}
            else:
                want_units = {u for u in every_unit if any(within(u, r) for r in roots)} | {unit_of_person[person.pk]}
                want_people = {p for p, u in unit_of_person.items() if any(within(u, r) for r in roots)} | {person.pk}
            slugs = {row["slug"] for row in listed(client, token, f"/orgs/{org.slug}/units")}
            assert slugs == set(org.units.filter(pk__in=want_units).values_list("slug", flat=True))
            tree = {row["slug"] for row in listed_tree(client, token, org.slug)}
            assert tree == slugs
            ids = {row["id"] for row in listed(client, token, f"/orgs/{org.slug}/people")}
            assert ids == want_people
            # Each unit's member list: everyone there where the user may see people, else only themselves.
            for unit in org.units.filter(pk__in=want_units, kind="building_committee"):
                members = {
                    row["person"]["id"] for row in listed(client, token, f"/orgs/{org.slug}/units/{unit.slug}/members")
                }
                there = {p for p, u in unit_of_person.items() if u == unit.pk}
                assert members == (there if is_admin or any(within(unit.pk, r) for r in roots) else there & {person.pk})
            # The members export: people under a post that grants import and export (the secretary's), and
            # their own record.
            exporting = set(
                OfficerPost.objects.filter(person=person, end__isnull=True, post="secretary").values_list(
                    "unit_id", flat=True
                )
            )
            want_exported = {p for p, u in unit_of_person.items() if is_admin or any(within(u, r) for r in exporting)}
            target = tmp_path / f"export-{account.pk}.csv"
            export_members(organization=org, by=account.user, path=target)
            with target.open(newline="", encoding="utf-8-sig") as handle:
                exported = {row["name"] for row in csv.DictReader(handle)}
            assert exported == set(
                Person.objects.filter(pk__in=want_exported | {person.pk}).values_list("name", flat=True)
            )
        transaction.set_rollback(True)


def listed_tree(client: Client, token: str, org_slug: str) -> list[dict]:
    response = client.get(f"/api/orgs/{org_slug}/tree", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.content
    return response.json()
