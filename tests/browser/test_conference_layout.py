"""The conference's pages on a 390 x 844 phone in Debian's Chromium: no page scrolls sideways
(wide tables scroll inside their own box, a site-wide rule), the browser asks for nothing that
is missing (the favicon included) and the Content-Security-Policy is never violated; the
projector is a bare page without the site's menu."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from grassroots.conferences import assembly
from tests.support import builders
from tests.support.assembly import in_session, seat
from tests.support.conferences import conference, conference_scene
from tests.support.sessions import sign_in_with_two_factor

PHONE_WIDTH = 390


@pytest.fixture
def hall(transactional_db):
    # Built before Playwright starts (its sync API runs where Django would open a second connection).
    org = builders.organization()
    scene = conference_scene(org)
    found = in_session(conference(scene["federation"]))
    seated = seat(found, {"elm-house": [10, 10], "oak-court": [7]})
    # The organizer is also Elm House's first delegate: the dashboard links their delegate page.
    builders.account(org, "chair@example.org", is_admin=True, person=seated["elm-house"][0].person)
    for subject in ("Strike at once", "Dues for the year"):
        assembly.open_poll(poll=assembly.add_poll(conference=found, subject=subject, by="test"), by="test")
    hands = assembly.add_poll(conference=found, subject="Show of hands", named=False, by="test")
    assembly.open_poll(poll=hands, by="test")
    base = f"/o/{org.slug}/conferences/{found.pk}"
    return {
        "org": org.slug,
        "pages": [
            f"/o/{org.slug}/dashboard/",
            f"/o/{org.slug}/",
            f"/o/{org.slug}/people/",
            f"/o/{org.slug}/u/federation/",
            f"/o/{org.slug}/u/elm-house/",
            f"/o/{org.slug}/audit/",
            f"/o/{org.slug}/bulletin/",
            f"/o/{org.slug}/feeds/",
            "/accounts/tokens/",
            f"/o/{org.slug}/u/federation/conferences/",
            f"/o/{org.slug}/u/elm-house/conferences/{found.pk}/delegation/",
            f"{base}/",
            f"{base}/delegations/",
            f"{base}/presence/",
            f"{base}/session/",
            f"{base}/me/",
            f"{base}/projector/",
        ],
        "base": base,
    }


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_no_page_scrolls_sideways_on_a_phone(live_server, hall, page: Page):
    page.add_init_script(
        "window.violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " (e) => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    missing: list[str] = []
    page.on("response", lambda response: missing.append(response.url) if response.status >= 400 else None)
    sign_in_with_two_factor(page, live_server.url, "chair@example.org", "pw-test-1")
    widths = {}
    for address in hall["pages"]:
        answer = page.goto(live_server.url + address)
        assert answer is not None and answer.status == 200, address
        page.wait_for_load_state("load")
        widths[address] = page.evaluate("document.documentElement.scrollWidth")
    assert widths == dict.fromkeys(hall["pages"], PHONE_WIDTH)
    assert missing == []
    assert page.evaluate("window.violations") == []
    # The favicon is linked from every page and served.
    icon = page.locator('link[rel="icon"]').get_attribute("href")
    assert icon is not None and page.request.get(live_server.url + icon).status == 200


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_projector_is_bare_and_shows_every_open_poll(live_server, hall, page: Page):
    sign_in_with_two_factor(page, live_server.url, "chair@example.org", "pw-test-1")
    page.goto(live_server.url + hall["base"] + "/projector/")
    expect(page.locator("header.site-header")).to_have_count(0)
    expect(page.get_by_role("navigation")).to_have_count(0)
    expect(page.locator(".projected-poll h2")).to_have_text(["Strike at once", "Dues for the year", "Show of hands"])
    expect(page.locator(".projected-poll").nth(2)).to_contain_text("counted by a show of hands in the hall")
    expect(page.locator(".projected-poll").nth(2)).not_to_contain_text("votes cast")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_weighted_delegate_splits_their_votes_on_the_phone(live_server, hall, page: Page):
    sign_in_with_two_factor(page, live_server.url, "chair@example.org", "pw-test-1")
    page.goto(live_server.url + hall["base"] + "/me/")
    expect(page.locator("[data-credential]")).to_have_text("Delegate 1 of Elm House, weight 10: seated, present.")
    hands = page.locator("fieldset.ballot").filter(has_text="Show of hands")
    expect(hands.get_by_role("button")).to_have_count(0)
    ballot = page.locator("fieldset.ballot").filter(has_text="Strike at once")
    split = ballot.locator("form.split")
    split.get_by_label("Yes").fill("6")
    split.get_by_label("No").fill("3")
    split.get_by_label("Abstain").fill("1")
    split.get_by_role("button", name="Cast the split vote").click()
    expect(page.locator("#messages")).to_contain_text(": yes 6, no 3, abstain 1.")
    expect(ballot).to_contain_text("You voted yes 6, no 3, abstain 1")
    assert page.evaluate("document.documentElement.scrollWidth") == PHONE_WIDTH
