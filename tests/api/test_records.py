"""Through the REST API: subject access, erasure, consents, officer posts and the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from grassroots.accounts.actions import create_api_token
from grassroots.audit.models import AuditRecord
from grassroots.organizations.actions import assign_post
from grassroots.organizations.models import OfficerPost
from grassroots.people.actions import record_consent
from grassroots.people.models import Consent, Person
from tests.support import builders
from tests.support.stories import REPLACED, rosa_story

from .conftest import ON, Caller, bearer

pytestmark = pytest.mark.django_db


def caller(user, org) -> Caller:
    _record, token = create_api_token(user=user, organization=org, by="test")
    return Caller(Client(), bearer(token))


@pytest.fixture
def story(org, tree):
    return rosa_story(org, tree)


@pytest.fixture
def south_secretary(story, tree):
    return builders.officer(story.org, tree["south"], "secretary", "south@example.org", member_of=story.ash)


def test_export_answers_the_whole_record_and_audits_it(api, story):
    response = api.get(f"/orgs/{story.org.slug}/people/{story.rosa.pk}/export")
    assert response.status_code == 200
    record = response.json()
    assert record["person"]["email"] == "rosa@example.org"
    assert record["recruiter"] == {"id": story.rex.pk, "name": "Rex Recruiter"}
    assert record["recruits"] == [story.tom.pk]
    assert [c["purpose"] for c in record["consents"]] == ["email bulletins", "phone contact"]
    assert record["memberships"][0]["status_changes"] == [{"on": "2024-02-01", "old": "supporter", "new": "member"}]
    assert AuditRecord.objects.get(action="person.export").changes["consents"] == [None, 2]


def test_export_is_403_without_import_export_and_404_out_of_scope(story, tree):
    organizer = builders.officer(story.org, tree["south"], "organizer", "organizer@example.org", member_of=story.ash)
    north = builders.officer(story.org, tree["north"], "secretary", "north@example.org", member_of=tree["elm"])
    path = f"/orgs/{story.org.slug}/people/{story.rosa.pk}/export"
    assert caller(organizer, story.org).get(path).status_code == 403
    assert caller(north, story.org).get(path).status_code == 404
    assert not AuditRecord.objects.filter(action="person.export").exists()


def test_erase_by_an_administrator_and_never_twice(api, story):
    path = f"/orgs/{story.org.slug}/people/{story.rosa.pk}/erase"
    response = api.post(path)
    assert response.status_code == 200
    assert response.json() == {
        "id": story.rosa.pk,
        "name": f"Erased person {story.rosa.pk}",
        "email": "",
        "phone": "",
        "address": "",
        "recruiter": None,
        "membership": {"unit": "ash-tower", "status": "member", "start": "2024-01-01"},
        "status": "member",
    }
    again = api.post(path)
    assert (again.status_code, again.json()["detail"]) == (409, f"person {story.rosa.pk} is already erased")


def test_erase_is_403_for_an_officer_and_changes_nothing(story, south_secretary):
    response = caller(south_secretary, story.org).post(f"/orgs/{story.org.slug}/people/{story.rosa.pk}/erase")
    assert response.status_code == 403
    assert Person.objects.get(pk=story.rosa.pk).name == "Rosa Lindqvist"
    assert AuditRecord.objects.filter(action="access.denied", actor=south_secretary).exists()


def test_consents_list_record_and_withdraw(api, story):
    base = f"/orgs/{story.org.slug}/people/{story.rosa.pk}/consents"
    listed = api.get(base).json()
    assert listed["count"] == 2
    assert [(c["purpose"], c["withdrawn_at"] is None) for c in listed["items"]] == [
        ("phone contact", False),
        ("email bulletins", True),
    ]
    created = api.post(base, {"purpose": "text messages", "policy_version": "2024-2"})
    assert created.status_code == 201
    consent = created.json()
    assert (consent["purpose"], consent["policy_version"], consent["withdrawn_at"]) == ("text messages", "2024-2", None)
    withdrawn = api.post(f"{base}/{consent['id']}/withdraw")
    assert withdrawn.status_code == 200
    assert withdrawn.json()["withdrawn_at"] is not None
    assert api.post(f"{base}/{consent['id']}/withdraw").status_code == 409
    assert api.post(base, {"purpose": "", "policy_version": "1"}).json()["field"] == "purpose"
    assert api.post(base, {"purpose": "x", "policy_version": "1", "given_at": "2020-01-01"}).status_code == 422


def test_a_consent_of_someone_else_is_not_found(api, story):
    other = Consent.objects.create(person=story.tom, purpose="x", policy_version="1", given_at=story.rosa.created_at)
    path = f"/orgs/{story.org.slug}/people/{story.rosa.pk}/consents/{other.pk}/withdraw"
    assert api.post(path).status_code == 404
    assert api.post(
        f"/orgs/{story.org.slug}/people/{story.rosa.pk}/consents/99999999999999999999/withdraw"
    ).status_code in (
        404,
        422,
    )


def test_consents_are_403_to_write_for_who_may_only_view(story, tree):
    treasurer = builders.officer(story.org, story.ash, "treasurer", "treasurer@example.org")
    treasurer_api = caller(treasurer, story.org)
    base = f"/orgs/{story.org.slug}/people/{story.rosa.pk}/consents"
    assert treasurer_api.get(base).json()["count"] == 2
    assert treasurer_api.post(base, {"purpose": "x", "policy_version": "1"}).status_code == 403
    assert treasurer_api.post(f"{base}/{story.email_consent.pk}/withdraw").status_code == 403
    assert Consent.objects.filter(person=story.rosa, withdrawn_at__isnull=True).count() == 1


def test_posts_list_assign_until_and_end(api, org, tree):
    (member,) = builders.members(org, tree["elm"], 1)
    base = f"/orgs/{org.slug}/units/elm-house/posts"
    created = api.post(base, {"person": member.pk, "post": "organizer", "on": ON, "until": "2099-01-01"})
    assert created.status_code == 201
    assert (created.json()["start"], created.json()["end"]) == (ON, "2099-01-01")
    assert api.post(base, {"person": member.pk, "post": "treasurer", "on": ON, "until": ON}).json()["field"] == "until"
    secretary = tree["elm"].posts.get(post="secretary")
    ended = api.post(f"{base}/{secretary.pk}/end", {"on": ON})
    assert ended.status_code == 200
    assert (ended.json()["id"], ended.json()["end"]) == (secretary.pk, ON)
    again = api.post(f"{base}/{secretary.pk}/end")
    assert (again.status_code, again.json()["detail"]) == (
        409,
        f"{secretary.person.name}'s term as secretary of Elm House already ended on {ON}",
    )
    listed = api.get(base).json()
    assert [(row["post"], row["end"]) for row in listed["items"]] == [("organizer", "2099-01-01"), ("secretary", ON)]
    # A holding of another unit is not found through this one.
    oak_secretary = tree["oak"].posts.get(post="secretary")
    assert api.post(f"{base}/{oak_secretary.pk}/end").status_code == 404
    assert OfficerPost.objects.get(pk=oak_secretary.pk).end is None


def test_ending_a_post_is_403_for_an_officer_who_does_not_manage_units(org, tree):
    organizer = builders.officer(org, tree["north"], "organizer", "organizer@example.org", member_of=tree["elm"])
    secretary = tree["elm"].posts.get(post="secretary")
    response = caller(organizer, org).post(f"/orgs/{org.slug}/units/elm-house/posts/{secretary.pk}/end")
    assert response.status_code == 403
    assert OfficerPost.objects.get(pk=secretary.pk).end is None


def test_audit_trail_is_paginated_filtered_and_scoped(api, story, tree, south_secretary):
    everything = api.get(f"/orgs/{story.org.slug}/audit", limit=5).json()
    assert everything["count"] == AuditRecord.objects.filter(organization=story.org).count()
    assert len(everything["items"]) == 5
    consents = api.get(f"/orgs/{story.org.slug}/audit", action="consent").json()
    assert [row["action"] for row in consents["items"]] == ["consent.withdraw", "consent.give", "consent.give"]
    first = consents["items"][-1]
    assert (first["actor"], first["target"], first["unit"]) == ("test", "email bulletins (2024-1)", "ash-tower")
    assert api.get(f"/orgs/{story.org.slug}/audit", since="2999-01-01").json()["count"] == 0
    assert api.get(f"/orgs/{story.org.slug}/audit", since="yesterday").status_code == 422
    # The south secretary reads the records of the south only.
    south = caller(south_secretary, story.org).get(f"/orgs/{story.org.slug}/audit", limit=500).json()
    assert {row["unit"] for row in south["items"]} == {"south", "ash-tower"}


def test_audit_trail_is_403_without_view_audit(story, tree):
    organizer = builders.officer(story.org, tree["south"], "organizer", "organizer@example.org", member_of=story.ash)
    assert caller(organizer, story.org).get(f"/orgs/{story.org.slug}/audit").status_code == 403


@pytest.mark.parametrize(
    "path", ["/orgs/{org}/audit", "/orgs/{org}/people/{rosa}/consents", "/orgs/{org}/units/ash-tower/posts"]
)
def test_list_queries_do_not_grow_with_rows(api, story, path):
    url = "/api" + path.format(org=story.org.slug, rosa=story.rosa.pk)

    def measure() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = api.client.get(url, {"limit": 100}, headers=api.headers)
        assert response.status_code == 200
        return len(queries), len(response.json()["items"])

    before, rows_before = measure()
    for number in range(10):
        record_consent(person=story.rosa, purpose=f"purpose {number}", policy_version="1", by="test")
        member = builders.person(story.org, unit=story.ash)
        assign_post(unit=story.ash, person=member, post="organizer", by="test", on=REPLACED + dt.timedelta(days=number))
    after, rows_after = measure()
    assert rows_after >= rows_before + 10
    assert after == before <= 10
