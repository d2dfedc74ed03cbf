"""Brute-force lockout (django-axes): a username is locked out from one address after N failures."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from grassroots.settings import client_address_settings
from tests.support.html import text

pytestmark = pytest.mark.django_db

USERNAME = "plain@example.org"
PASSWORD = "pw-plain-1"  # the plain_user fixture's


def sign_in_form(client, password: str, **headers):
    return client.post(reverse("login"), {"username": USERNAME, "password": password}, headers=headers)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_limit_and_cool_off_come_from_the_environment_with_safe_defaults(settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 30 * 60
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_failed_sign_ins_lock_the_account_and_then_even_the_right_password_is_refused(client, plain_user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        refused = sign_in_form(client, "wrong guess")
        assert refused.status_code == 200
        assert "Please enter a correct username and password" in text(refused, "main")

    locked = sign_in_form(client, "wrong guess")  # the last failure allowed
    assert locked.status_code == 429

    response = sign_in_form(client, PASSWORD)
    assert response.status_code == 429
    assert text(response, "main").startswith(
        "Sign-in locked This account is locked for 30 minutes after too many failed sign-ins from this address."
    )
    assert not signed_in(client)


def test_the_lockout_is_json_for_a_script(client, plain_user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in_form(client, "wrong guess")
    response = sign_in_form(client, PASSWORD, Accept="application/json")
    assert response.status_code == 429
    assert response.json()["cooloff_minutes"] == 30
    assert response.json()["detail"].startswith("This account is locked for 30 minutes")


def test_the_lockout_is_for_this_username_from_this_address_only(client, plain_user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in_form(client, "wrong guess")
    assert sign_in_form(client, PASSWORD).status_code == 429

    elsewhere = client.post(reverse("login"), {"username": USERNAME, "password": PASSWORD}, REMOTE_ADDR="198.51.100.7")
    assert elsewhere.status_code == 302
    assert signed_in(client)


def test_a_successful_sign_in_clears_the_earlier_failures(client, plain_user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in_form(client, "wrong guess")
    assert sign_in_form(client, PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in_form(client, "wrong guess")
    assert sign_in_form(client, PASSWORD).status_code == 302


@override_settings(**client_address_settings(1))
def test_behind_one_proxy_each_forwarded_address_is_counted_on_its_own(client, plain_user, settings):
    first, second = "203.0.113.10", "203.0.113.20"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in_form(client, "wrong guess", **{"X-Forwarded-For": first})
    assert sign_in_form(client, PASSWORD, **{"X-Forwarded-For": first}).status_code == 429
    # A client cannot escape by sending an X-Forwarded-For of its own: the proxy appends the
    # address it saw, and that last entry is the one counted.
    assert sign_in_form(client, PASSWORD, **{"X-Forwarded-For": f"{second}, {first}"}).status_code == 429

    assert sign_in_form(client, PASSWORD, **{"X-Forwarded-For": second}).status_code == 302
    assert signed_in(client)


def test_without_a_proxy_a_forwarded_address_is_ignored(client, plain_user, settings):
    for number in range(settings.AXES_FAILURE_LIMIT):
        sign_in_form(client, "wrong guess", **{"X-Forwarded-For": f"203.0.113.{number}"})
    assert sign_in_form(client, PASSWORD, **{"X-Forwarded-For": "203.0.113.99"}).status_code == 429
