"""What every page shares: the phone viewport, the stylesheet and htmx, navigation, signing out."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from tests.support.html import text
from tests.support.sessions import sign_in


def test_pages_load_the_viewport_stylesheet_and_htmx(staff_client, org):
    body = staff_client.get(reverse("organization", kwargs={"org": org.slug})).content.decode()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in body
    assert 'href="/static/grassroots/app.css"' in body
    assert 'src="/static/django_htmx/htmx-2.min.js"' in body
    assert 'src="/static/grassroots/app.js"' in body


@pytest.mark.parametrize("path", ["grassroots/app.css", "grassroots/app.js", "django_htmx/htmx-2.min.js"])
def test_the_static_files_the_pages_load_are_found(path):
    assert finders.find(path), f"staticfiles cannot find {path}: settings need STATICFILES_DIRS = [BASE_DIR / 'static']"


def test_navigation_names_the_organization_and_offers_admin_only_to_superusers(staff_client, staff, org):
    url = reverse("organization", kwargs={"org": org.slug})
    page = staff_client.get(url)
    assert text(page, "main").startswith(org.name)
    assert "Admin" not in text(page)
    staff.is_superuser = True
    staff.save()
    assert 'href="/admin/">Admin</a>' in staff_client.get(url).content.decode()


def test_signing_out_is_a_post_with_csrf(client, staff, org):
    sign_in(client, staff)
    body = client.get(reverse("organization", kwargs={"org": org.slug})).content.decode()
    form = body[body.index('<form method="post" action="/accounts/logout/">') :]
    assert 'name="csrfmiddlewaretoken"' in form[: form.index("</form>")]
    response = client.post(reverse("logout"))
    assert response["Location"] == reverse("login")
    assert client.get(reverse("home")).status_code == 302


def test_the_sign_in_page(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert text(response, "main") == "Sign in Username: Password: Sign in"
