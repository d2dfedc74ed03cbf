"""Transport and browser protections: the Content-Security-Policy, and the production settings."""

from __future__ import annotations

import json
import os
import re
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.support.sessions import sign_in

ROOT = Path(__file__).resolve().parents[2]
# The bulletin's mail template is not a page: mail clients honour inline styles only, and no
# Content-Security-Policy applies to a message.
TEMPLATES = sorted(path for path in (ROOT / "src" / "grassroots").rglob("*.html") if path.name != "mail.html")
POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "object-src": "'none'",
}


def policy_of(response) -> dict[str, str]:
    directives = (part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    return {name: value for name, value in directives}


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["login", "home"])
def test_pages_carry_the_content_security_policy(client, staff, page):
    if page == "home":
        sign_in(client, staff)
    response = client.get(reverse(page), follow=True)
    assert response.status_code == 200
    assert policy_of(response).items() >= POLICY.items()
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_the_api_docs_render_with_data_images_allowed_and_nothing_else(client, staff):
    response = sign_in(client, staff).get("/api/docs")
    assert response.status_code == 200
    assert b"swagger-ui-init.js" in response.content
    assert policy_of(response) == {**policy_of(client.get(reverse("login"))), "img-src": "'self' data:"}


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_templates_have_no_inline_script_or_style(template):
    source = template.read_text()
    scripts = re.findall(r"<script\b[^>]*>", source)
    assert all("src=" in tag or 'type="application/json"' in tag for tag in scripts), scripts
    assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", source), "inline style or event handler"


def run(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    """Run Python in a fresh process, with these environment variables and an empty data directory."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("GRASSROOTS_", "DJANGO_"))}
    clean.pop("DATABASE_URL", None)
    clean.update({"GRASSROOTS_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "grassroots.settings", **env})
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120)


PRODUCTION = {
    "GRASSROOTS_PRODUCTION": "1",
    "SECRET_KEY": "".join(secrets.choice(string.ascii_letters + string.digits + "-_!@#%^&*") for _ in range(60)),
    "ALLOWED_HOSTS": "grassroots.example.org",
}


def test_production_passes_the_deployment_checks(tmp_path):
    result = run("manage.py", "check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION, tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


SHOW = "import django, json, sys; django.setup(); from django.conf import settings as s; " + (
    "print(json.dumps({name: getattr(s, name, None) for name in sys.argv[1:]}, default=str))"
)


def settings_of(names: list[str], env: dict[str, str], tmp_path: Path) -> dict:
    result = run("-c", SHOW, *names, env=env, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_settings(tmp_path):
    names = [
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "CSRF_COOKIE_SAMESITE",
        "SECURE_PROXY_SSL_HEADER",
        "AXES_IPWARE_META_PRECEDENCE_ORDER",
    ]
    assert settings_of(names, PRODUCTION, tmp_path) == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SAMESITE": "Lax",
        "SECURE_PROXY_SSL_HEADER": None,  # no proxy declared: no header is trusted
        "AXES_IPWARE_META_PRECEDENCE_ORDER": ["REMOTE_ADDR"],
    }
    behind_proxy = {**PRODUCTION, "GRASSROOTS_PROXY_COUNT": "1"}
    assert settings_of(["SECURE_PROXY_SSL_HEADER", "AXES_IPWARE_META_PRECEDENCE_ORDER"], behind_proxy, tmp_path) == {
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "AXES_IPWARE_META_PRECEDENCE_ORDER": ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"],
    }


def test_the_lockout_is_configured_from_the_environment(tmp_path):
    env = {"GRASSROOTS_LOGIN_FAILURE_LIMIT": "3", "GRASSROOTS_LOGIN_COOLOFF_MINUTES": "90"}
    assert settings_of(["AXES_FAILURE_LIMIT", "AXES_COOLOFF_TIME"], env, tmp_path) == {
        "AXES_FAILURE_LIMIT": 3,
        "AXES_COOLOFF_TIME": "1:30:00",
    }


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({**PRODUCTION, "DEBUG": "1"}, "GRASSROOTS_PRODUCTION=1 needs DEBUG off"),
        (
            {"GRASSROOTS_LOGIN_FAILURE_LIMIT": "many"},
            "GRASSROOTS_LOGIN_FAILURE_LIMIT must be a whole number of at least 1",
        ),
        ({"GRASSROOTS_PROXY_COUNT": "-1"}, "GRASSROOTS_PROXY_COUNT must be a whole number of at least 0"),
    ],
)
def test_contradictory_or_bad_settings_stop_with_a_clear_message(tmp_path, env, message):
    result = run("manage.py", "check", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert message in result.stderr
