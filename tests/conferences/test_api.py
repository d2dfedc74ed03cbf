"""The conferences API: plan, apportion, read the table, call and step on, within the caller's
scope; rule refusals are 409 naming the field, schema errors 422."""

from __future__ import annotations

import pytest

from grassroots.conferences.models import Conference
from grassroots.outbox.models import Mailing
from tests.support import builders
from tests.support.conferences import api_client, conference, conference_scene, post_json

pytestmark = pytest.mark.django_db


_client, _post = api_client, post_json


@pytest.fixture
def units(org):
    return conference_scene(org)


def test_plan_apportion_read_and_call(org, units, django_assert_max_num_queries):
    admin = _client(builders.account(org, "admin@example.org", is_admin=True), org)
    base = f"/api/orgs/{org.slug}/conferences"
    made = _post(admin, base, {"unit": "federation", "name": "Founding", "cutoff": "2024-06-01",
                               "method": "huntington-hill", "seats": 6, "minimum": 1, "place": "Hall"})  # fmt: skip
    assert made.status_code == 201, made.json()
    body = made.json()
    assert (body["unit"], body["method"], body["seats"], body["status"]) == (
        "federation",
        "huntington-hill",
        6,
        "planned",
    )
    pk = body["id"]
    apportioned = _post(admin, f"{base}/{pk}/apportion")
    assert apportioned.status_code == 200
    result = apportioned.json()
    assert [(u["unit"], u["members"], u["seats"]) for u in result["units"]] == [
        ("elm-house", 7, 4),
        ("oak-court", 3, 2),
    ]
    assert result["input_sha256"] == Conference.objects.get(pk=pk).input_sha256
    with django_assert_max_num_queries(8):
        table = admin.get(f"{base}/{pk}/allocations")
    assert table.json() == [
        {"unit": "elm-house", "name": "Elm House", "members": 7, "quota": "4.2000", "quota_exact": "21/5", "seats": 4,
         "lower_quota": 4, "upper_quota": 5},
        {"unit": "oak-court", "name": "Oak Court", "members": 3, "quota": "1.8000", "quota_exact": "9/5", "seats": 2,
         "lower_quota": 1, "upper_quota": 2},
    ]  # fmt: skip
    listed = admin.get(base).json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == pk
    called = _post(admin, f"{base}/{pk}/call")
    assert called.status_code == 200 and called.json()["status"] == "called"
    assert Mailing.objects.filter(source=f"conferences.call:{pk}").count() == 1
    again = _post(admin, f"{base}/{pk}/apportion")
    assert again.status_code == 409
    assert again.json()["field"] == "status" and "only a planned one is apportioned" in again.json()["detail"]
    stepped = _post(admin, f"{base}/{pk}/status", {"status": "credentialing"})
    assert stepped.json()["status"] == "credentialing" and stepped.json()["credentialing_at"]
    assert admin.get(f"{base}/{pk}").json()["status"] == "credentialing"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"method": "dhondt"}, "seats"),
        ({"method": "dhondt", "seats": 0}, "seats"),
        ({"method": "per", "per": 10, "rounding": "up"}, "rounding"),
        ({"method": "brackets", "brackets": "1-x: 2"}, "brackets"),
        ({"method": "dhondt", "seats": 3, "unit": "elm-house"}, "unit"),
        ({"method": "dhondt", "seats": 3, "unit": "atlantis"}, "unit"),
    ],
)
def test_rule_refusals_are_409_naming_the_field(org, units, body, field):
    admin = _client(builders.account(org, "admin@example.org", is_admin=True), org)
    payload = {"unit": "federation", "name": "Founding", "cutoff": "2024-06-01"} | body
    response = _post(admin, f"/api/orgs/{org.slug}/conferences", payload)
    assert response.status_code == 409, response.json()
    assert response.json()["field"] == field
    assert not Conference.objects.exists()


def test_schema_errors_are_422(org, units):
    admin = _client(builders.account(org, "admin@example.org", is_admin=True), org)
    response = _post(admin, f"/api/orgs/{org.slug}/conferences",
                     {"unit": "federation", "name": "F", "cutoff": "June", "method": "lottery"})  # fmt: skip
    assert response.status_code == 422
    assert not Conference.objects.exists()


def test_an_officer_below_sees_no_conference_of_the_committee_above(org, units):
    planned = conference(units["federation"])
    secretary = units["elm"].posts.get(post="secretary").person
    client = _client(builders.account(org, "sec@example.org", person=secretary), org)
    base = f"/api/orgs/{org.slug}/conferences"
    assert client.get(base).json() == {"items": [], "count": 0}
    assert client.get(f"{base}/{planned.pk}").status_code == 404
    assert _post(client, f"{base}/{planned.pk}/apportion").status_code == 404
    assert not planned.allocations.exists()
