"""Who may call the API: bearer tokens, sessions with CSRF, and the schema and docs."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from grassroots.accounts.actions import create_api_token, revoke_api_token
from grassroots.api.auth import UNAUTHENTICATED
from grassroots.api.root import api as ninja_api
from grassroots.audit.models import AuditRecord
from grassroots.organizations.models import Unit
from tests.support.sessions import sign_in

from .conftest import ON, Caller, bearer

pytestmark = pytest.mark.django_db

UNIT = {"kind": "building_committee", "name": "Birch Row", "parent": "south", "on": ON}


def test_no_credentials_is_401(anonymous_api, org, tree):
    for response in (
        anonymous_api.get("/orgs"),
        anonymous_api.get(f"/orgs/{org.slug}/units"),
        anonymous_api.post(f"/orgs/{org.slug}/units", UNIT),
    ):
        assert response.status_code == 401
        assert response.json() == {"detail": UNAUTHENTICATED}
    assert not Unit.objects.filter(slug="birch-row").exists()


def test_bearer_token_reads_and_writes_without_csrf(staff, org, tree):
    _record, token = create_api_token(user=staff, organization=staff.accounts.get().organization, by="test")
    client = Client(enforce_csrf_checks=True)
    api = Caller(client, bearer(token))
    assert api.get(f"/orgs/{org.slug}").status_code == 200
    created = api.post(f"/orgs/{org.slug}/units", UNIT)
    assert created.status_code == 201
    assert Unit.objects.get(slug="birch-row").events.get().kind == "created"


def test_the_audit_trail_names_the_token_user(api, staff, org, tree):
    api.post(f"/orgs/{org.slug}/units", UNIT)
    record = AuditRecord.objects.get(organization=org, action="unit.add", target_label="Birch Row")
    assert record.actor == staff
    assert record.actor_label == staff.get_username()


@pytest.mark.parametrize("spoil", ["revoked", "expired", "inactive user", "unknown"])
def test_unusable_token_is_401(staff, org, tree, spoil):
    record, token = create_api_token(user=staff, organization=staff.accounts.get().organization, by="test")
    if spoil == "revoked":
        revoke_api_token(token=record, by="test")
    elif spoil == "expired":
        record.expires_at = timezone.now() - dt.timedelta(seconds=1)
        record.save(update_fields=["expires_at"])
    elif spoil == "inactive user":
        staff.is_active = False
        staff.save(update_fields=["is_active"])
    else:
        token = token[:-2] + "xx"
    api = Caller(Client(enforce_csrf_checks=True), bearer(token))
    assert api.get(f"/orgs/{org.slug}").status_code == 401
    refused = api.post(f"/orgs/{org.slug}/units", UNIT)  # 401, not a CSRF 403
    assert refused.status_code == 401
    assert refused.json() == {"detail": UNAUTHENTICATED}
    assert not Unit.objects.filter(slug="birch-row").exists()


def test_session_post_needs_the_csrf_token(staff, org, tree):
    client = Client(enforce_csrf_checks=True)
    sign_in(client, staff)
    api = Caller(client)
    assert api.get(f"/orgs/{org.slug}/units").status_code == 200  # safe methods need no token

    refused = api.post(f"/orgs/{org.slug}/units", UNIT)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "CSRF check Failed"}
    assert not Unit.objects.filter(slug="birch-row").exists()

    client.get("/api/docs")  # any page that renders the token sets the cookie
    csrf = client.cookies["csrftoken"].value
    accepted = client.post(
        f"/api/orgs/{org.slug}/units", json.dumps(UNIT), content_type="application/json", headers={"X-CSRFToken": csrf}
    )
    assert accepted.status_code == 201
    assert accepted.json()["state"] == "planned"


def test_a_user_without_scope_sees_nothing(plain_api, org, tree):
    assert plain_api.get("/orgs").json() == {"items": [], "count": 0}
    response = plain_api.get(f"/orgs/{org.slug}")
    assert response.status_code == 404
    assert response.json() == {"detail": f"no organization '{org.slug}'"}
    assert plain_api.post(f"/orgs/{org.slug}/units", UNIT).status_code == 404


def test_schema_and_docs_answer_a_signed_in_user(session_api):
    schema = session_api.client.get("/api/openapi.json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "Grassroots API"
    docs = session_api.client.get("/api/docs")
    assert docs.status_code == 200
    assert b"/api/openapi.json" in docs.content
    # Built once a process (it takes the better part of a second), then served as it was built.
    again = session_api.client.get("/api/openapi.json")
    assert again.json() == schema.json()
    assert ninja_api.get_openapi_schema() is ninja_api.get_openapi_schema()


def test_schema_answers_a_token(staff_token):
    response = Client().get("/api/openapi.json", headers=bearer(staff_token))
    assert response.status_code == 200


def test_schema_and_docs_are_not_public(db):
    """Decision: the code is public, but an installation need not advertise its member database."""
    schema = Client().get("/api/openapi.json")
    assert schema.status_code == 401
    assert schema.json() == {"detail": UNAUTHENTICATED}
    docs = Client().get("/api/docs")
    assert docs.status_code == 302
    assert docs["Location"].startswith("/accounts/login/?next=/api/docs")


def test_an_unexpected_error_is_answered_as_json(api, org, monkeypatch):
    from grassroots.organizations import api as organizations_api

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(organizations_api, "organization_for", broken)
    response = api.get(f"/orgs/{org.slug}")
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error: the operator has been told"}
