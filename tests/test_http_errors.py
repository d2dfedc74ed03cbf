"""Input no handler can take gets a clear 4xx on the API and the pages, never a 500 (issue 9):
a body over Django's upload limit (413), text that cannot be stored (422 naming the field), a
NUL character in a path slug (404). Run on SQLite and PostgreSQL alike."""

from __future__ import annotations

import json

import pytest
from django.db import OperationalError, connection, connections
from django.test import Client
from django.urls import reverse

from grassroots.accounts.actions import create_api_token
from grassroots.people.models import Person
from tests.support.sessions import sign_in


@pytest.fixture
def token(staff, org) -> dict[str, str]:
    _record, token = create_api_token(user=staff, organization=org, by="test")
    return {"Authorization": f"Bearer {token}"}


def test_a_json_body_over_the_limit_is_413(client, org, token, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"name": "Ann", "address": "x" * 2000})
    response = client.post(f"/api/orgs/{org.slug}/people", body, content_type="application/json", headers=token)
    assert response.status_code == 413
    assert response.json()["detail"] == "body: larger than the limit of 1000 bytes"
    assert not Person.objects.filter(name="Ann").exists()


def test_a_form_over_the_limit_is_413(client, staff, org, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    sign_in(client, staff)
    response = client.post(reverse("person_add", kwargs={"org": org.slug}), {"name": "Ann", "address": "x" * 2000})
    assert (response.status_code, response.content) == (413, b"body: larger than the limit of 1000 bytes")
    assert not Person.objects.filter(name="Ann").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"name": "Ann \\ud800"}', "name"),
        ('{"name": "Ann", "address": "\\udfff road"}', "address"),
        ('{"name": "Ann", "\\ud800": "x"}', "\\ud800"),
    ],
)
def test_text_that_cannot_be_stored_is_422_naming_the_field(client, org, token, body, field):
    response = client.post(f"/api/orgs/{org.slug}/people", body, content_type="application/json", headers=token)
    assert response.status_code == 422
    detail = response.json()
    assert detail["detail"].endswith(": text holds a character that cannot be stored (a lone surrogate)")
    if field.isidentifier():
        assert (detail["field"], detail["detail"].split(":")[0]) == (field, field)
    assert not Person.objects.filter(organization=org).exists()


def test_a_lone_surrogate_in_a_nested_field_is_named_by_its_path(client, org, token, tree):
    body = '{"name": "Unit \\ud800", "kind": "district", "parent": "federation"}'
    response = client.post(f"/api/orgs/{org.slug}/units", body, content_type="application/json", headers=token)
    assert (response.status_code, response.json()["field"]) == (422, "name")


@pytest.mark.parametrize(
    "path",
    [
        "/api/orgs/{org}%00/people",
        "/api/orgs/{org}/units/north%00",
        "/api/orgs/{org}/units/a%00b/events",
        "/api/orgs/%00/audit",
    ],
)
def test_a_nul_character_in_an_api_path_is_404(client, org, token, tree, path):
    response = client.get(path.format(org=org.slug), headers=token)
    assert (response.status_code, response.json()) == (404, {"detail": "not found"})


@pytest.mark.parametrize("path", ["/o/{org}%00/", "/o/{org}/u/north%00/", "/o/{org}/people/%00/"])
def test_a_nul_character_in_a_page_path_is_404(client, staff, org, tree, path):
    sign_in(client, staff)
    assert client.get(path.format(org=org.slug)).status_code == 404


def test_nothing_changes_for_ordinary_requests(org, token, tree):
    response = Client().post(
        f"/api/orgs/{org.slug}/people", json.dumps({"name": "Ann"}), content_type="application/json", headers=token
    )
    assert response.status_code == 201 and response.json()["name"] == "Ann"


def _locked(*args, **kwargs):
    raise OperationalError("database is locked")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's one write lock")
def test_a_write_that_meets_a_locked_sqlite_database_is_503_with_retry_after(client, staff, org, token, monkeypatch):
    """A long writer (a health backfill) held the lock past the busy timeout: the API answers
    503 in its error shape, the page a line of text, both with Retry-After: 5; nothing written."""
    from grassroots.people import actions

    monkeypatch.setattr(actions, "add_person", _locked)
    response = client.post(
        f"/api/orgs/{org.slug}/people", {"name": "Ann"}, content_type="application/json", headers=token
    )
    assert (response.status_code, response.get("Retry-After")) == (503, "5")
    assert response.json() == {"detail": "the database is busy with another write; try again in a moment", "errors": []}
    sign_in(client, staff)
    form = {"name": "Ann", "status": org.constitution.member_statuses.initial, "on": "2026-01-05"}
    response = client.post(reverse("person_add", kwargs={"org": org.slug}), form)
    assert (response.status_code, response.get("Retry-After")) == (503, "5")
    assert response.content == b"The database is busy with another write; try again in a moment."
    assert not Person.objects.filter(name="Ann").exists()


def test_another_database_error_is_still_a_500_for_the_operator(client, org, token, monkeypatch):
    from grassroots.people import actions

    def broken(*args, **kwargs):
        raise OperationalError("no such table: people_person")

    monkeypatch.setattr(actions, "add_person", broken)
    response = client.post(
        f"/api/orgs/{org.slug}/people", {"name": "Ann"}, content_type="application/json", headers=token
    )
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error: the operator has been told"}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's one write lock")
def test_the_error_of_a_real_sqlite_lock_is_recognised_as_busy(db, tmp_path):
    """A second connection holds the write lock; a write through Django's backend with a short
    busy timeout fails with the error the middleware and the API answer 503."""
    import sqlite3

    from grassroots.middleware import database_busy

    path = tmp_path / "locked.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    settings_dict = {**connection.settings_dict, "NAME": str(path)}
    settings_dict["OPTIONS"] = {**settings_dict["OPTIONS"], "timeout": 0.1}
    waiter = type(connections["default"])(settings_dict, alias="waiter")
    try:
        with pytest.raises(OperationalError) as locked:
            waiter.cursor().execute("INSERT INTO t VALUES (1)")
        assert str(locked.value) == "database is locked" and database_busy(locked.value)
    finally:
        waiter.close()
        holder.execute("ROLLBACK")
        holder.close()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's one write lock")
def test_a_locked_database_met_outside_a_view_is_503_too(staff, org, monkeypatch):
    """A middleware's write (here: the second-factor check) that meets the lock is answered by
    the 500 handler, which gives the same 503; another error there is still a 500."""
    from grassroots.accounts.middleware import RequireTwoFactor

    monkeypatch.setattr(RequireTwoFactor, "__call__", _locked)
    client = Client(raise_request_exception=False)
    for path in ("/o/org/people/", "/api/orgs/org/people"):
        response = client.get(path)
        assert (response.status_code, response.get("Retry-After")) == (503, "5"), path
        assert b"the database is busy with another write" in response.content.lower(), path

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(RequireTwoFactor, "__call__", broken)
    assert client.get("/o/org/people/").status_code == 500
