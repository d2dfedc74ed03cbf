"""The delegations API (issue 17): Elm House's secretary records its delegation, the federation's
administrator handles the credentials and the presence, everyone reads within their scope: an
officer of another district gets 404 and nothing changes; rule refusals are 409 naming the field."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from grassroots.accounts.actions import create_api_token
from grassroots.audit.models import AuditRecord
from grassroots.conferences import actions
from grassroots.conferences.models import Delegate
from tests.support import builders
from tests.support.conferences import conference_scene
from tests.support.delegations import called, election, members_of

pytestmark = pytest.mark.django_db


def _client(user, org) -> Client:
    token = create_api_token(user=user, organization=org, name="t", by="test")[1]
    return Client(headers={"Authorization": f"Bearer {token}"})


def _post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def scene(org):
    units = conference_scene(org)
    secretary = builders.officer(org, units["elm"], "secretary", "elm@example.org")
    south = builders.officer(org, units["south"], "secretary", "south@example.org", member_of=units["birch"])
    conference = called(units["federation"])
    return {
        "units": units,
        "conference": conference,
        "people": members_of(units["elm"]),
        "decision": election(units["elm"]),
        "admin": _client(builders.account(org, "admin@example.org", is_admin=True), org),
        "secretary": _client(secretary, org),
        "south": _client(south, org),
        "base": f"/api/orgs/{org.slug}/conferences/{conference.pk}",
    }


def _elect(scene, client, **changes):
    people = scene["people"]
    body = {
        "unit": "elm-house",
        "decision": scene["decision"].pk,
        "delegates": [people[0].pk, people[1].pk],
        "alternates": [people[2].pk],
        "chair": people[0].pk,
    } | changes
    return _post(client, f"{scene['base']}/delegations", body)


def test_the_units_secretary_elects_and_the_organizers_seat_and_count(scene, django_assert_max_num_queries):
    people, base, admin = scene["people"], scene["base"], scene["admin"]
    made = _elect(scene, scene["secretary"])
    assert made.status_code == 201, made.json()
    assert {key: made.json()[key] for key in ("unit", "decision", "chair", "seats")} == {
        "unit": "elm-house",
        "decision": scene["decision"].pk,
        "chair": people[0].pk,
        "seats": 4,
    }
    rows = admin.get(f"{base}/delegates").json()
    assert [(row["name"], row["role"], row["rank"], row["credential"]) for row in rows] == [
        (people[0].name, "delegate", 1, "submitted"),
        (people[1].name, "delegate", 2, "submitted"),
        (people[2].name, "alternate", 1, "submitted"),
    ]
    ids = {row["person"]: row["id"] for row in rows}
    for person in people[:3]:
        assert _post(admin, f"{base}/delegates/{ids[person.pk]}/credential", {"action": "verify"}).status_code == 200
    seated = _post(admin, f"{base}/delegates/{ids[people[0].pk]}/credential", {"action": "seat"})
    assert seated.json()["credential"] == "seated"
    refused = _post(admin, f"{base}/delegates/{ids[people[1].pk]}/credential", {"action": "challenge"})
    assert (refused.status_code, refused.json()["field"]) == (409, "grounds")
    _post(admin, f"{base}/delegates/{ids[people[1].pk]}/credential", {"action": "challenge", "grounds": "Lapsed"})
    no_seat = _post(admin, f"{base}/delegates/{ids[people[1].pk]}/credential", {"action": "rule", "ruling": "OK"})
    assert (no_seat.status_code, no_seat.json()["field"]) == (409, "seat")
    ruled = _post(
        admin, f"{base}/delegates/{ids[people[1].pk]}/credential", {"action": "rule", "ruling": "OK", "seat": True}
    )
    assert (ruled.json()["credential"], ruled.json()["grounds"], ruled.json()["ruling"]) == ("seated", "Lapsed", "OK")
    again = _elect(scene, scene["secretary"])
    assert (again.status_code, again.json()["field"]) == (409, "delegates")
    shut = _post(admin, f"{base}/delegates/{ids[people[0].pk]}/presence", {"present": True})
    assert (shut.status_code, shut.json()["field"]) == (409, "status")
    actions.set_conference_status(conference=scene["conference"], status="credentialing", by="test")
    # The alternate arrives and takes the seat of the second delegate, who is not here.
    for person in (people[0], people[2]):
        _post(admin, f"{base}/delegates/{ids[person.pk]}/presence", {"present": True})
    figures = _post(admin, f"{base}/delegates/{ids[people[0].pk]}/presence", {"present": False}).json()
    assert figures == {
        "seats": 2,
        "seated_weight": 2,
        "present_seats": 1,
        "present_weight": 1,
        "quorum": 2,
        "quorate": False,
    }
    with django_assert_max_num_queries(8):
        report = admin.get(f"{base}/credentials").json()
    assert [(seat["name"], seat["role"], seat["weight"], seat["seated_for"]) for seat in report["seated"]] == [
        (people[0].name, "delegate", 1, None),
        (people[2].name, "alternate", 1, people[1].name),
    ]
    assert admin.get(f"{base}/presence").json()["present_weight"] == 1
    download = admin.get(f"{base}/participants")
    assert download["Content-Type"].startswith("text/csv")
    assert download.content.decode().splitlines() == [
        "name,unit,weight,role,present",
        f"{people[0].name},Elm House,1,delegate,no",
        f"{people[1].name},Elm House,0,delegate,no",
        f"{people[2].name},Elm House,1,alternate,yes",
    ]
    assert AuditRecord.objects.filter(action="conferences.participants.export").count() == 1
    listed = admin.get(f"{base}/delegations").json()
    assert [(row["unit"], row["seats"]) for row in listed] == [("elm-house", 4)]


def test_scope(scene):
    """An officer of another district: 404 on every route, nothing written. The unit's secretary
    reaches the conference through their unit to elect, but handles no credential (403)."""
    base, south, secretary = scene["base"], scene["south"], scene["secretary"]
    assert _elect(scene, secretary).status_code == 201
    delegate = Delegate.objects.first()
    for path in ("delegations", "delegates", "credentials", "presence", "participants"):
        assert south.get(f"{base}/{path}").status_code == 404, path
    assert _elect(scene, south).status_code in (404, 409)
    assert _elect(scene, south).json().get("field") in (None, "unit")
    assert _post(south, f"{base}/delegates/{delegate.pk}/credential", {"action": "verify"}).status_code == 404
    assert _post(south, f"{base}/delegates/{delegate.pk}/presence", {"present": True}).status_code == 404
    assert secretary.get(f"{base}/delegates").status_code == 404
    assert _post(secretary, f"{base}/delegates/{delegate.pk}/credential", {"action": "verify"}).status_code == 404
    assert Delegate.objects.filter(credential="submitted").count() == 3


def test_refusals_of_the_election(scene):
    people, secretary = scene["people"], scene["secretary"]
    unknown = _elect(scene, secretary, decision=999999)
    assert (unknown.status_code, unknown.json()["field"]) == (409, "decision")
    chair = _elect(scene, secretary, chair=people[3].pk)
    assert (chair.status_code, chair.json()["detail"]) == (409, f"chair: {people[3].name} is not one of the delegates")
    many = _elect(scene, secretary, delegates=[person.pk for person in people[:5]])
    assert many.json()["detail"] == "delegates: 5 elected, but Elm House has 4 seats"
    invalid = _elect(scene, secretary, delegates="all")
    assert invalid.status_code == 422
    assert not Delegate.objects.exists()
