"""Callers of the REST API: a staff member by bearer token or by session, and a plain user."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from django.test import Client

from grassroots.accounts.actions import create_api_token
from tests.support.sessions import sign_in

ON = "2024-06-01"  # after every date the builders use, before today


@dataclass
class Caller:
    """A test client speaking JSON to /api, with the headers that authenticate it."""

    client: Client
    headers: dict[str, str] = field(default_factory=dict)

    def get(self, path: str, **params):
        return self.client.get(f"/api{path}", params, headers=self.headers)

    def post(self, path: str, body: dict | None = None):
        return self.client.post(
            f"/api{path}",
            json.dumps(body if body is not None else {}),
            content_type="application/json",
            headers=self.headers,
        )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def staff_token(staff) -> str:
    _record, token = create_api_token(user=staff, organization=staff.accounts.get().organization, by="test")
    return token


@pytest.fixture
def api(staff_token) -> Caller:
    """Staff by bearer token: no session, no CSRF token."""
    return Caller(Client(), bearer(staff_token))


@pytest.fixture
def session_api(staff) -> Caller:
    """Staff signed in with a session (the test client does not enforce CSRF)."""
    return Caller(sign_in(Client(), staff))


@pytest.fixture
def anonymous_api() -> Caller:
    return Caller(Client())


@pytest.fixture
def plain_api(plain_user) -> Caller:
    """A signed-in user with no scope: sees no organization."""
    client = Client()
    client.force_login(plain_user)
    return Caller(client)
