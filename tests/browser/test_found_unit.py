"""Founding a building committee in a real browser: sign in, find it in the tree, found it.

Drives Debian's Chromium (/usr/bin/chromium) through Playwright against the live test server,
at a phone's width, on the demo organization.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from grassroots.demo import DEMO_PASSWORD, DEMO_USERNAME, build_demo
from tests.support.sessions import sign_in_with_two_factor


@pytest.fixture
def demo(transactional_db):
    # Built before Playwright starts: its sync API runs in a greenlet with a context of its own,
    # where Django would open a second database connection that is never closed.
    return build_demo()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_founding_birch_court(live_server, demo, page: Page):

    sign_in_with_two_factor(page, live_server.url, DEMO_USERNAME, DEMO_PASSWORD)

    # The demo is the only organization, so signing in lands on its dashboard.
    expect(page).to_have_url(f"{live_server.url}/o/demo/dashboard/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tree").click()
    birch = page.locator("#unit-birch-court")
    expect(birch).to_contain_text("Building committee")
    expect(birch).to_contain_text("preparing")

    birch.get_by_role("link", name="Birch Court").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Birch Court preparing")
    page.get_by_role("link", name="Found Birch Court…").click()

    founders = page.get_by_role("group", name="Founding members").get_by_role("checkbox", checked=True)
    expect(founders).to_have_count(4)
    secretary = founders.first.locator("xpath=..").inner_text().split(" (")[0]
    page.get_by_label("Secretary").select_option(label=secretary)
    page.get_by_role("button", name="Found Birch Court").click()

    expect(page.locator("#messages")).to_have_text("Birch Court is now founded.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Birch Court founded")
    expect(page.locator("#posts")).to_contain_text(f"Secretary {secretary}")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tree").click()
    expect(page.locator("#unit-birch-court")).to_contain_text("founded")
