"""List endpoints cost a fixed number of queries, however many rows they return."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grassroots.accounts.actions import create_account
from grassroots.organizations import actions as units
from grassroots.organizations import models
from grassroots.people import actions as people
from tests.support import builders

from .conftest import ON

pytestmark = pytest.mark.django_db

# Token lookup, the caller's grants (account, posts, membership), organization (and unit or
# person), count, page, one prefetch: within this.
MAX_QUERIES = 10
MORE = 30
DAY = dt.date.fromisoformat(ON)


def _grow_units(org, tree):
    for number in range(MORE):
        builders.unit(org, "building_committee", f"Committee {number}", tree["south"])


def _grow_people(org, tree):
    builders.members(org, tree["elm"], MORE)


def _grow_events(org, tree):
    for number in range(MORE):
        units.rename_unit(unit=tree["elm"], name=f"Elm House {number}", by="test", on=DAY)


def _grow_history(org, tree):
    person = tree["elm"].memberships.get(person__name="Pat").person
    for number in range(MORE):
        to_unit = tree["oak"] if number % 2 == 0 else tree["elm"]
        people.transfer_member(person=person, to_unit=to_unit, by="test", on=DAY)


def _grow_orgs(org, tree):
    for _ in range(MORE):
        create_account(email="staff@example.org", organization=builders.organization(), is_admin=True, by="test")


LISTS = {
    "/orgs": _grow_orgs,
    "/orgs/{org}/units?limit=500": _grow_units,
    "/orgs/{org}/tree": _grow_units,
    "/orgs/{org}/units/south/subtree": _grow_units,
    "/orgs/{org}/people?limit=500": _grow_people,
    "/orgs/{org}/people?q=person": _grow_people,
    "/orgs/{org}/units/elm-house/members": _grow_people,
    "/orgs/{org}/units/elm-house/events": _grow_events,
    "/orgs/{org}/people/{pat}/memberships": _grow_history,
}


@pytest.mark.parametrize("path", LISTS)
def test_list_query_count_does_not_grow_with_rows(request, org, tree, path):
    # A token reaches one organization, so the list of organizations is read with a session.
    api = request.getfixturevalue("session_api" if path == "/orgs" else "api")
    pat = builders.person(org, "Pat")
    people.join_unit(person=pat, unit=tree["elm"], by="test", on=DAY)
    url = "/api" + path.format(org=org.slug, pat=pat.pk)

    def measure() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = api.client.get(url, headers=api.headers)
        assert response.status_code == 200, response.json()
        body = response.json()
        rows = len(body["items"] if isinstance(body, dict) else body)
        return len(queries), rows

    before, rows_before = measure()
    LISTS[path](org, tree)
    after, rows_after = measure()
    assert rows_after >= rows_before + MORE
    assert after == before
    assert after <= MAX_QUERIES


def test_people_page_with_memberships_within_bound(api, org, tree, django_assert_max_num_queries):
    builders.members(org, tree["oak"], MORE)
    with django_assert_max_num_queries(MAX_QUERIES):
        body = api.get(f"/orgs/{org.slug}/people", limit=100).json()
    assert body["count"] == 6 + MORE
    assert (
        sum(
            1
            for row in body["items"]
            if row["membership"] == {"unit": "oak-court", "status": "member", "start": "2024-01-01"}
        )
        == MORE
    )


def test_unit_list_parses_the_constitution_once(api, org, tree):
    """Labels come from one shared organization, not one parsed constitution per row."""
    for number in range(MORE):
        builders.unit(org, "building_committee", f"Committee {number}", tree["south"])
    with mock.patch.object(models, "parse_constitution", side_effect=models.parse_constitution) as parse:
        body = api.get(f"/orgs/{org.slug}/units", limit=500).json()
    assert len(body["items"]) == 6 + MORE
    assert {row["state_label"] for row in body["items"]} == {"planned", "preparing", "founded"}
    # At most once: none at all when this version was parsed before (cached per organization and version).
    assert parse.call_count <= 1


def test_a_deep_people_page_by_cursor_costs_what_the_first_does(api, org, tree, django_assert_max_num_queries):
    builders.members(org, tree["oak"], MORE)
    first = api.get(f"/orgs/{org.slug}/people", limit=5).json()
    with django_assert_max_num_queries(MAX_QUERIES):
        page = api.get(f"/orgs/{org.slug}/people", limit=5, after=first["next"]).json()
    assert len(page["items"]) == 5
    assert page["items"][0]["name"] > first["items"][-1]["name"]


def test_the_constitution_is_parsed_once_per_organization_and_version(org):
    with mock.patch.object(models, "parse_constitution", side_effect=models.parse_constitution) as parse:
        models._parsed_constitution.cache_clear()
        for _ in range(3):
            assert models.Organization.objects.get(pk=org.pk).constitution.name == "Tenants' federation"
        assert parse.call_count == 1
        changed = org.constitution_yaml.replace("name: Tenants' federation", "name: Renters' federation")
        models.Organization.objects.filter(pk=org.pk).update(constitution_yaml=changed)
        assert models.Organization.objects.get(pk=org.pk).constitution.name == "Renters' federation"
        assert parse.call_count == 2


def test_people_by_a_status_their_last_membership_ended_with_in_fixed_queries(api, org, tree):
    """The status filter over ended memberships reads them in the list's one query, with the page's
    memberships in one more: the same count for one former member as for many."""

    def measure() -> tuple[int, list[str]]:
        with CaptureQueriesContext(connection) as queries:
            body = api.get(f"/orgs/{org.slug}/people", status="resigned", limit=100).json()
        return len(queries), [row["status"] for row in body["items"]]

    builders.former_members(org, tree)
    before, statuses = measure()
    assert statuses == ["resigned"]
    for _ in range(MORE):
        builders.former_members(org, tree)
    after, statuses = measure()
    assert statuses == ["resigned"] * (MORE + 1)
    assert after == before <= MAX_QUERIES
