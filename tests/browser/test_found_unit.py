"""Founding a building committee in a real browser: sign in, find it in the tree, found it.

Drives Debian's Chromium (/usr/bin/chromium) through Playwright against the live test server,
at a phone's width, on the demo organization.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from grassroots.demo import DEMO_PASSWORD, DEMO_USERNAME, build_demo

# Playwright's sync API runs an event loop in this thread; the database calls the test makes
# around it are synchronous and safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def demo(transactional_db):
    # Built before Playwright starts: its sync API runs in a greenlet with a context of its own,
    # where Django would open a second database connection that is never closed.
    return build_demo()


@pytest.fixture
def page():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package to run the browser tests")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 390, "height": 844})
        finally:
            browser.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_founding_birch_court(live_server, demo, page: Page):

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(DEMO_USERNAME)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # The demo is the only organization, so signing in lands on its page.
    expect(page).to_have_url(f"{live_server.url}/o/demo/")
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
