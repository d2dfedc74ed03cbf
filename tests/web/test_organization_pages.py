"""The home page, and an organization's page: its tree, as of a day, and the readiness of its top."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from grassroots.accounts.actions import create_account
from grassroots.organizations import actions, selectors
from tests.support import builders
from tests.support.html import text
from tests.support.sessions import sign_in


def test_home_goes_straight_to_the_dashboard_of_the_only_organization(staff_client, org):
    response = staff_client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard", kwargs={"org": org.slug})


def test_home_lists_the_organizations_when_there_are_several(staff_client, org):
    create_account(
        email="staff@example.org", organization=builders.organization(slug="riverside"), is_admin=True, by="t"
    )
    builders.organization(slug="not-theirs")
    response = staff_client.get(reverse("home"))
    assert response.status_code == 200
    assert {o.slug for o in response.context["organizations"]} == {org.slug, "riverside"}
    assert f'href="{reverse("organization", kwargs={"org": "riverside"})}"' in response.content.decode()


def test_sign_in_lands_on_home(client, staff):
    response = client.post(reverse("login"), {"username": staff.username, "password": "pw-staff-1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_tree_shows_each_unit_with_kind_state_and_members(staff_client, org, tree):
    response = staff_client.get(reverse("organization", kwargs={"org": org.slug}))
    assert response.status_code == 200
    assert text(response, "unit-federation") == "Federation Federation planned 6"
    assert text(response, "unit-north") == "North District committee planned 6"
    assert text(response, "unit-elm-house") == "Elm House Building committee founded 3"
    assert text(response, "unit-oak-court") == "Oak Court Building committee founded 3"
    assert text(response, "unit-south") == "South District committee planned 0"
    assert text(response, "unit-ash-tower") == "Ash Tower Building committee preparing 0"
    body = response.content.decode()
    # Tree order, indented by depth.
    assert (
        body.index("unit-federation")
        < body.index("unit-north")
        < body.index("unit-elm-house")
        < body.index("unit-south")
    )
    assert f'class="depth-2"><a href="/o/{org.slug}/u/elm-house/">' in body


def test_readiness_of_the_top_at_a_glance(staff_client, org, tree):
    response = staff_client.get(reverse("organization", kwargs={"org": org.slug}))
    glance = text(response, "main")
    assert "Federation planned Not ready: 3 of 3 founding rules fail." in glance
    assert (
        "Constituted district committees no at least 3 constituted district committees 0 constituted of 2 "
        "3 more constituted district committees (not yet constituted: North, South)"
    ) in glance
    assert "Members in its subtree no at least 250 members 6 members 244 more members" in glance
    assert "Secretary no a secretary no secretary appoint a secretary" in glance


def test_a_constituted_district_reads_constituted_and_its_committees_founded(staff_client, org, tree):
    secretary = builders.district_ready_to_constitute(org, tree["north"])
    actions.found_unit(unit=tree["north"], by="test", officers={"secretary": secretary})

    response = staff_client.get(reverse("organization", kwargs={"org": org.slug}))
    assert text(response, "unit-north") == "North District committee constituted 40"
    assert text(response, "unit-elm-house") == "Elm House Building committee founded 34"
    assert "2 more constituted district committees (not yet constituted: South)" in text(response, "main")


def test_tree_as_of_a_past_day(staff_client, org, tree):
    url = reverse("organization", kwargs={"org": org.slug})
    # Between the committees' preparation (1 Jan 2024) and their founding (31 Jan 2024).
    response = staff_client.get(url, {"as_of": "2024-01-15"})
    assert response.context["as_of"] == dt.date(2024, 1, 15)
    assert "Tree as of 15 Jan 2024" in text(response, "main")
    assert text(response, "unit-elm-house") == "Elm House Building committee preparing 0"
    assert text(response, "unit-north") == "North District committee planned 0"

    before = staff_client.get(url, {"as_of": "2023-12-31"})
    assert "No units on that day." in text(before, "main")


def test_a_bad_as_of_date_says_so_and_shows_today(staff_client, org, tree):
    response = staff_client.get(reverse("organization", kwargs={"org": org.slug}), {"as_of": "2024-02-30"})
    assert response.status_code == 200
    assert "“2024-02-30” is not a date (write it as YYYY-MM-DD); this is today's tree." in text(response, "main")
    assert text(response, "unit-elm-house") == "Elm House Building committee founded 3"


def test_organization_page_links_to_adding_units_and_people(staff_client, org):
    body = staff_client.get(reverse("organization", kwargs={"org": org.slug})).content.decode()
    for name in ("unit_add", "people", "person_add"):
        assert f'href="{reverse(name, kwargs={"org": org.slug})}"' in body


# Session, user, its second-factor device, the user's account (two-factor policy, then grants),
# organization, the tree (units per level, the shown units, their rows, their subtree members),
# the top units, and the queries of one top unit's readiness (its subtree's members are its
# tree row's): the same however many units and members there are.
TREE_PAGE_QUERIES = 14


@pytest.mark.parametrize("extra_committees", [0, 12])
def test_tree_page_queries_do_not_grow_with_the_tree(
    staff_client, org, tree, extra_committees, django_assert_max_num_queries
):
    for number in range(extra_committees):
        builders.founded_basic_unit(org, f"Committee {number}", tree["south"], size=4)
    with django_assert_max_num_queries(TREE_PAGE_QUERIES):
        response = staff_client.get(reverse("organization", kwargs={"org": org.slug}))
    assert len(response.context["tree"]) == 6 + extra_committees


def test_a_district_secretarys_tree_shows_her_district_its_readiness_and_her_units(client, org, tree):
    secretary = builders.officer(org, tree["north"], "secretary", "sec@example.org", member_of=tree["elm"])
    response = sign_in(client, secretary).get(reverse("organization", kwargs={"org": org.slug}))
    top = text(response, "top")
    assert "No units yet" not in top
    assert top.startswith("Readiness North planned Not ready: 3 of 4 founding rules fail.")
    assert "at least 3 founded building committees 2 founded of 2 1 more founded building committee" in top
    assert "Federation" not in top and "South" not in top
    assert text(response, "unit-elm-house").startswith("Elm House Building committee founded")
    assert text(response, "unit-oak-court").startswith("Oak Court Building committee founded")


def test_the_tree_as_of_a_past_day_says_its_readiness_is_todays(staff_client, org, tree):
    url = reverse("organization", kwargs={"org": org.slug})
    response = staff_client.get(url, {"as_of": "2024-01-15"})
    assert text(response, "top-heading") == "Readiness today"
    assert text(response, "readiness-today") == (
        "The founding rules below are checked as things stand today, not as of 15 Jan 2024; "
        "the tree further down is as of that day."
    )
    today = staff_client.get(url)
    assert text(today, "top-heading") == "Readiness" and 'id="readiness-today"' not in today.content.decode()


def test_a_large_tree_opens_on_its_first_levels_and_opens_a_unit_on_demand(staff_client, org, tree, monkeypatch):
    monkeypatch.setattr(selectors, "TREE_PAGE_ROWS", 3)  # the federation and its two districts fit, not more
    response = staff_client.get(reverse("organization", kwargs={"org": org.slug}))
    assert [row.slug for row, *_row in response.context["tree"]] == ["federation", "north", "south"]
    assert "The first levels of the tree; open a unit to see the units under it." in text(response, "main")
    body = response.content.decode()
    opener = f'hx-get="/o/{org.slug}/u/north/tree/?depth=2"'
    assert opener in body
    assert 'hx-get="/o/{org.slug}/u/federation/tree/' not in body  # already open
    rows = staff_client.get(f"/o/{org.slug}/u/north/tree/", {"depth": 2}, headers={"HX-Request": "true"})
    assert text(rows, "unit-elm-house") == "Elm House Building committee founded 3"
    assert text(rows, "unit-oak-court") == "Oak Court Building committee founded 3"
    assert 'class="depth-2"' in rows.content.decode()
    assert "<html" not in rows.content.decode()


def test_find_units_by_name_kind_and_state(staff_client, org, tree):
    url = reverse("organization", kwargs={"org": org.slug})
    by_name = staff_client.get(url, {"name": "court"})
    assert [row.slug for row, *_row in by_name.context["tree"]] == ["oak-court"]
    assert "1 unit found." in text(by_name, "main")
    founded = staff_client.get(url, {"kind": "building_committee", "state": "founded"})
    assert {row.slug for row, *_row in founded.context["tree"]} == {"elm-house", "oak-court"}
    assert staff_client.get(url, {"name": "nowhere"}).context["tree"] == []
    assert "No units match." in text(staff_client.get(url, {"name": "nowhere"}), "main")


def test_a_district_secretary_sees_the_tree_from_the_district(client, org, tree):
    secretary = builders.officer(org, tree["elm"], "secretary", "sec@example.org")
    actions.assign_post(unit=tree["north"], person=secretary.person, post="secretary", by="test")
    response = sign_in(client, secretary).get(reverse("organization", kwargs={"org": org.slug}))
    rows = [(row.slug, row.depth) for row, *_row in response.context["tree"]]
    assert rows == [("north", 0), ("elm-house", 1), ("oak-court", 1)]


def test_opening_a_unit_in_the_tree_costs_fixed_queries(staff_client, org, tree, django_assert_max_num_queries):
    def measure() -> int:
        with django_assert_max_num_queries(9) as captured:
            assert staff_client.get(f"/o/{org.slug}/u/north/tree/", {"depth": 1}).status_code == 200
        return len(captured)

    before = measure()
    for number in range(8):
        builders.founded_basic_unit(org, f"Committee {number}", tree["north"], size=3)
    assert measure() == before
