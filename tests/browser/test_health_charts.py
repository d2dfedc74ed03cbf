"""The dashboard and a unit's health tab in a real browser: the SVG charts are drawn and the
site's Content-Security-Policy (no inline style or script) raises no violation.

Drives Debian's Chromium (/usr/bin/chromium) through Playwright against the live test server, on
the demo organization. Violations are caught two ways: the `securitypolicyviolation` event
(listened to by a script Playwright adds before the page's own, outside the page's CSP) and the
console, where Chromium reports every refused style or script."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from grassroots.demo import DEMO_PASSWORD, DEMO_USERNAME, build_demo
from tests.support.sessions import sign_in_with_two_factor

LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.fixture
def demo(transactional_db):
    return build_demo()


def _violations(page: Page, console: list[str]) -> list[str]:
    return [*page.evaluate("window.__violations"), *(line for line in console if "Content Security Policy" in line)]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_dashboard_and_a_health_tab_draw_their_charts_within_the_csp(live_server, demo, page: Page):
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(LISTEN)
    sign_in_with_two_factor(page, live_server.url, DEMO_USERNAME, DEMO_PASSWORD)

    expect(page).to_have_url(f"{live_server.url}/o/demo/dashboard/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    charts = page.locator("svg.chart")
    assert charts.count() >= 5
    expect(page.locator("svg.chart-bars").first).to_be_visible()
    # Drawn with the stylesheet's classes: a tier's segment is filled, a trend line is not.
    fill = page.locator("svg.chart-bars rect").first.evaluate("e => getComputedStyle(e).fill")
    assert fill not in ("", "none", "rgb(0, 0, 0)")
    expect(page.locator("svg.chart title").first).to_be_attached()
    expect(page.locator("figure.chart-figure table").first).to_be_attached()
    assert _violations(page, console) == []

    page.goto(f"{live_server.url}/o/demo/u/elm-house/health/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Health of Elm House")
    assert page.locator("svg.chart-bullet").count() >= 3
    expect(page.locator("svg.chart-bullet line.threshold").first).to_be_attached()
    assert _violations(page, console) == []
