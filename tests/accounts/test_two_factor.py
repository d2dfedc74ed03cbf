"""Two-factor sign-in: who needs it, setting up the authenticator, entering codes, the admin and the API."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from grassroots.accounts.two_factor import needs_two_factor
from grassroots.audit.models import AuditRecord
from tests.support.html import text
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db

SETUP = reverse("two_factor_setup")
VERIFY = reverse("two_factor_verify")
REPLACE = reverse("two_factor_replace")


def then(page: str, next_url: str) -> str:
    """`page` with `next_url` to go back to, as the redirects spell it."""
    return f"{page}?{urlencode({'next': next_url})}"


def code_for(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def wrong_code_for(device: TOTPDevice) -> str:
    return f"{(int(code_for(device)) + 1) % 1_000_000:06d}"


def password_sign_in(client, username: str, password: str, next_url: str):
    response = client.post(reverse("login"), {"username": username, "password": password, "next": next_url})
    assert response.status_code == 302, "the password was refused"
    return response


@pytest.fixture
def staff_member(db, django_user_model):
    """Django staff without an account in any organization."""
    return django_user_model.objects.create_user(username="operator@example.org", password="pw-oper-1", is_staff=True)


@pytest.fixture
def superuser(db, django_user_model):
    return django_user_model.objects.create_superuser(username="root@example.org", password="pw-root-1")


@pytest.mark.parametrize("page", [SETUP, VERIFY, REPLACE])
def test_anonymous_is_sent_to_sign_in(client, page):
    assert client.get(page)["Location"] == f"{reverse('login')}?next={page}"


def test_who_needs_a_second_factor(staff, staff_member, superuser, plain_user):
    assert needs_two_factor(staff)  # an organization administrator: an account
    assert needs_two_factor(staff_member)
    assert needs_two_factor(superuser)
    assert not needs_two_factor(plain_user)  # sees nobody's data


def test_first_sign_in_sets_up_the_authenticator_then_reaches_the_page_asked_for(client, staff, org):
    wanted = reverse("organization", kwargs={"org": org.slug})
    assert password_sign_in(client, "staff@example.org", "pw-staff-1", wanted)["Location"] == wanted

    held = client.get(wanted)
    assert held.status_code == 302
    assert held["Location"] == then(SETUP, wanted)

    page = client.get(held["Location"])
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    body = page.content.decode()
    assert '<svg role="img" aria-label="QR code for your authenticator app"' in body
    assert "https://" not in body.split("<svg", 1)[1].split("</svg>", 1)[0]  # drawn here, fetched from nowhere
    device = TOTPDevice.objects.get(user=staff)
    assert not device.confirmed
    assert text(page, "secret").replace(" ", "") in device.config_url

    confirmed = client.post(held["Location"], {"code": code_for(device)})
    assert confirmed.status_code == 302
    assert confirmed["Location"] == wanted
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(wanted).status_code == 200
    assert AuditRecord.objects.filter(action="two_factor.confirm", actor=staff).exists()


@pytest.mark.parametrize("who", ["staff_member", "superuser"])
def test_staff_and_superusers_are_sent_to_set_up_too(client, request, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(reverse("home"))["Location"] == then(SETUP, "/")


def test_a_user_who_sees_no_one_needs_no_second_factor(client, plain_user):
    client.force_login(plain_user)
    assert client.get(reverse("home")).status_code == 200


def test_a_wrong_code_is_refused_with_a_message_and_nothing_changes(client, staff, org):
    client.force_login(staff)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=staff)

    refused = client.post(SETUP, {"code": wrong_code_for(device)})
    assert refused.status_code == 200
    assert "That code is not right." in text(refused, "main")
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get(reverse("home"))["Location"].startswith(SETUP)


def test_a_code_must_be_six_digits(client, staff):
    client.force_login(staff)
    refused = client.post(SETUP, {"code": "12ab"})
    assert refused.status_code == 200
    assert "A code is 6 digits." in text(refused, "main")


def test_wrong_codes_slow_down_the_next_tries(client, staff):
    sign_in(client, staff)
    device = TOTPDevice.objects.get(user=staff)
    client.logout()
    client.force_login(staff)

    client.post(VERIFY, {"code": wrong_code_for(device)})
    throttled = client.post(VERIFY, {"code": code_for(device)})  # right, but too soon after a wrong one
    assert "Too many wrong codes" in text(throttled, "main")
    assert client.get(reverse("home"))["Location"].startswith(VERIFY)


def test_a_later_sign_in_asks_for_the_code(client, staff, org):
    sign_in(Client(), staff)  # set up earlier
    device = TOTPDevice.objects.get(user=staff, confirmed=True)
    wanted = reverse("people", kwargs={"org": org.slug})

    password_sign_in(client, "staff@example.org", "pw-staff-1", wanted)
    held = client.get(wanted)
    assert held["Location"] == then(VERIFY, wanted)
    assert client.get(held["Location"]).status_code == 200

    verified = client.post(held["Location"], {"code": code_for(device)})
    assert verified["Location"] == wanted
    assert client.get(wanted).status_code == 200


def test_a_password_alone_cannot_replace_the_authenticator(client, staff):
    sign_in(Client(), staff)
    client.force_login(staff)
    assert client.get(SETUP)["Location"] == VERIFY
    assert client.get(REPLACE)["Location"] == then(VERIFY, REPLACE)
    assert TOTPDevice.objects.filter(user=staff).count() == 1


def test_a_verified_session_replaces_the_authenticator(client, staff):
    sign_in(client, staff)
    old = TOTPDevice.objects.get(user=staff)
    assert client.get(REPLACE).status_code == 200
    new = TOTPDevice.objects.get(user=staff, confirmed=False)

    replaced = client.post(REPLACE, {"code": code_for(new)})
    assert replaced.status_code == 302
    assert list(TOTPDevice.objects.filter(user=staff).values_list("pk", "confirmed")) == [(new.pk, True)]
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    assert client.get(reverse("tokens")).status_code == 200  # still verified, by the new device
    assert AuditRecord.objects.filter(action="two_factor.replace", actor=staff).exists()


def test_the_next_page_must_be_on_this_site(client, staff):
    client.force_login(staff)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=staff)
    response = client.post(f"{SETUP}?next=https://evil.example/", {"code": code_for(device)})
    assert response["Location"] == reverse("home")


def test_signing_out_needs_no_second_factor(client, staff):
    client.force_login(staff)
    response = client.post(reverse("logout"))
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_htmx_requests_are_sent_to_the_whole_page(client, staff, org):
    client.force_login(staff)
    response = client.get(reverse("people", kwargs={"org": org.slug}), headers={"HX-Request": "true"})
    assert response["HX-Redirect"].startswith(SETUP)


def test_an_unverified_session_gets_401_from_the_api(client, staff, org):
    client.force_login(staff)
    response = client.get("/api/orgs")
    assert response.status_code == 401
    assert response.json() == {"detail": "authentication required: a session or a bearer token"}
    assert client.get("/api/openapi.json").status_code == 401
    assert client.get("/api/docs")["Location"] == then(SETUP, "/api/docs")

    sign_in(client, staff)
    assert client.get("/api/orgs").status_code == 200


def test_the_admin_needs_a_verified_superuser(client, superuser, staff):
    admin = reverse("admin:index")
    assert client.get(admin)["Location"] == f"{reverse('admin:login')}?next={admin}"
    assert client.get(reverse("admin:login") + "?next=/admin/")["Location"] == f"{reverse('login')}?next=/admin/"

    client.force_login(superuser)
    assert client.get(admin)["Location"] == then(SETUP, "/admin/")
    sign_in(client, superuser)
    assert client.get(admin).status_code == 200

    other = sign_in(Client(), staff)  # verified, but administers an organization, not the installation
    refused = other.get(reverse("admin:login"))
    assert refused.status_code == 403
    assert "The admin is for superusers." in text(refused, "main")


def test_the_admin_can_remove_an_authenticator_but_never_shows_its_secret(client, superuser, staff):
    sign_in(Client(), staff)
    device = TOTPDevice.objects.get(user=staff)
    sign_in(client, superuser)
    change = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    assert change.status_code == 200
    assert device.key not in change.content.decode()
    assert client.get(reverse("admin:otp_totp_totpdevice_config", args=[device.pk])).status_code == 403

    client.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
