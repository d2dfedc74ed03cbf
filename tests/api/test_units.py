"""Organizations, units, their lifecycle and founding rules through the REST API."""

from __future__ import annotations

import datetime as dt

import pytest

from grassroots.organizations.models import OfficerPost, Unit
from grassroots.organizations.selectors import readiness_of
from grassroots.people.models import Membership
from tests.support import builders

from .conftest import ON

pytestmark = pytest.mark.django_db

FEDERATION = ["federation", "north", "elm-house", "oak-court", "south", "ash-tower"]


def test_organizations_list_and_constitution_summary(api, org):
    listed = api.get("/orgs")
    assert listed.status_code == 200
    assert listed.json() == {"items": [{"slug": org.slug, "name": org.name}], "count": 1}

    detail = api.get(f"/orgs/{org.slug}").json()
    constitution = detail["constitution"]
    assert detail["slug"] == org.slug
    assert constitution["name"] == "Tenants' federation"
    assert constitution["unit_kinds"][0] == {
        "kind": "building_committee",
        "label": "Building committee",
        "body_label": None,
        "basic": True,
        "parents": ["district", "federation"],
    }
    assert [kind["kind"] for kind in constitution["unit_kinds"]] == ["building_committee", "district", "federation"]
    assert constitution["officer_posts"] == ["secretary", "organizer", "treasurer"]
    assert constitution["member_statuses"]["initial"] == "supporter"
    assert constitution["member_statuses"]["counted"] == ["candidate", "member"]
    assert constitution["member_statuses"]["transitions"]["member"] == ["lapsed", "resigned"]
    assert constitution["max_members_per_basic_unit"] == 60


def test_created_unit_is_planned_and_listed(api, org, tree):
    response = api.post(
        f"/orgs/{org.slug}/units", {"kind": "building_committee", "name": "Birch Row", "parent": "south", "on": ON}
    )
    assert response.status_code == 201
    created = response.json()
    assert created["slug"] == "birch-row"
    assert created["state"] == "planned"
    assert created["parent"] == "south"
    assert created["created_on"] == ON
    assert created["founded_on"] is None
    assert created["members"] == 0
    assert created["posts"] == []

    listed = api.get(f"/orgs/{org.slug}/units", state="planned").json()
    assert {"slug": "birch-row", "state": "planned", "parent": "south"}.items() <= next(
        row for row in listed["items"] if row["slug"] == "birch-row"
    ).items()
    assert sorted(row["slug"] for row in listed["items"]) == ["birch-row", "federation", "north", "south"]
    assert listed["count"] == 4


def test_unit_list_filters_by_kind_and_paginates(api, org, tree):
    committees = api.get(f"/orgs/{org.slug}/units", kind="building_committee").json()
    assert sorted(row["slug"] for row in committees["items"]) == ["ash-tower", "elm-house", "oak-court"]
    # A kind the constitution does not have is refused naming `kind` and listing the kinds.
    refused = api.get(f"/orgs/{org.slug}/units", kind="district ")
    assert refused.status_code == 422
    kinds = ", ".join(org.constitution.unit_kinds)
    assert refused.json()["detail"] == f"kind: 'district ' is not one of {kinds}"

    everything = api.get(f"/orgs/{org.slug}/units").json()
    page = api.get(f"/orgs/{org.slug}/units", limit=2, offset=2).json()
    assert everything["count"] == page["count"] == 6
    assert page["items"] == everything["items"][2:4]
    # Path order: every parent comes before its children.
    seen = set()
    for row in everything["items"]:
        assert row["parent"] is None or row["parent"] in seen
        seen.add(row["slug"])

    assert api.get(f"/orgs/{org.slug}/units", state="sleeping").status_code == 422


def test_unit_detail(api, org, tree):
    elm = api.get(f"/orgs/{org.slug}/units/elm-house").json()
    holding = tree["elm"].posts.get(post="secretary")
    secretary = holding.person
    assert elm == {
        "slug": "elm-house",
        "name": "Elm House",
        "kind": "building_committee",
        "kind_label": "Building committee",
        "state": "founded",
        "state_label": "founded",
        "parent": "north",
        "created_on": "2024-01-01",
        "founded_on": "2024-01-31",
        "members": 3,
        "posts": [
            {
                "id": holding.pk,
                "post": "secretary",
                "person": {"id": secretary.pk, "name": secretary.name},
                "start": "2024-01-31",
            }
        ],
    }
    north = api.get(f"/orgs/{org.slug}/units/north").json()
    assert north["members"] == 6
    assert north["state_label"] == "planned"


