"""People and memberships through the REST API."""

from __future__ import annotations

import pytest
from django.test import Client

from grassroots.accounts.actions import create_api_token
from grassroots.people.models import Membership, Person
from tests.support import builders

from .conftest import ON, Caller, bearer

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(tree) -> Person:
    """A founding member of Elm House (status 'member') who holds no post."""
    return Membership.objects.filter(unit=tree["elm"]).exclude(person__posts__isnull=False).first().person


def test_add_person_then_read_them(api, org):
    recruiter = builders.person(org, "Rosa Recruiter")
    response = api.post(
        f"/orgs/{org.slug}/people",
        {
            "name": "  Ada Tenant ",
            "email": "Ada@Example.org",
            "phone": "020 7946 0000",
            "address": "1 Elm Street",
            "recruiter": recruiter.pk,
        },
    )
    assert response.status_code == 201
    created = response.json()
    person = Person.objects.get(pk=created["id"])
    assert person.organization == org
    assert created == {
        "id": person.pk,
        "name": "Ada Tenant",
        "email": "ada@example.org",
        "phone": "+442079460000",
        "address": "1 Elm Street",
        "recruiter": recruiter.pk,
        "membership": None,
        "status": None,  # never had a membership
    }
    assert api.get(f"/orgs/{org.slug}/people/{person.pk}").json() == created


def test_add_person_accepts_only_body_fields(api, org):
    other = builders.organization()
    for smuggled in ({"organization": other.pk}, {"organization_id": other.pk}, {"id": 12345}, {"pk": 12345}):
        response = api.post(f"/orgs/{org.slug}/people", {"name": "Mallory", **smuggled})
        assert response.status_code == 422, smuggled
        assert next(iter(smuggled)) in response.json()["detail"]
    assert not Person.objects.filter(name="Mallory").exists()


def test_add_person_refusals_name_the_field(api, org):
    stranger = builders.person(builders.organization(), "Stranger")
    response = api.post(f"/orgs/{org.slug}/people", {"name": "Ada", "recruiter": stranger.pk})
    assert response.status_code == 409
    assert response.json() == {
        "detail": f"recruiter: no person with id {stranger.pk} in {org.slug}",
        "reasons": [],
        "field": "recruiter",
    }
    assert api.post(f"/orgs/{org.slug}/people", {"name": "  "}).json()["field"] == "name"
    assert api.post(f"/orgs/{org.slug}/people", {"name": "Ada", "email": "not-an-address"}).json()["field"] == "email"
    assert api.post(f"/orgs/{org.slug}/people", {"email": "a@example.org"}).status_code == 422
    assert not Person.objects.filter(name="Ada").exists()


def test_people_list_searches_and_shows_current_membership(api, org, tree, member):
    builders.person(org, "Zed Nobody", email="zed@example.org")
    everyone = api.get(f"/orgs/{org.slug}/people").json()
    assert everyone["count"] == 7
    names = [row["name"] for row in everyone["items"]]
    assert names == sorted(names)

    found = api.get(f"/orgs/{org.slug}/people", q=member.name).json()
    assert found["count"] == 1
    assert found["items"][0]["membership"] == {"unit": "elm-house", "status": "member", "start": "2024-01-31"}

    by_email = api.get(f"/orgs/{org.slug}/people", q="ZED@example").json()
    assert [row["name"] for row in by_email["items"]] == ["Zed Nobody"]
    assert by_email["items"][0]["membership"] is None

    page = api.get(f"/orgs/{org.slug}/people", limit=3, offset=3).json()
    assert [row["name"] for row in page["items"]] == names[3:6]


def test_join_a_unit(api, org, tree):
    newcomer = builders.person(org, "New Comer")
    response = api.post(f"/orgs/{org.slug}/people/{newcomer.pk}/join", {"unit": "oak-court", "on": ON})
    assert response.status_code == 200
    joined = response.json()
    assert joined["person"] == {"id": newcomer.pk, "name": "New Comer"}
    assert joined["unit"] == {"slug": "oak-court", "name": "Oak Court"}
    assert (joined["status"], joined["start"], joined["end"]) == ("supporter", ON, None)  # the initial status

    again = api.post(f"/orgs/{org.slug}/people/{newcomer.pk}/join", {"unit": "elm-house", "on": ON})
    assert again.status_code == 409
    assert "transfer them instead" in again.json()["detail"]

    other = builders.person(org)
    district = api.post(f"/orgs/{org.slug}/people/{other.pk}/join", {"unit": "north", "on": ON})
    assert (district.status_code, district.json()["field"]) == (409, "unit")
    nowhere = api.post(f"/orgs/{org.slug}/people/{other.pk}/join", {"unit": "atlantis", "on": ON})
    assert nowhere.json() == {"detail": f"unit: no unit 'atlantis' in {org.slug}", "reasons": [], "field": "unit"}


