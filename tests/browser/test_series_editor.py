"""The series editor, a meeting's change form and its agenda's ↑/↓ on a phone 360 pixels wide, in
Debian's Chromium: each works, nothing is wider than the phone, and the Content-Security-Policy
raises nothing."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Page, expect

from grassroots.accounts.actions import create_account
from grassroots.meetings import actions
from tests.support import builders
from tests.support.meetings import second_tuesdays
from tests.support.sessions import sign_in


@pytest.fixture
def scene(transactional_db):
    # Built before Playwright starts (its sync API runs where Django would open a second connection).
    org = builders.organization()
    elm = builders.federation(org)["elm"]
    series = second_tuesdays(elm)
    meeting = series.occurrences.order_by("start").first()
    for title in ("Rent", "Lift"):
        actions.add_agenda_item(meeting=meeting, title=title, by=builders.BY)
    user = create_account(email="admin@example.org", organization=org, is_admin=True, password="pw-1", by="t").user
    session = sign_in(Client(), user).cookies[settings.SESSION_COOKIE_NAME].value
    return {
        "session": session,
        "series": reverse("meeting_series", args=[org.slug, series.pk]),
        "meeting": reverse("meeting", args=[org.slug, meeting.pk]),
        "edit": reverse("meeting_edit", args=[org.slug, meeting.pk]),
    }


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_series_and_meeting_changes_at_a_phones_width(live_server, scene, page: Page):
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": scene["session"], "url": live_server.url}]
    )
    page.set_viewport_size({"width": 360, "height": 740})

    page.goto(live_server.url + scene["series"])
    expect(page.locator("#facts")).to_contain_text("Tuesday 12 January 2027, 19:00 (Europe/Berlin)")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_label("First meeting (local time)").fill("2027-01-12T18:30")
    page.get_by_role("button", name="Save the series").click()
    expect(page.locator("#messages")).to_contain_text("5 meeting(s) to come changed, 0 removed, 0 cancelled, 0 added")
    expect(page.locator("#upcoming")).to_contain_text("Tue 12 Jan 2027, 18:30")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.goto(live_server.url + scene["meeting"])
    expect(page.locator("#agenda")).to_contain_text("Rent")
    page.get_by_role("button", name="Move Lift up").click()
    expect(page.locator("#messages")).to_contain_text("Agenda reordered.")
    expect(page.locator("#agenda li").first).to_contain_text("Lift")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.goto(live_server.url + scene["edit"])
    page.get_by_label("Starts (local time)").fill("2027-01-13T19:00")
    page.locator("#id_place").fill("Community hall")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#facts")).to_contain_text("Wednesday 13 January 2027, 19:00 (Europe/Berlin)")
    expect(page.locator("#facts")).to_contain_text("Community hall")
    assert [text for text in console if "Content Security Policy" in text] == []