def test_subtree_and_tree(api, org, tree):
    subtree = api.get(f"/orgs/{org.slug}/units/north/subtree")
    assert subtree.status_code == 200
    assert subtree.json() == [
        {
            "slug": "north",
            "name": "North",
            "kind": "district",
            "state": "planned",
            "state_label": "planned",
            "parent": "federation",
            "members": 6,
            "depth": 0,
        },
        {
            "slug": "elm-house",
            "name": "Elm House",
            "kind": "building_committee",
            "state": "founded",
            "state_label": "founded",
            "parent": "north",
            "members": 3,
            "depth": 1,
        },
        {
            "slug": "oak-court",
            "name": "Oak Court",
            "kind": "building_committee",
            "state": "founded",
            "state_label": "founded",
            "parent": "north",
            "members": 3,
            "depth": 1,
        },
    ]

    rows = api.get(f"/orgs/{org.slug}/tree").json()
    assert [row["slug"] for row in rows] == FEDERATION
    assert rows[0] == {
        "slug": "federation",
        "name": "Federation",
        "kind": "federation",
        "state": "planned",
        "parent": None,
        "members": 6,
    }
    # The subtree agrees with the whole tree for every unit in it.
    by_slug = {row["slug"]: row for row in rows}
    for row in subtree.json():
        assert by_slug[row["slug"]]["members"] == row["members"]


def test_tree_as_of_a_past_day(api, org, tree):
    api.post(f"/orgs/{org.slug}/units/elm-house/rename", {"name": "Elm Tenants", "on": ON})
    before = {row["slug"]: row for row in api.get(f"/orgs/{org.slug}/tree", as_of="2024-01-15").json()}
    assert before["elm-house"]["state"] == "preparing"
    assert before["elm-house"]["name"] == "Elm House"
    assert before["elm-house"]["members"] == 0  # the founding members joined on 2024-01-31
    now = {row["slug"]: row for row in api.get(f"/orgs/{org.slug}/tree").json()}
    assert now["elm-house"]["name"] == "Elm Tenants"
    assert api.get(f"/orgs/{org.slug}/tree", as_of="15/01/2024").status_code == 422


def test_readiness_shape_is_exact(api, org, tree):
    response = api.get(f"/orgs/{org.slug}/units/ash-tower/readiness")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"unit", "ready", "rules"}
    assert body["unit"] == "ash-tower"
    assert body["ready"] is False
    assert body["rules"] == [
        {
            "rule": "founding_members",
            "required": "at least 3 founding members",
            "actual": "0 founding members",
            "passed": False,
            "missing": "3 more founding members",
        },
        {
            "rule": "officer: secretary",
            "required": "a secretary",
            "actual": "no secretary",
            "passed": False,
            "missing": "appoint a secretary",
        },
        {
            "rule": "founding_meeting",
            "required": "a founding meeting",
            "actual": "not held",
            "passed": False,
            "missing": "hold the founding meeting (recorded when the unit is founded)",
        },
    ]


def test_readiness_matches_the_selector(api, staff, org, tree):
    body = api.get(f"/orgs/{org.slug}/units/north/readiness").json()
    assert body == readiness_of(staff, tree["north"]).as_dict()
    assert [rule["passed"] for rule in body["rules"]] == [False, False, False, False]


def test_found_refused_lists_every_failed_rule_and_changes_nothing(api, org, tree):
    response = api.post(f"/orgs/{org.slug}/units/ash-tower/found", {"on": ON, "minutes": "too few of us"})
    assert response.status_code == 409
    body = response.json()
    assert body["reasons"] == [
        "Founding members: needs at least 3 founding members, has 0 founding members",
        "Secretary: needs a secretary, has no secretary",
    ]
    assert body["detail"] == "cannot found Ash Tower: " + "; ".join(body["reasons"])
    assert body["field"] is None
    assert api.get(f"/orgs/{org.slug}/units/ash-tower").json()["state"] == "preparing"
    assert not tree["ash"].meetings.exists()


def test_constituting_a_district_without_its_base_is_refused(api, org, tree):
    response = api.post(f"/orgs/{org.slug}/units/north/found", {"on": ON})
    assert response.status_code == 409
    reasons = response.json()["reasons"]
    assert len(reasons) == 4
    assert reasons[0].startswith("Founded building committees: needs at least 3 founded building committees")
    assert reasons[1] == (
        "Consolidated building committees: needs at least 2 consolidated building committees, "
        "has 0 consolidated of 2 founded"
    )
    assert reasons[2] == "Members in its subtree: needs at least 40 members, has 6 members"
    assert reasons[3] == "Secretary: needs a secretary, has no secretary"
    assert api.get(f"/orgs/{org.slug}/units/north").json()["state"] == "planned"


