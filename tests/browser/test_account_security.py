"""In a real browser at a phone's width: two-factor set-up, an API token, the API docs, and no
Content-Security-Policy violation on the way."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from grassroots.accounts.actions import create_account
from tests.support import builders
from tests.support.sessions import sign_in_with_two_factor


@pytest.fixture
def org(transactional_db):
    # Made before Playwright starts: its sync API runs in a greenlet with a context of its own,
    # where Django would open a second database connection that is never closed.
    org = builders.organization()
    builders.federation(org)
    create_account(email="admin@example.org", organization=org, is_admin=True, password="pw-admin-1", by="test")
    return org


@pytest.mark.browser
def test_pages_keep_to_the_content_security_policy(live_server, org, page: Page):
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )

    sign_in_with_two_factor(page, live_server.url, "admin@example.org", "pw-admin-1")
    expect(page).to_have_url(f"{live_server.url}/o/{org.slug}/dashboard/")
    expect(page.locator("#messages")).to_contain_text("Your authenticator app is set up")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("reports")
    page.get_by_role("button", name="Create the token").click()
    expect(page.locator("#new-token")).to_contain_text("gr_")
    expect(page.locator("#tokens")).to_contain_text("reports")
    assert page.evaluate("document.documentElement.scrollWidth") == 390, "the page is wider than the phone"

    page.goto(f"{live_server.url}/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Grassroots API")
    page.locator(".swagger-ui .opblock-summary").first.click()  # draws the icons, data: images
    page.get_by_role("button", name="Try it out").first.click()
    page.get_by_role("button", name="Execute").first.click()
    expect(page.locator(".swagger-ui .live-responses-table tbody .response-col_status").first).to_have_text("200")

    assert violations == []