def test_transfer_ends_the_old_membership_and_starts_the_new(api, org, tree, member):
    response = api.post(f"/orgs/{org.slug}/people/{member.pk}/transfer", {"unit": "oak-court", "on": ON})
    assert response.status_code == 200
    new = response.json()
    assert (new["unit"]["slug"], new["status"], new["start"], new["end"]) == ("oak-court", "member", ON, None)

    history = api.get(f"/orgs/{org.slug}/people/{member.pk}/memberships").json()
    assert history["count"] == 2
    current, old = history["items"]
    assert current == new
    assert (old["unit"]["slug"], old["start"], old["end"]) == ("elm-house", "2024-01-31", ON)

    person = api.get(f"/orgs/{org.slug}/people/{member.pk}").json()
    assert person["membership"] == {"unit": "oak-court", "status": "member", "start": ON}
    elm_members = api.get(f"/orgs/{org.slug}/units/elm-house/members").json()
    assert member.pk not in [row["person"]["id"] for row in elm_members["items"]]
    assert elm_members["count"] == 2
    oak_members = api.get(f"/orgs/{org.slug}/units/oak-court/members").json()
    assert member.pk in [row["person"]["id"] for row in oak_members["items"]]


def test_status_change_follows_the_constitution(api, org, tree, member):
    refused = api.post(f"/orgs/{org.slug}/people/{member.pk}/status", {"status": "candidate", "on": ON})
    assert refused.status_code == 409
    body = refused.json()
    assert body["field"] == "status"
    assert body["detail"] == "status: cannot go from member to candidate (allowed from member: lapsed, resigned)"
    assert Membership.objects.get(person=member, end__isnull=True).status == "member"

    changed = api.post(f"/orgs/{org.slug}/people/{member.pk}/status", {"status": "lapsed", "on": ON})
    assert changed.status_code == 200
    assert changed.json()["status"] == "lapsed"


def test_end_membership_with_a_final_status(api, org, tree, member):
    response = api.post(f"/orgs/{org.slug}/people/{member.pk}/end", {"on": ON, "status": "resigned"})
    assert response.status_code == 200
    ended = response.json()
    assert (ended["status"], ended["end"]) == ("resigned", ON)
    assert api.get(f"/orgs/{org.slug}/people/{member.pk}").json()["membership"] is None

    again = api.post(f"/orgs/{org.slug}/people/{member.pk}/end", {"on": ON})
    assert again.status_code == 409
    assert "no current membership" in again.json()["detail"]


def test_unknown_or_foreign_person_is_a_json_404(api, org, tree):
    stranger = builders.person(builders.organization(), "Stranger")
    for path in (
        f"/orgs/{org.slug}/people/{stranger.pk}",
        f"/orgs/{org.slug}/people/999999",
        f"/orgs/{org.slug}/people/{stranger.pk}/memberships",
        "/orgs/atlantis/people",
    ):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.json()["detail"]
    moved = api.post(f"/orgs/{org.slug}/people/{stranger.pk}/transfer", {"unit": "elm-house", "on": ON})
    assert moved.status_code == 404
    assert api.get(f"/orgs/{org.slug}/people/not-a-number").status_code == 422


def test_a_phone_that_is_no_number_is_refused_naming_the_field(api, org):
    response = api.post(f"/orgs/{org.slug}/people", {"name": "Ada", "phone": "abc"})
    assert (response.status_code, response.json()["field"]) == (409, "phone")
    assert response.json()["detail"] == "phone: 'abc' is not a phone number for GB"


def test_a_duplicate_is_refused_naming_the_known_person_unless_allowed(api, org):
    rosa = builders.person(org, "Rosa Lindqvist", email="rosa@example.org")
    body = {"name": "rosa lindqvist", "email": "ROSA@example.org"}
    refused = api.post(f"/orgs/{org.slug}/people", body)
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith(f"person {rosa.pk} (Rosa Lindqvist) has the same name and email")
    assert refused.json()["field"] == "allow_duplicate"
    assert api.post(f"/orgs/{org.slug}/people", {**body, "allow_duplicate": True}).status_code == 201