def test_found_succeeds_when_the_rules_hold(api, org, tree):
    core = [api.post(f"/orgs/{org.slug}/people", {"name": name}).json()["id"] for name in ("Ann", "Bo", "Cy")]
    response = api.post(
        f"/orgs/{org.slug}/units/ash-tower/found",
        {"on": ON, "founding_members": core, "officers": {"secretary": core[1]}, "minutes": "We met."},
    )
    assert response.status_code == 200, response.json()
    unit = response.json()
    assert unit["state"] == "founded"
    assert unit["founded_on"] == ON
    assert unit["members"] == 3
    holding = OfficerPost.objects.get(unit__slug="ash-tower", post="secretary")
    assert unit["posts"] == [
        {"id": holding.pk, "post": "secretary", "person": {"id": core[1], "name": "Bo"}, "start": ON}
    ]

    readiness = api.get(f"/orgs/{org.slug}/units/ash-tower/readiness").json()
    assert readiness["ready"] is True
    assert all(rule["passed"] for rule in readiness["rules"])
    members = api.get(f"/orgs/{org.slug}/units/ash-tower/members").json()
    assert [row["person"]["name"] for row in members["items"]] == ["Ann", "Bo", "Cy"]
    assert {row["status"] for row in members["items"]} == {"member"}


def test_found_with_people_not_in_the_organization_is_refused_naming_the_field(api, org, tree):
    stranger = builders.person(builders.organization(), "Stranger")
    response = api.post(
        f"/orgs/{org.slug}/units/ash-tower/found", {"founding_members": [stranger.pk, 999999], "on": ON}
    )
    assert response.status_code == 409
    body = response.json()
    assert body["field"] == "founding_members"
    assert str(stranger.pk) in body["detail"] and "999999" in body["detail"]

    response = api.post(f"/orgs/{org.slug}/units/ash-tower/found", {"officers": {"secretary": stranger.pk}})
    assert response.status_code == 409
    assert response.json()["field"] == "officers"


def test_lifecycle_transitions_return_the_unit(api, org, tree):
    base = f"/orgs/{org.slug}/units"
    birch = api.post(base, {"kind": "building_committee", "name": "Birch", "parent": "south", "on": "2024-02-01"})
    assert birch.status_code == 201

    prepared = api.post(f"{base}/birch/prepare", {"on": "2024-02-02"})
    assert prepared.status_code == 200
    assert prepared.json()["state"] == "preparing"

    dormant = api.post(f"{base}/elm-house/dormant", {"on": ON})
    assert (dormant.status_code, dormant.json()["state"]) == (200, "dormant")
    again = api.post(f"{base}/elm-house/dormant", {"on": ON})
    assert again.status_code == 409
    assert again.json()["field"] == "state"

    dissolved = api.post(f"{base}/birch/dissolve", {"on": ON})
    assert (dissolved.status_code, dissolved.json()["state"]) == (200, "dissolved")

    refused = api.post(f"{base}/south/dissolve", {"on": ON})
    assert refused.status_code == 409
    assert refused.json()["reasons"] == ["its child units are not dissolved: Ash Tower"]
    assert Unit.objects.get(slug="south", organization=org).state == "planned"


