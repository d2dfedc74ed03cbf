"""The host's check-in page on a phone 360 pixels wide, in Debian's Chromium: one tap marks
someone present, the counter follows, undo works, and the Content-Security-Policy raises nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from grassroots.meetings import actions
from tests.support import builders


@pytest.fixture
def host_link(transactional_db):
    # Built before Playwright starts (its sync API runs where Django would open a second connection).
    org = builders.organization()
    elm = builders.federation(org)["elm"]
    start = (timezone.localtime() - dt.timedelta(minutes=10)).replace(tzinfo=None, second=0, microsecond=0)
    meeting = actions.schedule_meeting(unit=elm, title="Door check", start=start, by=builders.BY)
    rows = list(meeting.attendance.select_related("person").order_by("person_id"))
    person = rows[0].person
    person.name = "Ann Example"
    person.save(update_fields=["name"])
    rows[1].person.name = "Ben Coder"
    rows[1].person.save(update_fields=["name"])
    code = actions.register(meeting=meeting, person=rows[1].person, by=builders.BY)
    return reverse("host_page", args=[actions.issue_host_link(meeting=meeting, by=builders.BY)]), code


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_one_tap_at_the_door_without_a_policy_violation(live_server, host_link, page: Page):
    host_page, code = host_link
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    # Every Content-Security-Policy violation the page raises, as the browser reports it.
    page.add_init_script(
        "window.violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " (e) => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(live_server.url + host_page)
    expect(page.locator("#counter")).to_have_text("0 present of 3 expected")
    page.get_by_role("button", name="Ann E.").click()
    expect(page.locator("#counter")).to_have_text("1 present of 3 expected")
    page.get_by_role("button", name="Ann E. ✓ undo").click()
    expect(page.locator("#counter")).to_have_text("0 present of 3 expected")
    # The registration code typed (where the browser cannot read QR codes, the scanner stays
    # hidden); the second time it is "already checked in".
    page.get_by_label("Registration code").fill(code)
    page.get_by_role("button", name="Check in", exact=True).click()
    expect(page.locator("#messages")).to_contain_text("Ben C. is checked in.")
    expect(page.locator("#counter")).to_have_text("1 present of 3 expected")
    page.get_by_label("Registration code").fill(code)
    page.get_by_role("button", name="Check in", exact=True).click()
    expect(page.locator("#messages")).to_contain_text("already checked in")
    expect(page.locator("#counter")).to_have_text("1 present of 3 expected")
    scanner = expect(page.locator("#scanner"))
    if page.evaluate("'BarcodeDetector' in window"):
        scanner.to_be_visible()
    else:
        scanner.to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.evaluate("window.violations") == []
    assert [text for text in console if "Content Security Policy" in text] == []