def test_people_list_filters_by_accent_free_text_unit_subtree_and_status(api, org, tree):
    builders.person(org, "José Álvarez", unit=tree["elm"], status="candidate", on=builders.START)
    builders.person(org, "Josefa Ruiz", unit=tree["ash"], status="candidate", on=builders.START)
    found = api.get(f"/orgs/{org.slug}/people", q="JOSE", unit="north").json()
    assert [row["name"] for row in found["items"]] == ["José Álvarez"]
    found = api.get(f"/orgs/{org.slug}/people", q="jose", status="candidate").json()
    assert sorted(row["name"] for row in found["items"]) == ["Josefa Ruiz", "José Álvarez"]
    assert api.get(f"/orgs/{org.slug}/people", unit="atlantis").status_code == 404


def test_people_list_filters_by_the_status_a_last_membership_ended_with(api, org, tree):
    former = builders.former_members(org, tree)
    resigned = api.get(f"/orgs/{org.slug}/people", status="resigned").json()
    assert [(row["id"], row["status"], row["membership"]) for row in resigned["items"]] == [
        (former["rosa"].pk, "resigned", None)
    ]
    lapsed = api.get(f"/orgs/{org.slug}/people", status="lapsed", unit="south").json()
    assert [(row["name"], row["status"]) for row in lapsed["items"]] == [("Kofi Former", "lapsed")]
    assert api.get(f"/orgs/{org.slug}/people", status="lapsed", unit="north").json()["items"] == []
    ada = api.get(f"/orgs/{org.slug}/people", status="candidate", q="ada").json()["items"]
    assert [(row["status"], row["membership"]["unit"]) for row in ada] == [("candidate", "elm-house")]


def test_edit_corrects_fields_and_leaves_the_others(api, org, member):
    response = api.post(
        f"/orgs/{org.slug}/people/{member.pk}/edit", {"name": "Corrected  Name", "phone": "07911 123458"}
    )
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["phone"]) == ("Corrected Name", "+447911123458")
    assert response.json()["email"] == member.email
    refused = api.post(f"/orgs/{org.slug}/people/{member.pk}/edit", {"phone": "abc"})
    assert (refused.status_code, refused.json()["field"]) == (409, "phone")


def test_duplicates_then_merge(api, org, member):
    other = builders.person(org, member.name, phone="07911 123458", allow_duplicate=True)
    pairs = api.get(f"/orgs/{org.slug}/people/duplicates").json()
    assert {
        "first": {"id": member.pk, "name": member.name},
        "second": {"id": other.pk, "name": member.name},
        "reasons": ["same name"],
    } in pairs["items"]
    merged = api.post(f"/orgs/{org.slug}/people/{member.pk}/merge", {"other": other.pk})
    assert merged.status_code == 200
    assert (merged.json()["person"]["id"], merged.json()["person"]["phone"]) == (member.pk, "+447911123458")
    assert merged.json()["not_kept"] == {}
    assert not Person.objects.filter(pk=other.pk).exists()
    gone = api.post(f"/orgs/{org.slug}/people/{member.pk}/merge", {"other": other.pk})
    assert (gone.status_code, gone.json()["detail"]) == (404, f"no person {other.pk} in {org.slug}")


def test_a_merge_answers_the_values_not_kept(api, org, member):
    Person.objects.filter(pk=member.pk).update(email="rosa@example.org")
    other = builders.person(org, member.name, email="rosa.other@example.org", address="2 Oak", allow_duplicate=True)
    merged = api.post(f"/orgs/{org.slug}/people/{member.pk}/merge", {"other": other.pk}).json()
    assert (merged["person"]["email"], merged["person"]["address"]) == ("rosa@example.org", "2 Oak")
    assert merged["not_kept"] == {"email": "rosa.other@example.org"}


def test_merging_two_current_members_is_refused_with_the_reason(api, org, tree, member):
    other = builders.person(org, "Other Rosa", unit=tree["oak"], on=builders.START)
    refused = api.post(f"/orgs/{org.slug}/people/{member.pk}/merge", {"other": other.pk})
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        f"the memberships overlap: person {member.pk} in Elm House since {member.memberships.get().start} "
        f"and person {other.pk} in Oak Court since 2024-01-01; a person is a member of one basic unit at a "
        "time, so one record cannot hold both (correct the dates of one of them first)"
    )