def test_a_transition_with_no_body_happens_today(api, org, tree):
    response = api.client.post(
        f"/api/orgs/{org.slug}/units/north/prepare", "", content_type="application/json", headers=api.headers
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "preparing"
    assert tree["north"].events.latest("id").on == dt.date.today()


def test_rename_and_move(api, org, tree):
    base = f"/orgs/{org.slug}/units"
    renamed = api.post(f"{base}/oak-court/rename", {"name": "Oak Court Tenants", "on": ON}).json()
    assert (renamed["slug"], renamed["name"]) == ("oak-court", "Oak Court Tenants")

    moved = api.post(f"{base}/oak-court/move", {"parent": "south", "on": ON})
    assert moved.status_code == 200
    assert moved.json()["parent"] == "south"
    assert api.get(f"{base}/south").json()["members"] == 3
    assert api.get(f"{base}/north").json()["members"] == 3

    top = api.post(f"{base}/south/move", {"parent": None, "on": ON})
    assert top.status_code == 409  # a district cannot stand at the top
    assert top.json()["field"] == "parent"
    assert api.post(f"{base}/south/move", {"on": ON}).status_code == 422  # parent is required, even if null

    unknown = api.post(f"{base}/oak-court/move", {"parent": "atlantis", "on": ON})
    assert unknown.status_code == 409
    assert unknown.json() == {"detail": f"parent: no unit 'atlantis' in {org.slug}", "reasons": [], "field": "parent"}


def test_unit_events_are_the_history_latest_first(api, org, tree):
    api.post(f"/orgs/{org.slug}/units/oak-court/rename", {"name": "Oak Court Tenants", "on": ON})
    events = api.get(f"/orgs/{org.slug}/units/oak-court/events").json()
    assert events["count"] == 4
    assert [(event["kind"], event["on"], event["state"]) for event in events["items"]] == [
        ("renamed", ON, "founded"),
        ("founded", "2024-01-31", "founded"),
        ("preparing", "2024-01-01", "preparing"),
        ("created", "2024-01-01", "planned"),
    ]
    assert events["items"][0]["name"] == "Oak Court Tenants"
    assert events["items"][0]["parent"] == "north"


def test_assign_post(api, org, tree):
    member = Membership.objects.filter(unit=tree["elm"]).exclude(person__posts__post="secretary").first().person
    response = api.post(f"/orgs/{org.slug}/units/elm-house/posts", {"person": member.pk, "post": "organizer", "on": ON})
    assert response.status_code == 201
    assert response.json() == {
        "id": OfficerPost.objects.get(unit=tree["elm"], post="organizer").pk,
        "unit": "elm-house",
        "post": "organizer",
        "person": {"id": member.pk, "name": member.name},
        "start": ON,
        "end": None,
    }
    posts = api.get(f"/orgs/{org.slug}/units/elm-house").json()["posts"]
    assert [post["post"] for post in posts] == ["organizer", "secretary"]

    outsider = builders.person(org, "Not A Member")
    refused = api.post(f"/orgs/{org.slug}/units/elm-house/posts", {"person": outsider.pk, "post": "treasurer"})
    assert refused.status_code == 409
    assert refused.json()["field"] == "person"
    bad_post = api.post(f"/orgs/{org.slug}/units/elm-house/posts", {"person": member.pk, "post": "king"})
    assert bad_post.status_code == 409
    assert bad_post.json()["field"] == "post"


def test_refusals_of_add_unit_name_the_field(api, org, tree):
    base = f"/orgs/{org.slug}/units"
    assert api.post(base, {"kind": "castle", "name": "X"}).json()["field"] == "kind"
    assert api.post(base, {"kind": "district", "name": "X", "parent": "elm-house"}).json()["field"] == "parent"
    assert (
        api.post(base, {"kind": "district", "name": "X", "parent": "federation", "slug": "north"}).json()["field"]
        == "slug"
    )
    future = api.post(base, {"kind": "district", "name": "X", "parent": "federation", "on": "2999-01-01"})
    assert (future.status_code, future.json()["field"]) == (409, "on")


def test_bodies_accept_only_their_own_keys_and_iso_dates(api, org, tree):
    base = f"/orgs/{org.slug}/units"
    smuggled = api.post(base, {"kind": "district", "name": "X", "parent": "federation", "state": "founded"})
    assert smuggled.status_code == 422
    assert "state" in smuggled.json()["detail"]
    other_org = api.post(base, {"kind": "district", "name": "X", "parent": "federation", "organization": 1})
    assert other_org.status_code == 422
    not_iso = api.post(f"{base}/north/prepare", {"on": "01/06/2024"})
    assert not_iso.status_code == 422
    assert not_iso.json()["detail"].startswith("on: ")
    assert not Unit.objects.filter(organization=org, name="X").exists()


@pytest.mark.parametrize(
    "path",
    [
        "/orgs/atlantis",
        "/orgs/atlantis/units",
        "/orgs/atlantis/tree",
        "/orgs/{org}/units/atlantis",
        "/orgs/{org}/units/atlantis/readiness",
        "/orgs/{org}/units/atlantis/subtree",
        "/orgs/{org}/units/atlantis/events",
        "/orgs/{org}/units/atlantis/members",
    ],
)
def test_unknown_organization_or_unit_is_a_json_404(api, org, path):
    response = api.get(path.format(org=org.slug))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "atlantis" in response.json()["detail"]


def test_a_unit_of_another_organization_is_not_found_through_this_one(api, org, tree):
    other = builders.organization()
    builders.unit(other, "federation", "Elsewhere")
    assert api.get(f"/orgs/{org.slug}/units/elsewhere").status_code == 404
    # The token reaches its own organization only, even for its administrator.
    assert api.get(f"/orgs/{other.slug}/units/elsewhere").status_code == 404
    moved = api.post(f"/orgs/{org.slug}/units/oak-court/move", {"parent": "elsewhere", "on": ON})
    assert (moved.status_code, moved.json()["field"]) == (409, "parent")


@pytest.mark.parametrize(
    "body",
    [
        {"founding_members": [2**63]},
        {"founding_members": [0]},
        {"officers": {"secretary": 10**25}},
    ],
)
def test_person_ids_no_row_could_have_are_422_not_a_crash(api, org, tree, body):
    response = api.post(f"/orgs/{org.slug}/units/ash-tower/found", body)
    assert response.status_code == 422
    assert api.get(f"/orgs/{org.slug}/units/ash-tower").json()["state"] == "preparing"
