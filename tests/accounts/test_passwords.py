"""Passwords are hashed with Argon2; an older PBKDF2 hash is rewritten at the next sign-in."""

from __future__ import annotations

import pytest
from django.urls import reverse

from grassroots import settings as project_settings

pytestmark = pytest.mark.django_db

ARGON2_FIRST = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]


def test_argon2_comes_first_and_pbkdf2_is_still_read():
    # tests/conftest.py swaps in MD5 for speed in every test; this is the project's own list.
    assert project_settings.PASSWORD_HASHERS == ARGON2_FIRST


def test_a_pbkdf2_hash_is_upgraded_to_argon2_when_its_owner_signs_in(client, settings, django_user_model):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    user = django_user_model.objects.create_user(username="old@example.org", password="an old passphrase")
    assert user.password.startswith("pbkdf2_sha256$")

    settings.PASSWORD_HASHERS = ARGON2_FIRST
    response = client.post(reverse("login"), {"username": "old@example.org", "password": "an old passphrase"})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password("an old passphrase")
