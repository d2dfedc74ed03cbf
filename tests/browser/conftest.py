"""Debian's Chromium driven by Playwright at a phone's width, and signing in through the real pages."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

# Playwright's sync API runs an event loop in this thread; the database calls the tests make
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

# The suite's other worker shares the 2 cores: a page may take longer than Playwright's 30 s, and
# an assertion on what a page shows longer than its 5 s (the API docs fetch a 1.4 MB script and
# the whole schema). A wait ends as soon as the text is there, so a long limit costs a passing
# test nothing.
expect.set_options(timeout=30_000)


@pytest.fixture
def page():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package to run the browser tests")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.set_default_timeout(60_000)
            yield page
        finally:
            browser.close()
