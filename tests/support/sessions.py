"""Signing in from tests: on the test client with a verified second factor, and in a browser."""

from __future__ import annotations

from base64 import b32decode
from typing import TYPE_CHECKING

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

if TYPE_CHECKING:
    from playwright.sync_api import Page


def sign_in(client, user):
    """Sign `user` in on the test client with a session verified by a second factor, as after
    entering a code from their authenticator app; returns the client."""
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    device = device or TOTPDevice.objects.create(user=user, name="test authenticator", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def sign_in_with_two_factor(page: Page, base_url: str, username: str, password: str) -> None:
    """Sign in with the password, then set up two-factor sign-in as a person with an authenticator app would:
    read the key off the setup page and enter the code it gives."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/accounts/two-factor/setup/**")
    key = b32decode(page.locator("#secret").inner_text().replace(" ", ""))
    page.get_by_label("Code from your app").fill(f"{TOTP(key).token():06d}")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
