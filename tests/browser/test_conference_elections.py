"""An election at the founding conference in Debian's Chromium: the organizer prepares an instant
runoff with three candidates (one of them a person of the organization) on the session page,
opens it, two delegates rank the candidates on their phone pages, the organizer closes it and the
elected is shown linked to the person's page; the Content-Security-Policy raises nothing."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.support import builders
from tests.support.assembly import in_session, seat
from tests.support.conferences import conference, conference_scene
from tests.support.sessions import sign_in


@pytest.fixture
def hall(transactional_db):
    # Built before Playwright starts (its sync API runs where Django would open a second connection).
    org = builders.organization()
    found = in_session(conference(conference_scene(org)["federation"]))
    seated = seat(found, {"elm-house": [10], "oak-court": [7]})
    delegates = [seated["elm-house"][0], seated["oak-court"][0]]
    ben = builders.person(org, "Ben Okafor")
    admin = builders.account(org, "admin@example.org", is_admin=True)
    users = [builders.account(org, f"d{n}@example.org", person=d.person) for n, d in enumerate(delegates)]
    return {
        "admin": sign_in(Client(), admin).cookies[settings.SESSION_COOKIE_NAME].value,
        "delegates": [sign_in(Client(), user).cookies[settings.SESSION_COOKIE_NAME].value for user in users],
        "session": reverse("conference_session", args=[org.slug, found.pk]),
        "phone": reverse("conference_delegate", args=[org.slug, found.pk]),
        "ben": ben.pk,
        "ben_page": reverse("person", args=[org.slug, ben.pk]),
    }


def _as(page: Page, url: str, session: str) -> None:
    page.context.clear_cookies()
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": url}])


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_instant_runoff_from_the_session_page_to_the_phones_and_back(live_server, hall, page: Page):
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    _as(page, live_server.url, hall["admin"])
    page.goto(live_server.url + hall["session"])
    page.get_by_role("region", name="Elections").get_by_label("Title").fill("Council")
    page.get_by_label("Method").select_option(label="Instant runoff (IRV)")
    page.get_by_label("Candidates, a line each").fill(f"Ada Lovelace\nBen Okafor <{hall['ben']}>\nCy Young")
    page.get_by_role("button", name="Prepare the election").click()
    expect(page.locator("#messages")).to_contain_text("prepared: Council.")
    page.get_by_role("button", name="Open the election").click()
    expect(page.locator("#messages")).to_contain_text("is open for ballots")

    # Elm House's delegate (weight 10) ranks Ben, then Cy; Oak Court's (7) Ada, then Ben: Ben has
    # 10 of the 17 first preferences, a majority in the first round.
    for session, ranks in ((hall["delegates"][0], {"Ben Okafor": "1", "Cy Young": "2"}),
                           (hall["delegates"][1], {"Ada Lovelace": "1", "Ben Okafor": "2"})):  # fmt: skip
        _as(page, live_server.url, session)
        page.goto(live_server.url + hall["phone"])
        ballot = page.get_by_role("group", name="Council (1 seat)")
        for name, rank in ranks.items():
            ballot.get_by_label(name).select_option(rank)
        ballot.get_by_role("button", name="Cast my ballot").click()
        expect(page.locator("#messages")).to_contain_text("Your ballot in Council: 1.")
        expect(page.locator("#ballots")).to_contain_text("Your ballot is cast")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

    _as(page, live_server.url, hall["admin"])
    page.goto(live_server.url + hall["session"])
    page.get_by_role("button", name="Close and count").click()
    expect(page.locator("#messages")).to_contain_text("is closed and counted")
    elected = page.locator("#elections .elected")
    expect(elected).to_have_text("Elected: Ben Okafor.")
    expect(elected.get_by_role("link", name="Ben Okafor")).to_have_attribute("href", hall["ben_page"])
    expect(page.locator("#elections table.rounds")).to_contain_text("Ben Okafor 10")
    assert [text for text in console if "Content Security Policy" in text] == []
