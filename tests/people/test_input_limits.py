"""Smaller weaknesses of issue 9: person records are never cached; an address has a length limit
and a date an earliest day, refused naming the field on every path (action, page, API, import)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from grassroots.accounts.actions import create_api_token
from grassroots.errors import ActionRefused
from grassroots.imports.actions import import_members
from grassroots.organizations import actions as units
from grassroots.people import actions
from grassroots.people.models import Membership, Person
from tests.support import builders
from tests.support.sessions import sign_in

LONG = "x" * 501


@pytest.fixture
def token(staff, org) -> dict[str, str]:
    _record, token = create_api_token(user=staff, organization=org, by="test")
    return {"Authorization": f"Bearer {token}"}


def test_person_records_are_kept_by_no_cache(client, staff, org, tree, token):
    rosa = builders.person(org, "Rosa", unit=tree["elm"])
    sign_in(client, staff)
    responses = {
        "page": client.get(reverse("person", args=[org.slug, rosa.pk])),
        "download": client.post(reverse("person_export", args=[org.slug, rosa.pk])),
        "API": client.get(f"/api/orgs/{org.slug}/people/{rosa.pk}", headers=token),
        "API export": client.get(f"/api/orgs/{org.slug}/people/{rosa.pk}/export", headers=token),
    }
    for name, response in responses.items():
        assert response.status_code == 200, name
        directives = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= directives, (name, response["Cache-Control"])


def test_an_address_over_500_characters_is_refused_naming_the_field(client, staff, org, tree, token, tmp_path):
    with pytest.raises(ActionRefused) as refused:
        actions.add_person(organization=org, name="Ann", address=LONG, by="test")
    assert (refused.value.field, refused.value.message) == ("address", "address: at most 500 characters (501 given)")
    assert actions.add_person(organization=org, name="Bo", address="y" * 500, by="test").address == "y" * 500

    response = client.post(
        f"/api/orgs/{org.slug}/people",
        json.dumps({"name": "Ann", "address": LONG}),
        content_type="application/json",
        headers=token,
    )
    assert (response.status_code, response.json()["field"]) == (409, "address")

    sign_in(client, staff)
    page = client.post(reverse("person_add", args=[org.slug]), {"name": "Ann", "address": LONG})
    assert page.status_code in (200, 400)
    assert page.context["form"].errors["address"] == ["Ensure this value has at most 500 characters (it has 501)."]

    path = tmp_path / "members.csv"
    path.write_text(f"name,unit,address\nAnn,elm-house,{LONG}\n", encoding="utf-8")
    result = import_members(organization=org, path=path, by="test")
    ((line, column, _value, reason),) = [(r.line, r.column, r.value, r.reason) for r in result.rejections]
    assert (line, column, reason) == (2, "address", "an address is at most 500 characters (501 given)")
    assert not Person.objects.filter(name="Ann").exists()


@pytest.mark.parametrize("day", [dt.date(1, 1, 1), dt.date(1899, 12, 31)])
def test_dates_before_1900_are_refused_naming_the_field(client, org, tree, token, tmp_path, day):
    ann = builders.person(org, "Ann")
    message = f"on: {day} is before 1900-01-01, earlier than any record kept here"
    with pytest.raises(ActionRefused) as refused:
        actions.join_unit(person=ann, unit=tree["elm"], on=day, by="test")
    assert (refused.value.field, refused.value.message) == ("on", message)
    assert not Membership.objects.filter(person=ann).exists()

    rosa = builders.person(org, "Rosa", unit=tree["elm"])
    for attempt in (
        lambda: actions.change_status(person=rosa, status="lapsed", on=day, by="test"),
        lambda: actions.end_membership(person=rosa, on=day, by="test"),
        lambda: units.assign_post(unit=tree["elm"], person=rosa, post="secretary", on=day, by="test"),
    ):
        with pytest.raises(ActionRefused, match=r"^on: .* is before 1900-01-01"):
            attempt()

    response = client.post(
        f"/api/orgs/{org.slug}/people/{ann.pk}/join",
        json.dumps({"unit": "elm-house", "on": day.isoformat()}),
        content_type="application/json",
        headers=token,
    )
    assert (response.status_code, response.json()["field"], response.json()["detail"]) == (409, "on", message)

    path = tmp_path / "members.csv"
    path.write_text(f"name,unit,joined\nCy,elm-house,{day.isoformat()}\n", encoding="utf-8")
    result = import_members(organization=org, path=path, by="test")
    ((line, column, _value, reason),) = [(r.line, r.column, r.value, r.reason) for r in result.rejections]
    assert (line, column, reason) == (
        2,
        "joined",
        "a joining date before 1900-01-01, earlier than any record kept here",
    )
