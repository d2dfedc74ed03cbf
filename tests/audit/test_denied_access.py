"""Refusals of scope leave a trace: an `access.denied` audit record, written by the page or API
that answers the refusal (selectors only read). Unknown records leave none."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from grassroots.accounts.actions import create_api_token
from grassroots.audit.models import AuditRecord
from tests.support import builders
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def north_secretary(org, tree):
    return builders.officer(org, tree["north"], "secretary", "north@example.org", member_of=tree["elm"])


def denied(user) -> list[tuple[str, str | None]]:
    records = AuditRecord.objects.filter(action="access.denied", actor=user).select_related("unit")
    return [(record.target_label, record.unit.slug if record.unit else None) for record in records.order_by("id")]


def test_a_page_out_of_scope_is_404_and_audited_an_unknown_one_is_not(org, tree, north_secretary):
    browser = sign_in(Client(), north_secretary)
    assert browser.get(reverse("unit", kwargs={"org": org.slug, "unit": tree["south"].slug})).status_code == 404
    assert browser.get(reverse("unit", kwargs={"org": org.slug, "unit": "no-such-unit"})).status_code == 404
    assert denied(north_secretary) == [(f"unit {tree['south'].slug}", tree["south"].slug)]


def test_a_person_out_of_scope_is_404_and_audited(org, tree, north_secretary):
    outsider = builders.members(org, tree["ash"], 1)[0]
    browser = sign_in(Client(), north_secretary)
    assert browser.get(reverse("person", kwargs={"org": org.slug, "pk": outsider.pk})).status_code == 404
    assert browser.get(reverse("person", kwargs={"org": org.slug, "pk": 10**9})).status_code == 404
    assert denied(north_secretary) == [(f"person {outsider.pk}", None)]


def test_another_organization_is_404_and_audited_in_it(org, tree, north_secretary):
    other = builders.organization(slug="other-federation")
    browser = sign_in(Client(), north_secretary)
    assert browser.get(reverse("organization", kwargs={"org": other.slug})).status_code == 404
    record = AuditRecord.objects.get(action="access.denied", actor=north_secretary)
    assert (record.organization_id, record.target_label) == (other.pk, "organization other-federation")


def test_a_write_out_of_scope_is_403_and_audited_with_its_request(org, tree):
    member = builders.account(org, "member@example.org", person=builders.members(org, tree["elm"], 1)[0])
    browser = sign_in(Client(), member)
    response = browser.post(
        reverse("unit_dormant", kwargs={"org": org.slug, "unit": tree["elm"].slug}),
        {"on": "2024-06-01", "confirmed": "yes"},
    )
    assert response.status_code == 403
    [(label, unit)] = denied(member)
    assert label == f"POST /o/{org.slug}/u/elm-house/dormant/: you may not manage units in Elm House"
    assert unit == "elm-house"


def test_the_api_audits_a_unit_out_of_scope_in_the_path_and_in_a_body(org, tree, north_secretary):
    _record, token = create_api_token(user=north_secretary, organization=org, by="test")
    headers = {"Authorization": f"Bearer {token}"}
    client = Client()
    response = client.get(f"/api/orgs/{org.slug}/units/{tree['south'].slug}", headers=headers)
    assert response.status_code == 404
    body = {"kind": "building_committee", "name": "Birch Row", "parent": tree["south"].slug}
    refused = client.post(
        f"/api/orgs/{org.slug}/units", json.dumps(body), content_type="application/json", headers=headers
    )
    assert refused.status_code in (403, 409)
    assert denied(north_secretary) == [(f"unit {tree['south'].slug}", tree["south"].slug)] * 2


def test_an_anonymous_visitor_leaves_no_trace(org, tree):
    response = Client().get(f"/api/orgs/{org.slug}/units/{tree['south'].slug}")
    assert response.status_code == 401
    assert not AuditRecord.objects.filter(action="access.denied").exists()