def test_merging_with_someone_out_of_scope_is_a_404(api, org, tree, member):
    stranger = builders.person(builders.organization(), member.name)
    foreign = api.post(f"/orgs/{org.slug}/people/{member.pk}/merge", {"other": stranger.pk})
    assert (foreign.status_code, foreign.json()["detail"]) == (404, f"no person {stranger.pk} in {org.slug}")
    ash = builders.person(org, member.name, unit=tree["ash"], on=builders.START, allow_duplicate=True)
    steward = builders.officer(org, tree["elm"], "secretary", "sec@example.org")
    _record, token = create_api_token(user=steward, organization=org, by="test")
    as_steward = Caller(Client(), bearer(token))
    hidden = as_steward.post(f"/orgs/{org.slug}/people/{member.pk}/merge", {"other": ash.pk})
    assert (hidden.status_code, hidden.json()["detail"]) == (404, f"no person {ash.pk} in {org.slug}")
    assert Person.objects.filter(pk__in=[member.pk, ash.pk, stranger.pk]).count() == 3


def test_people_list_pages_by_cursor(api, org):
    for number in range(7):
        builders.person(org, f"Cursor {number}")
    first = api.get(f"/orgs/{org.slug}/people", limit=3, q="Cursor").json()
    assert [row["name"] for row in first["items"]] == ["Cursor 0", "Cursor 1", "Cursor 2"]
    # Someone added before the cursor does not shift the next page, as an offset would.
    builders.person(org, "Cursor 00")
    second = api.get(f"/orgs/{org.slug}/people", limit=3, q="Cursor", after=first["next"]).json()
    assert [row["name"] for row in second["items"]] == ["Cursor 3", "Cursor 4", "Cursor 5"]
    last = api.get(f"/orgs/{org.slug}/people", limit=3, q="Cursor", after=second["next"]).json()
    assert [row["name"] for row in last["items"]] == ["Cursor 6"]
    assert last["next"] is None
    refused = api.get(f"/orgs/{org.slug}/people", after="not a cursor")
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("after: not a cursor this list gave")
    # A cursor of well-formed base64 that holds no (name, id) is refused the same way.
    assert api.get(f"/orgs/{org.slug}/people", after="W10").status_code == 422
    assert second["count"] is None  # a page after a cursor does not count everyone again


def test_the_people_list_counts_at_most_a_bound(api, org, monkeypatch):
    """Counting every match of a million people would cost many times the page: `count` stops at
    COUNTED and is null beyond, while the page and its cursor are unchanged."""
    from grassroots.api import pagination

    monkeypatch.setattr(pagination, "COUNTED", 3)
    for number in range(5):
        builders.person(org, f"Bounded {number}")
    many = api.get(f"/orgs/{org.slug}/people", limit=2, q="Bounded").json()
    assert many["count"] is None
    assert [row["name"] for row in many["items"]] == ["Bounded 0", "Bounded 1"]
    assert many["next"] is not None
    few = api.get(f"/orgs/{org.slug}/people", q="Bounded 3").json()
    assert few["count"] == 1
    exactly = api.get(f"/orgs/{org.slug}/people", limit=1, q="Bounded", offset=2).json()
    assert exactly["count"] is None and [row["name"] for row in exactly["items"]] == ["Bounded 2"]
    monkeypatch.setattr(pagination, "COUNTED", 5)
    assert api.get(f"/orgs/{org.slug}/people", limit=2, q="Bounded").json()["count"] == 5


def test_every_wrong_field_is_reported_at_once_on_edit_and_add(api, org, member):
    """Three wrong fields, three entries of one 409: the caller fixes them in one go."""
    body = {"name": "  ", "email": "ana@@example.org", "phone": "abc"}
    for path in (f"/orgs/{org.slug}/people/{member.pk}/edit", f"/orgs/{org.slug}/people"):
        refused = api.post(path, body)
        assert refused.status_code == 409, path
        assert [(entry["loc"], entry["msg"]) for entry in refused.json()["errors"]] == [
            (["body", "name"], "name: a person needs a name"),
            (["body", "email"], "email: 'ana@@example.org' is not a valid email address"),
            (["body", "phone"], "phone: 'abc' is not a phone number for GB"),
        ], path
        assert refused.json()["field"] == "name"
    member.refresh_from_db()
    assert member.name != ""


def test_a_status_not_of_the_constitution_is_422_naming_it(api, org, tree):
    statuses = ", ".join(org.constitution.statuses)
    response = api.get(f"/orgs/{org.slug}/people", status="nonsense")
    assert response.status_code == 422
    assert response.json()["detail"] == f"status: 'nonsense' is not one of {statuses}"
    assert api.get(f"/orgs/{org.slug}/people", status="member").status_code == 200
